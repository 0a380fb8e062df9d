import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { createRun, newRunId } from "@/lib/training/records.ts";
import { stopMonitor } from "@/lib/training/refresh.ts";
import type { RunRecord } from "@/lib/training/types.ts";
import { RunProgress } from "@/components/training/RunProgress.tsx";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import { formPost, jsonPost, testApp } from "./helpers.ts";
import { storedRun } from "./training_testing.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function withApp(fn: (app: Awaited<ReturnType<typeof testApp>>) => Promise<void>) {
  const app = await testApp();
  try {
    await fn(app);
  } finally {
    stopMonitor();
    await app.close();
  }
}

Deno.test({
  name: "[training/routes] /training shows the empty state; /training/new offers the launch form",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const list = await app.request("/training");
      assertEquals(list.status, 200);
      assertStringIncludes(await list.text(), "No training runs yet");
      const form = await app.request("/training/new");
      assertEquals(form.status, 200);
      const html = await form.text();
      assertStringIncludes(html, 'data-island="TrainingLaunchForm"');
      assertStringIncludes(html, "What will run");
      assertStringIncludes(html, "embedded local workspace");
    }),
});

Deno.test({
  name:
    "[training/routes] Launch is disabled for a Python known to lack torch, not for compute that could not be read",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const launchButton = async () => {
        const html = await (await app.request("/training/new")).text();
        return { html, button: html.match(/<button[^>]*>Launch<\/button>/)?.[0] ?? "" };
      };
      const compute = app.workspace.compute;
      compute.info = () => Promise.reject(new Error("the Python probe did not answer"));
      const unknown = await launchButton();
      assertStringIncludes(unknown.html, "the Python probe did not answer");
      assert(unknown.button !== "", "the Launch button is rendered");
      assert(!/\sdisabled(=""|\s|>)/.test(unknown.button), unknown.button);
      assert(!unknown.html.includes("Local training needs PyTorch"), "no claim about torch");

      compute.info = () =>
        Promise.resolve({ kind: "local", cpus: 2, python: { path: "python3", version: "3.11" } });
      const noTorch = await launchButton();
      assert(/\sdisabled(=""|\s|>)/.test(noTorch.button), noTorch.button);
      assertStringIncludes(noTorch.html, "Local training needs PyTorch");
    }),
});

Deno.test({
  name: "[training/routes] bad launch input is refused with the field and reason",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const post = await app.request(
        "/training/new",
        formPost({ compute: "local", config: "x@1", maxSteps: "-3", token: "abcdefgh12" }),
      );
      assertEquals(post.status, 400);
      const html = await post.text();
      assertStringIncludes(html, "a whole number of at least 1");
      const bad = await app.request("/api/runs", jsonPost({ compute: { kind: "gpu" } }));
      assertEquals(bad.status, 400);
      assertStringIncludes((await bad.json()).error.message, "compute.kind");
      const none = await app.request("/api/runs", jsonPost({ compute: { kind: "local" } }));
      assertEquals(none.status, 400);
      assertStringIncludes((await none.json()).error.message, "no active config");
      const wrongKind = await app.request(
        "/api/runs",
        jsonPost({ compute: { kind: "databricks", nodeType: "g5.xlarge", runtime: "r" } }),
      );
      assertEquals(wrongKind.status, 400);
      assertStringIncludes(
        (await wrongKind.json()).error.message,
        "connected to the local workspace",
      );
      const status = await app.request("/api/runs?status=bogus");
      assertEquals(status.status, 400);
      const missing = await app.request("/api/runs/nope");
      assertEquals(missing.status, 404);
      assertStringIncludes((await missing.json()).error.message, 'No training run "nope"');
      const events = await app.request("/api/runs/nope/events");
      assertEquals(events.status, 404);
      await events.body?.cancel();
      const page = await app.request("/training/nope");
      assertEquals(page.status, 404);
      await page.body?.cancel();
    }),
});

