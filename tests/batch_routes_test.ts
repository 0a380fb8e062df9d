/**
 * The batch pages and API in memory: the start form (Post/Redirect/Get, errors beside the
 * field), the detail page with its gallery, the results API, overlays drawn as SVG, images only
 * from the batch's input folder, the download, and cancel/resume through the API.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@/tests/assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { importModel } from "@/lib/registry/register.ts";
import { drainHere } from "@/lib/serving/batch/app_runner.ts";
import { createBatch } from "@/lib/serving/batch/records.ts";
import {
  APP_RUNNER_UNAVAILABLE,
  defaultRunner,
  parseBatchRequest,
  waitForBatch,
} from "@/lib/serving/batch/service.ts";
import { createApp } from "@/lib/web/app.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import { formPost, jsonPost, ROOT, testApp } from "@/tests/helpers.ts";

const FIX = new URL("./fixtures/onnx/tiny_classifier/", import.meta.url);

async function setup() {
  const t = await testApp();
  const volume = t.settings.volume;
  await importModel(
    { ws: t.workspace, volume, user: "tester" },
    await Deno.readFile(new URL("model.onnx", FIX)),
    await Deno.readTextFile(new URL("model.json", FIX)),
    { name: "main.cv.tiny" },
  );
  const dir = `${volume}/photos`;
  for (let i = 0; i < 3; i++) {
    const px = new Uint8Array(16 * 12 * 3).map((_, j) => (j * (i + 2)) % 256);
    await t.workspace.files.write(
      `${dir}/p${i}.png`,
      encodePng({ width: 16, height: 12, channels: 3, data: px }),
    );
  }
  return { t, volume, dir };
}

Deno.test("[batch routes] the form starts a batch; the detail page, results, overlay and download follow it", async () => {
  const { t, volume, dir } = await setup();
  try {
    const bad = await t.request(
      "/deployments/batch",
      formPost({ model: "main.cv.tiny", version: "1", input_path: `${volume}/missing` }),
    );
    assertEquals(bad.status, 400);
    assertStringIncludes(await bad.text(), "does not exist");
    // The version is picked from the registered ones; out-of-range params are said beside their
    // fields, in words.
    const form = await (await t.request("/deployments/batch")).text();
    assertMatch(form, /<select[^>]*name="ref"/);
    assertMatch(form, /<option value="main\.cv\.tiny@1" selected/);
    assertMatch(form, /<select name="endpoint"/);
    const params = await t.request(
      "/deployments/batch",
      formPost({ ref: "main.cv.tiny@1", input_path: dir, confidence_threshold: "7", top_k: "-2" }),
    );
    assertEquals(params.status, 400);
    const paramsHtml = await params.text();
    assertMatch(
      paramsHtml,
      /data-field-error="confidence_threshold"[^>]*>confidence threshold must be between 0 and 1, got 7</,
    );
    assertMatch(
      paramsHtml,
      /data-field-error="top_k"[^>]*>top-k must be a whole number from 1 to 1,000, got -2</,
    );
    assert(!/Too (big|small)|expected number/.test(paramsHtml), "no zod wording on the page");
    assertStringIncludes(paramsHtml, 'name="confidence_threshold" value="7"');
    const res = await t.request(
      "/deployments/batch",
      formPost({ model: "main.cv.tiny", version: "1", input_path: dir }),
    );
    assertEquals(res.status, 303);
    const loc = res.headers.get("location")!;
    const id = decodeURIComponent(loc.split("/").pop()!);
    const done = await waitForBatch(t.workspace, id, { everyMs: 50, timeoutMs: 30_000 });
    assertEquals(done.status, "succeeded", done.message);
    const page = await t.request(loc);
    assertEquals(page.status, 200);
    assertStringIncludes(page.headers.get("content-type") ?? "", "text/html");
    const html = await page.text();
    assertStringIncludes(html, "3 of 3");
    assertStringIncludes(html, `/api/batch/${id}/overlay?path=`);
    // The photo is its own <img> under the overlay (an SVG image never loads a linked photo).
    assertStringIncludes(html, `src="/api/batch/${id}/image?path=`);
    const list = await t.request("/deployments/batch");
    assertEquals(list.status, 200);
    const listHtml = await list.text();
    assertStringIncludes(listHtml, id);
    assertStringIncludes(listHtml, '<option value="app"');
    assert(
      !listHtml.includes(APP_RUNNER_UNAVAILABLE),
      "no reason shown where the app runs batches",
    );

    const results = await t.request(`/api/batch/${id}/results?limit=2`);
    assertEquals(results.status, 200);
    const body = await results.json();
    assertEquals([body.total, body.errors, body.rows.length], [3, 0, 2]);
    const svg = await t.request(
      `/api/batch/${id}/overlay?path=${encodeURIComponent(`${dir}/p1.png`)}`,
    );
    assertEquals(svg.status, 200);
    assertEquals(svg.headers.get("content-type"), "image/svg+xml");
    const text = await svg.text();
    assertStringIncludes(text, 'viewBox="0 0 16 12"');
    assertStringIncludes(text, "%</text>");
    assert(!text.includes("<image"), "the overlay links no photo");
    const img = await t.request(
      `/api/batch/${id}/image?path=${encodeURIComponent(`${dir}/p1.png`)}`,
    );
    assertEquals(img.status, 200);
    assertEquals(img.headers.get("content-type"), "image/png");
    await img.body?.cancel();
    for (const p of [`${volume}/models/main.cv.tiny/1/model.onnx`, `${dir}/../models/x.png`]) {
      const refused = await t.request(`/api/batch/${id}/image?path=${encodeURIComponent(p)}`);
      assertEquals(refused.status, 404, p);
      await refused.body?.cancel();
    }
    const dl = await t.request(`/api/batch/${id}/download`);
    assertEquals(dl.status, 200);
    assertStringIncludes(dl.headers.get("content-disposition") ?? "", "attachment");
    assertEquals((await dl.text()).trim().split("\n").length, 3);
  } finally {
    await drainHere();
    await t.close();
  }
});

Deno.test("[batch routes] the JSON API starts, refuses a bad request with its fields, and resumes only a stopped batch", async () => {
  const { t, dir } = await setup();
  try {
    const bad = await t.request(
      "/api/batch",
      jsonPost({ model: "main.cv.tiny", input: { kind: "folder", path: "/tmp" } }),
    );
    assertEquals(bad.status, 400);
    const err = (await bad.json()).error;
    assertStringIncludes(err.message, "must be a path in a volume");
    assertEquals(err.details[0].path, "input.path");
    const res = await t.request(
      "/api/batch",
      jsonPost({ model: "main.cv.tiny", version: "1", input: { kind: "folder", path: dir } }),
    );
    assertEquals(res.status, 201);
    const { batch } = await res.json();
    await waitForBatch(t.workspace, batch.id, { everyMs: 50, timeoutMs: 30_000 });
    const got = await t.request(`/api/batch/${batch.id}`);
    assertEquals((await got.json()).batch.status, "succeeded");
    const resume = await t.request(`/api/batch/${batch.id}/resume`, jsonPost({}));
    assertEquals(resume.status, 409);
    await resume.body?.cancel();
    const cancel = await t.request(`/api/batch/${batch.id}/cancel`, jsonPost({}));
    assertEquals(cancel.status, 200);
    assertEquals((await cancel.json()).batch.status, "succeeded");
  } finally {
    await drainHere();
    await t.close();
  }
});

Deno.test("[batch routes] on Deno Deploy the app's own runner is not offered, and asking for it is a 400 naming runner", async () => {
  await using fake = await setupFake();
  const local = await testApp();
  try {
    const settings = { ...local.settings, workspace: "databricks" as const, deploy: true };
    const app = await createApp({ settings, workspace: fake.ws, root: ROOT });
    const req = (p: string, init?: RequestInit) => app.request(`http://localhost${p}`, init);
    const volume = settings.volume;

    const page = await req("/deployments/batch");
    assertEquals(page.status, 200);
    const html = await page.text();
    assert(!html.includes('<option value="app"'), "no 'this app' runner on Deploy");
    assertStringIncludes(html, '<option value="job"');
    assertStringIncludes(html, APP_RUNNER_UNAVAILABLE);

    const input = { kind: "folder", path: `${volume}/photos` };
    const api = await req(
      "/api/batch",
      jsonPost({ model: "main.cv.tiny", version: "1", input, runner: "app" }),
    );
    assertEquals(api.status, 400);
    const err = (await api.json()).error;
    assertStringIncludes(err.message, 'runner "app"');
    assertEquals(err.details.map((d: { path: string }) => d.path), ["runner"]);

    const form = await req(
      "/deployments/batch",
      formPost({ model: "main.cv.tiny", version: "1", input_path: input.path, runner: "app" }),
    );
    assertEquals(form.status, 400);
    const formHtml = await form.text();
    assertStringIncludes(formHtml, "runner &quot;app&quot;");
    assertStringIncludes(formHtml, "not available on this host");

    // A batch the app ran elsewhere (same store) cannot be resumed here on the app's runner.
    const now = Date.now();
    const { batch } = await createBatch({
      id: "b-elsewhere",
      name: "ran in the app",
      createdAt: now - 60_000,
      createdBy: "tester",
      model: "main.cv.tiny",
      version: "1",
      modelDir: `${volume}/models/main.cv.tiny/1`,
      input: { kind: "folder", path: input.path },
      output: { kind: "file", path: `${volume}/batch/b-elsewhere/results.jsonl` },
      runner: "app",
      params: {},
      runDir: `${volume}/batch/b-elsewhere`,
      status: "failed",
      phase: "failed",
      command: [],
      attempt: 1,
      progress: null,
      endedAt: now - 30_000,
      updatedAt: now - 30_000,
      idempotencyToken: "elsewhere-token",
    });
    const resume = await req(`/api/batch/${batch.id}/resume`, jsonPost({}));
    assertEquals(resume.status, 400);
    const rerr = (await resume.json()).error;
    assertEquals(rerr.details.map((d: { path: string }) => d.path), ["runner"]);

    // "auto" picks a workspace job there; where jobs run on this machine it is the app, unless
    // the host cannot run it.
    const auto = parseBatchRequest({ model: "m.s.x", version: "1", input });
    assertEquals(defaultRunner({ ws: fake.ws, appRunner: false }, auto), "job");
    assertEquals(defaultRunner({ ws: local.workspace }, auto), "app");
    assertEquals(defaultRunner({ ws: local.workspace, appRunner: false }, auto), "job");
  } finally {
    await local.close();
  }
});

Deno.test("[batch routes] a Parquet batch that did not finish offers its rows so far as JSONL, and its Parquet download says why there is none", async () => {
  const { t, volume, dir } = await setup();
  try {
    const now = Date.now();
    const out = `${volume}/batch/b-parquet/results.parquet`;
    const rows = [0, 1].map((i) =>
      JSON.stringify({ path: `${dir}/p${i}.png`, prediction: { top_k: [] }, error: null })
    );
    await t.workspace.files.write(`${out}.log.jsonl`, new TextEncoder().encode(rows.join("\n")));
    const { batch } = await createBatch({
      id: "b-parquet",
      name: "cut short",
      createdAt: now - 60_000,
      createdBy: "tester",
      model: "main.cv.tiny",
      version: "1",
      modelDir: `${volume}/models/main.cv.tiny/1`,
      input: { kind: "folder", path: dir },
      output: { kind: "file", path: out },
      runner: "job",
      params: {},
      runDir: `${volume}/batch/b-parquet`,
      status: "cancelled",
      phase: "cancelled",
      command: [],
      attempt: 1,
      progress: null,
      endedAt: now - 30_000,
      updatedAt: now - 30_000,
      idempotencyToken: "parquet-token",
    });
    const html = await (await t.request(`/deployments/batch/${batch.id}`)).text();
    assertStringIncludes(html, `href="/api/batch/${batch.id}/download?so_far=1"`);
    assertStringIncludes(html, "rows so far (JSONL)");
    assertStringIncludes(html, "no Parquet file: the batch cancelled");
    assert(!html.includes(`href="/api/batch/${batch.id}/download"`), "no Parquet link");
    const refused = await t.request(`/api/batch/${batch.id}/download`);
    assertEquals(refused.status, 409);
    assertStringIncludes((await refused.json()).error.message, "was not written");
    const soFar = await t.request(`/api/batch/${batch.id}/download?so_far=1`);
    assertEquals(soFar.status, 200);
    assertStringIncludes(
      soFar.headers.get("content-disposition") ?? "",
      "b-parquet-results-so-far.jsonl",
    );
    assertEquals((await soFar.text()).trim().split("\n").length, 2);
  } finally {
    await drainHere();
    await t.close();
  }
});
