/**
 * Training in the browser on the local workspace with real PyTorch: launch a tiny config on a
 * generated ImageFolder set and watch it live to success; cancel a run mid-training; resume it
 * and see the step count continue. Skipped without Chromium or without a Python that has torch.
 */
import { assert, assertEquals } from "../assert.ts";
import { findPython } from "@/lib/workspace/local/python.ts";
import { tinyConfig, VOLUME } from "../training_testing.ts";
import {
  api,
  HAVE_CHROMIUM,
  makeShapesDataset,
  SCREENSHOTS as SHOTS,
  startSession,
  waitHydrated,
} from "./harness.ts";
import type { Page } from "playwright-core";

const python = (await findPython(Deno.env.get("LAKEVISION_PYTHON"))).chosen;
const HAVE_TORCH = !!python?.torch;
if (HAVE_CHROMIUM && !HAVE_TORCH) {
  console.log("NOTICE: training browser tests skipped: no Python with torch found.");
}

/** Console errors other than the event stream being closed by a navigation (expected). */
function realErrors(page: { errors: string[] }): string[] {
  return page.errors.filter((e) => !/\/events net::ERR_ABORTED/.test(e));
}

async function stepsShown(page: Page): Promise<number> {
  const text = await page.locator('[data-testid="steps"]').textContent() ?? "";
  return Number(text.match(/step (\d+)/)?.[1] ?? -1);
}

async function lossPoints(page: Page): Promise<number> {
  return Number(
    await page.locator('[data-chart="Loss"] [data-points]').getAttribute("data-points") ?? -1,
  );
}