Deno.test({
  name: "[training/routes] the event stream sends the run, then its metrics as they are written",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const id = newRunId();
      const runDir = `${app.settings.volume}/runs/${id}`;
      await app.workspace.files.write(
        `${runDir}/metrics.jsonl`,
        '{"step": 1, "epoch": 0.1, "name": "loss", "value": 0.9, "ts": 1}\n',
      );
      await createRun(storedRun(app.settings.volume, {
        id,
        name: "streamed",
        config: { name: "c", version: 1, task: "classification", model: "m" },
        status: "running",
        phase: "training",
        runDir,
        configPath: `${app.settings.volume}/configs/c/v1.yaml`,
        idempotencyToken: `tok-${id}`,
      }));
      const res = await app.request(`/api/runs/${id}/events`, {
        headers: { accept: "text/event-stream" },
      });
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let text = "";
      const until = async (pred: () => boolean) => {
        const end = Date.now() + 10_000;
        while (!pred() && Date.now() < end) {
          const { value, done } = await reader.read();
          if (done) break;
          text += dec.decode(value);
        }
      };
      await until(() => text.includes("event: metrics"));
      assertStringIncludes(text, "event: run");
      assertStringIncludes(text, '"name":"streamed"');
      assertStringIncludes(text, '"value":0.9');
      const { disk } = await (app.workspace.files as unknown as {
        resolve(p: string): Promise<{ disk: string }>;
      }).resolve(`${runDir}/metrics.jsonl`);
      await Deno.writeTextFile(
        disk,
        '{"step": 2, "epoch": 0.2, "name": "loss", "value": 0.7, "ts": 2}\n',
        { append: true },
      );
      await until(() => text.includes('"value":0.7'));
      assert(text.includes('"from":1'), "the second batch continues after the first point");
      await reader.cancel();
      // The polling fallback: only points after those already received, and the log tail.
      const more = await (await app.request(`/api/runs/${id}/metrics?from=1`)).json();
      assertEquals(more.total, 2);
      assertEquals(more.points.map((p: { value: number }) => p.value), [0.7]);
      const badFrom = await app.request(`/api/runs/${id}/metrics?from=-1`);
      assertEquals(badFrom.status, 400);
      await badFrom.body?.cancel();
      await Deno.writeTextFile(disk.replace("metrics.jsonl", "output.log"), "line one\nline two\n");
      assertEquals(
        (await (await app.request(`/api/runs/${id}/logs`)).json()).text,
        "line one\nline two\n",
      );
      const html = await (await app.request(`/training/${id}`)).text();
      assertStringIncludes(html, 'data-island="RunLive"');
      assertStringIncludes(html, "step 0");
    }),
});

Deno.test({
  name:
    "[training/routes] Re-run with changes opens the editor with the run's step and epoch limits",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const { run } = await createRun(
        storedRun(app.settings.volume, { maxEpochs: 3, maxSteps: 40 }),
      );
      const html = await (await app.request(`/training/${run.id}`)).text();
      const link = html.match(/<a[^>]*data-testid="relaunch"[^>]*>/)?.[0] ?? "";
      const href = new URL(
        (link.match(/href="([^"]+)"/)?.[1] ?? "").replaceAll("&amp;", "&"),
        "http://x",
      );
      assertEquals(href.pathname, "/configs/demo-classification/edit");
      assertEquals(href.searchParams.get("from"), "1");
      assertEquals(href.searchParams.get("training.max_epochs"), "3");
      assertEquals(href.searchParams.get("training.max_steps"), "40");
      const plain = await createRun(storedRun(app.settings.volume));
      const html2 = await (await app.request(`/training/${plain.run.id}`)).text();
      const link2 = html2.match(/<a[^>]*data-testid="relaunch"[^>]*>/)?.[0] ?? "";
      assert(!link2.includes("max_epochs"), "no limit when the run had none");
    }),
});

Deno.test("[training/routes] the ETA shows only once the job has measured its pace", () => {
  const base = storedRun("/Volumes/main/lakevision/data");
  const at = (step: number, etaSeconds: number | null, status = "running") =>
    renderToString(h(RunProgress, {
      run: {
        ...base,
        status: status as RunRecord["status"],
        phase: "training",
        progress: { step, totalSteps: 100, epoch: 1, etaSeconds },
      },
    }));
  assert(!at(0, 0).includes("ETA"), "step 0 reports 0 s: not known yet");
  assert(!at(0, 120).includes("ETA"), "before the first step");
  assert(!at(5, null).includes("ETA"));
  assertStringIncludes(at(5, 90), "ETA 1 min 30 s");
  assert(!at(100, 0, "succeeded").includes("ETA"), "not once it has ended");
});
