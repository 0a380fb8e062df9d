/**
 * The first-run path in a browser, on a fresh data dir with the demo on: the demo seeds itself,
 * the home page guides; open a demo configuration and activate it, scan its dataset and see
 * every planted problem, launch a local run and watch it succeed, and see the home page tick
 * each step. Screenshots of each step go to tests/.screenshots/demo-*.png. The run is skipped
 * (with a notice) without a Python that has torch.
 */
import { assert, assertEquals } from "../assert.ts";
import type { DemoManifest } from "@/lib/demo/manifest.ts";
import { findPython } from "@/lib/workspace/local/python.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";
import type { Page } from "playwright-core";

const HAVE_TORCH = !!(await findPython(Deno.env.get("LAKEVISION_PYTHON"))).chosen?.torch;
if (HAVE_CHROMIUM && !HAVE_TORCH) {
  console.log("NOTICE: the demo browser test skips its training step: no Python with torch.");
}

/** Reloads the home page until the demo finished seeding. */
async function waitSeeded(page: Page, base: string): Promise<void> {
  for (let i = 0; i < 180; i++) {
    await page.goto(`${base}/`, { waitUntil: "domcontentloaded" });
    if (await page.locator('[data-demo="ready"]').count()) return;
    const failed = await page.locator('[data-demo="failed"]').textContent().catch(() => null);
    if (failed) throw new Error(`seeding failed: ${failed}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error("the demo did not finish seeding within 3 minutes");
}

async function stepDone(page: Page, id: string): Promise<boolean> {
  return await page.locator(`[data-step="${id}"]`).getAttribute("data-done") === "true";
}

/** Console errors other than requests cut short by a navigation (expected). */
function realErrors(page: { errors: string[] }): string[] {
  return page.errors.filter((e) => !/net::ERR_ABORTED/.test(e));
}

/** Scans `path` on the Data EDA page and checks each planted problem is listed. */
async function scanAndCheck(
  page: Page,
  base: string,
  path: string,
  planted: DemoManifest["datasets"][number]["planted"],
): Promise<void> {
  await page.goto(`${base}/data?path=${encodeURIComponent(path)}`, { waitUntil: "networkidle" });
  await waitHydrated(page);
  await page.getByRole("button", { name: "Scan", exact: true }).click();
  await page.waitForSelector("[data-result]", { timeout: 60_000 });
  for (const p of planted) {
    const rows = await page.locator(`[data-problems] tr[data-code="${p.code}"]`).count();
    assert(rows >= 1, `${path}: the problem list has no ${p.code} (${p.what})`);
  }
  // thumbnails finish loading before the screenshot
  await page.waitForLoadState("networkidle");
}

Deno.test({
  name:
    "[browser] demo: first start seeds; activate a demo config, scan its dataset and see the planted problems, train locally to success, evaluate it; home page ticks each step",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await startSession({ LAKEVISION_DEMO: "1", OMP_NUM_THREADS: "2" });
    try {
      const page = await s.newPage();
      page.on("dialog", (d) => d.accept());
      await t.step("first start: the demo seeds itself and the home page guides", async () => {
        await waitSeeded(page, s.baseUrl);
        assertEquals(await page.locator("[data-step]").count(), 7);
        assertEquals(await page.locator('[data-done="true"]').count(), 0);
        assert(await page.locator('a[href="/configs/demo-classification"]').count());
        await s.screenshot(page, "demo-1-home-seeded");
      });

      const manifest: DemoManifest = JSON.parse(
        await Deno.readTextFile(`${s.dataDir}/volumes/demo/cv/data/demo-manifest.json`),
      );
      const cls = manifest.datasets.find((d) => d.id === "shapes-classification")!;
      const det = manifest.datasets.find((d) => d.id === "shapes-detection")!;

      await t.step("open the demo configuration and activate it", async () => {
        await page.click('a[href="/configs/demo-classification"]');
        await page.waitForURL(/\/configs\/demo-classification$/);
        await s.screenshot(page, "demo-2-config");
        await Promise.all([
          page.waitForURL(/\/configs\/demo-classification/),
          page.click("button[value=activate]"),
        ]);
        await page.goto(`${s.baseUrl}/`);
        assert(await stepDone(page, "config"), "the config step is ticked");
      });

      await t.step(
        "scan its dataset from the home page link: every planted problem is listed",
        async () => {
          // From the home page: Data EDA offers the active config's splits; scan them together.
          await page.click('[data-step="scan"] a');
          await page.waitForURL(/\/data$/);
          await waitHydrated(page);
          await page.getByRole("button", { name: /Scan all 2 splits together/ }).click();
          await page.waitForSelector("[data-result]", { timeout: 60_000 });
          for (const p of cls.planted) {
            const rows = await page.locator(`[data-problems] tr[data-code="${p.code}"]`).count();
            assert(rows >= 1, `the problem list has no ${p.code} (${p.what})`);
          }
          await page.waitForLoadState("networkidle");
          await s.screenshot(page, "demo-3-scan-classification");
          // the detection set's planted box and id mistakes show up the same way
          await scanAndCheck(page, s.baseUrl, det.path, det.planted);
          await s.screenshot(page, "demo-4-scan-detection");
          assertEquals(realErrors(page), [], "console errors");
          await page.goto(`${s.baseUrl}/`);
          assert(await stepDone(page, "scan"), "the scan step is ticked");
          const detail = await page.locator('[data-step="scan"]').textContent() ?? "";
          assert(/\d+ problems? found/.test(detail), detail);
        },
      );

      if (!HAVE_TORCH) return;
      await t.step("launch a local run of the demo config and watch it succeed", async () => {
        await page.click('[data-step="train"] a');
        await page.waitForURL(/\/training\/new/);
        await waitHydrated(page);
        await page.selectOption("#config", "demo-classification@1");
        await page.fill("#maxSteps", "8");
        await s.screenshot(page, "demo-5-launch");
        await Promise.all([
          page.waitForURL(/\/training\/\d{8}-/),
          page.click("button:has-text('Launch')"),
        ]);
        await waitHydrated(page);
        await page.waitForSelector('[data-status="succeeded"]', { timeout: 480_000 });
        await page.reload({ waitUntil: "networkidle" });
        await s.screenshot(page, "demo-6-run-succeeded");
        const id = page.url().split("/").pop()!;
        const res = await fetch(`${s.baseUrl}/api/runs/${id}`);
        const { run } = await res.json();
        assertEquals(run.status, "succeeded");
        assertEquals(run.config.name, "demo-classification");
        assert(
          Object.keys(run.lastMetrics).some((k) => k.startsWith("eval_")),
          JSON.stringify(run.lastMetrics),
        );
      });

      await t.step("evaluate the run from the home page: the step ticks", async () => {
        await page.goto(`${s.baseUrl}/`, { waitUntil: "networkidle" });
        for (const id of ["config", "scan", "train"]) {
          assert(await stepDone(page, id), `step ${id} is ticked`);
        }
        assert(!(await stepDone(page, "evaluate")), "not evaluated before Evaluation opens it");
        await page.click('[data-step="evaluate"] a');
        await page.waitForURL(/\/evaluation\?runs=/);
        await page.waitForSelector('[data-testid="run-view"] [data-testid="headline"]', {
          timeout: 60_000,
        });
        await page.waitForLoadState("networkidle");
        await s.screenshot(page, "demo-7-evaluation");
        assertEquals(realErrors(page), [], "console errors");
        await page.goto(`${s.baseUrl}/`, { waitUntil: "networkidle" });
        assert(await stepDone(page, "evaluate"), "the evaluate step is ticked");
        assertEquals(await page.locator('[data-done="true"]').count(), 4);
        await s.screenshot(page, "demo-8-home-progress");
      });
    } catch (e) {
      console.error(s.serverLog().slice(-4000));
      throw e;
    } finally {
      await s.close();
    }
  },
});