Deno.test({
  name:
    "[browser] training: launch → live progress and loss chart → success with ONNX and predictions; cancel < 5 s; resume continues the steps",
  ignore: !HAVE_CHROMIUM || !HAVE_TORCH,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await startSession({ OMP_NUM_THREADS: "2" });
    try {
      await makeShapesDataset(s.dataDir, python!.path);
      await api(s.baseUrl, "/api/configs", { name: "shapes", doc: tinyConfig(VOLUME) });
      const page = await s.newPage();
      page.on("dialog", (d) => d.accept());

      await t.step("launch from the form and watch it to success", async () => {
        await page.goto(`${s.baseUrl}/training/new`, { waitUntil: "networkidle" });
        await waitHydrated(page);
        await page.selectOption("#config", "shapes@1");
        await page.fill("#maxSteps", "6");
        await page.click('[data-testid="summary"] summary');
        const cmd = await page.locator('[data-testid="command"]').textContent();
        assert(cmd?.includes("--max-steps 6"), cmd ?? "");
        await s.screenshot(page, "training-new");
        // The launch answers with the run's page; on a loaded machine (the whole suite training
        // models at once) that can take a while. A refused launch stays on the form with its
        // reason, which the failure then quotes.
        await Promise.all([
          page.waitForURL(/\/training\/\d{8}-/, { timeout: 90_000 }).catch(async (e) => {
            const said = await page.locator('[role="alert"], [data-testid="problem"]')
              .allTextContents().catch(() => [] as string[]);
            throw new Error(`Launch did not open the run page: ${said.join(" | ") || e}`);
          }),
          page.click("button:has-text('Launch')"),
        ]);
        await waitHydrated(page);
        await page.waitForSelector('[data-link="sse"]', { timeout: 20_000 });
        // Every distinct loss-point count the chart shows from here on, without a reload: the
        // chart grew live when it has shown two. (Sampling once and waiting for more could miss
        // it on a loaded machine, where the rest of a short run can arrive in one event.)
        await page.evaluate(() => {
          const seen: number[] = [];
          (globalThis as unknown as { lossCounts: number[] }).lossCounts = seen;
          const read = () => {
            const v = Number(
              document.querySelector('[data-chart="Loss"] [data-points]')?.getAttribute(
                "data-points",
              ),
            );
            if (v > 0 && seen[seen.length - 1] !== v) seen.push(v);
          };
          read();
          new MutationObserver(read).observe(document.body, {
            subtree: true,
            childList: true,
            characterData: true,
            attributes: true,
          });
        });
        // Progress and the loss chart update live, without a reload.
        await page.waitForFunction(
          () =>
            /step [1-9]/.test(document.querySelector('[data-testid="steps"]')?.textContent ?? ""),
          null,
          { timeout: 180_000 },
        );
        // The step comes with the run record and the loss with the metrics, two events of the
        // stream (the record can also be pushed by the background refresh): wait for both.
        await page.waitForFunction(
          () =>
            Number(
              document.querySelector('[data-chart="Loss"] [data-points]')?.getAttribute(
                "data-points",
              ),
            ) >= 1,
          null,
          { timeout: 120_000 },
        );
        const firstSteps = await stepsShown(page);
        const firstPoints = await lossPoints(page);
        assert(firstPoints >= 1, `loss points ${firstPoints}`);
        await s.screenshot(page, "training-run-live");
        await page.waitForFunction(
          () => (globalThis as unknown as { lossCounts: number[] }).lossCounts.length >= 2,
          null,
          { timeout: 120_000 },
        );
        // The step counter moves on too (the chart can gain an eval point first, so wait for it).
        await page.waitForFunction(
          (n) => {
            const m = (document.querySelector('[data-testid="steps"]')?.textContent ?? "")
              .match(/step (\d+)/);
            return !!m && (Number(m[1]) > n || Number(m[1]) === 6);
          },
          firstSteps,
          { timeout: 120_000 },
        );
        await page.waitForSelector('[data-status="succeeded"]', { timeout: 240_000 });
        await page.waitForSelector('[data-testid="toast"]');
        assert((await page.title()).startsWith("✓"), await page.title());
        await page.reload({ waitUntil: "networkidle" });
        const outputs = await page.locator('[data-testid="outputs"]').textContent() ?? "";
        assert(outputs.includes("model.onnx"), outputs);
        assert(outputs.includes("predictions/"), outputs);
        const id = page.url().split("/").pop()!;
        const { run } = await api(s.baseUrl, `/api/runs/${id}`);
        assertEquals(run.status, "succeeded");
        assertEquals(run.progress.step, 6);
        assert(
          await Deno.stat(
            `${s.dataDir}/volumes/main/lakevision/data/runs/${id}/predictions/val.json`,
          ),
        );
        await s.screenshot(page, "training-run-succeeded");
        assertEquals(realErrors(page), [], "console errors");
      });

      let cancelledId = "";
      let cancelledStep = 0;
      await t.step("cancel a run mid-training: cancelled within 5 s", async () => {
        const { run } = await api(s.baseUrl, "/api/runs", {
          config: { name: "shapes", version: 1 },
          compute: { kind: "local", device: "cpu" },
          maxSteps: 400,
          maxEpochs: 100,
        });
        cancelledId = run.id;
        await page.goto(`${s.baseUrl}/training/${run.id}`, { waitUntil: "domcontentloaded" });
        await waitHydrated(page);
        // Past the first epoch, so a checkpoint exists even if the step in flight is cut short.
        await page.waitForFunction(
          () =>
            Number(
              document.querySelector('[data-testid="steps"]')?.textContent?.match(/step (\d+)/)
                ?.[1],
            ) >= 5,
          null,
          { timeout: 240_000 },
        );
        const t0 = Date.now();
        await page.click("button:has-text('Cancel')");
        await page.waitForSelector('[data-status="cancelled"]', { timeout: 5_000 });
        const took = Date.now() - t0;
        assert(took < 5_000, `cancel took ${took} ms`);
        await s.screenshot(page, "training-run-cancelled");
        const back = await api(s.baseUrl, `/api/runs/${run.id}/metrics`);
        cancelledStep = Math.max(
          ...back.points.filter((p: { name: string }) => p.name === "loss").map((
            p: { step: number },
          ) => p.step),
        );
      });

      await t.step("resume the cancelled run: the new run continues the step count", async () => {
        await page.waitForSelector("button:has-text('Resume')");
        await page.screenshot({ path: `${SHOTS}/training-before-resume.png` });
        await Promise.all([
          page.waitForURL(
            (u) => !u.pathname.endsWith(cancelledId) && /\/training\/\d{8}-/.test(u.pathname),
            { timeout: 60_000 },
          ),
          page.click("button:has-text('Resume')"),
        ]);
        await waitHydrated(page);
        const id = page.url().split("/").pop()!;
        const { run } = await api(s.baseUrl, `/api/runs/${id}`);
        assertEquals(run.resumedFrom, cancelledId);
        let pts: { step: number }[] = [];
        for (let i = 0; i < 600 && pts.length === 0; i++) {
          pts = (await api(s.baseUrl, `/api/runs/${id}/metrics`)).points
            .filter((p: { name: string }) => p.name === "loss");
          if (!pts.length) await new Promise((r) => setTimeout(r, 250));
        }
        // The cancelled run may finish the step in flight before it stops: read its last step now.
        const parent = await api(s.baseUrl, `/api/runs/${cancelledId}/metrics`);
        cancelledStep = Math.max(
          ...parent.points.filter((p: { name: string }) => p.name === "loss").map((
            p: { step: number },
          ) => p.step),
        );
        // It continues from the cancelled run's checkpoint (step 4 or later), not from step 1.
        assert(
          pts[0].step >= 5 && pts[0].step <= cancelledStep + 1,
          `first resumed step ${pts[0].step}; the cancelled run reached ${cancelledStep}`,
        );
        await page.waitForFunction(
          (n) =>
            Number(
              document.querySelector('[data-testid="steps"]')?.textContent?.match(/step (\d+)/)
                ?.[1],
            ) >= n,
          pts[0].step,
          { timeout: 60_000 },
        );
        await s.screenshot(page, "training-run-resumed");
        await api(s.baseUrl, `/api/runs/${id}/cancel`, {});
        await page.waitForSelector('[data-status="cancelled"]', { timeout: 10_000 });
        await page.goto(`${s.baseUrl}/training`, { waitUntil: "networkidle" });
        await s.screenshot(page, "training-list");
        assertEquals(await page.locator("tr[data-run]").count(), 3);
        assertEquals(realErrors(page), [], "console errors");
      });
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name:
    "[browser] training: the run page's outputs follow the live run without a reload — files written while it runs, the final ones once when it ends",
  ignore: !HAVE_CHROMIUM || !HAVE_TORCH,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await startSession({ OMP_NUM_THREADS: "2" });
    try {
      await makeShapesDataset(s.dataDir, python!.path);
      await api(s.baseUrl, "/api/configs", { name: "shapes", doc: tinyConfig(VOLUME) });
      const page = await s.newPage();
      const { run } = await api(s.baseUrl, "/api/runs", {
        config: { name: "shapes", version: 1 },
        compute: { kind: "local", device: "cpu" },
        maxSteps: 8,
        maxEpochs: 2,
      });
      // When the page lists the run folder (downloads, `?path=`, are not listings).
      const listings: number[] = [];
      page.on("request", (r) => {
        const u = new URL(r.url());
        if (u.pathname === `/api/runs/${run.id}/files` && !u.searchParams.has("path")) {
          listings.push(Date.now());
        }
      });
      const files = () =>
        page.locator('[data-testid="outputs"] a').allTextContents().catch(() => [] as string[]);
      await page.goto(`${s.baseUrl}/training/${run.id}`, { waitUntil: "domcontentloaded" });
      await waitHydrated(page);
      await page.waitForSelector('[data-link="sse"]', { timeout: 20_000 });
      const rendered = await files();
      // a reload would make a new document, without this mark
      await page.evaluate(() => (document.body.dataset.sameDocument = "yes"));

      // While it runs, a file it writes (a checkpoint after its first evaluation, say) is listed.
      const shown = await page.waitForFunction(
        (before) => {
          const status = document.querySelector("[data-run-id] [data-status]")
            ?.getAttribute("data-status");
          const now = [...document.querySelectorAll('[data-testid="outputs"] a')]
            .map((a) => a.textContent ?? "");
          const added = now.filter((f) => !before.includes(f));
          return added.length ? { status, added } : null;
        },
        rendered,
        { timeout: 240_000, polling: 100 },
      );
      const mid = await shown.jsonValue() as { status: string; added: string[] };
      assert(
        !["succeeded", "failed", "cancelled"].includes(mid.status),
        `${mid.added.join(", ")} listed only once the run was ${mid.status}`,
      );
      // The first evaluation's checkpoint too, before the run ends.
      const ckpt = await page.waitForFunction(
        () => {
          const text = document.querySelector('[data-testid="outputs"]')?.textContent ?? "";
          return text.includes("checkpoints/last.pt") &&
            document.querySelector("[data-run-id] [data-status]")?.getAttribute("data-status");
        },
        null,
        { timeout: 240_000, polling: 100 },
      );
      const ckptStatus = await ckpt.jsonValue() as string;
      assert(
        !["succeeded", "failed", "cancelled"].includes(ckptStatus),
        `the checkpoint was listed only once the run was ${ckptStatus}`,
      );
      await s.screenshot(page, "training-outputs-running");

      // Once it ends, the final files are listed — once: the event stream goes on sending the
      // ended run for a while, and no timer lists the folder again.
      await page.waitForSelector('[data-run-id] [data-status="succeeded"]', { timeout: 240_000 });
      await page.waitForFunction(
        () => {
          const text = document.querySelector('[data-testid="outputs"]')?.textContent ?? "";
          return text.includes("model.onnx") && text.includes("predictions/val.json");
        },
        null,
        { timeout: 10_000 },
      );
      await new Promise((r) => setTimeout(r, 6_000));
      const { run: ended } = await api(s.baseUrl, `/api/runs/${run.id}`);
      const afterEnd = listings.filter((t) => t >= ended.endedAt);
      assertEquals(afterEnd.length, 1, `${afterEnd.length} listings after the run ended`);
      assertEquals(await page.evaluate(() => document.body.dataset.sameDocument), "yes");
      await page.locator('[data-testid="outputs-box"]').scrollIntoViewIfNeeded();
      await s.screenshot(page, "training-outputs-ended");
      assertEquals(realErrors(page), [], "console errors");
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      await s.close();
    }
  },
});
