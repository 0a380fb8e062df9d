/**
 * Evaluation in the browser: two finished local detection runs (run folders as jobs/train.py
 * writes them, and the app's records of them) are opened, a confusion-matrix cell is clicked and
 * its images appear drawn, two runs are compared, and the HTML report is downloaded and opened
 * with every network request refused.
 */
import { assert, assertEquals } from "../assert.ts";
import { setKv } from "@/lib/store/kv.ts";
import { writeDetectionDataset, writeFinishedRun } from "../evaluation_testing.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

const A = "20261126-010000-aaaa", B = "20261126-020000-bbbb";

Deno.test({
  name:
    "[browser] evaluation: open a finished run, click a confusion cell to see its images, compare two runs, download a self-contained HTML report",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await startSession();
    // the server's KV is a SQLite file: the runs' records are added beside it, as a launch would
    const kv = await Deno.openKv(`${s.dataDir}/kv.sqlite3`);
    setKv(kv);
    try {
      const ds = await writeDetectionDataset(s.dataDir);
      await writeFinishedRun(s.dataDir, ds, {
        id: A,
        name: "boxes baseline",
        quality: 0.45,
        seed: 3,
        createdAt: Date.now() - 5000,
      });
      await writeFinishedRun(s.dataDir, ds, {
        id: B,
        name: "boxes longer",
        quality: 0.85,
        seed: 5,
      });
      const page = await s.newPage();

      await t.step("pick a run and see its evaluation", async () => {
        await page.goto(`${s.baseUrl}/evaluation`, { waitUntil: "networkidle" });
        await page.check(`#run-${A}`);
        await s.screenshot(page, "evaluation-picker");
        await Promise.all([
          page.waitForURL(`**/evaluation?runs=${A}`),
          page.click("button:has-text('Evaluate / compare')"),
        ]);
        await page.waitForLoadState("networkidle");
        await waitHydrated(page);
        assertEquals(await page.locator('[data-testid="trust"]').count(), 1);
        const map = await page.locator('[data-metric="map"] dd').first().textContent();
        assert(/^0\.\d{3}$/.test(map ?? ""), `mAP shown: ${map}`);
        assert(await page.locator('[data-chart="confidence-sweep"] canvas').count() === 1);
        assert(await page.locator('[data-testid="worst"] figure').count() > 0);
        await s.screenshot(page, "evaluation-run");
      });

      await t.step(
        "click a confusion-matrix cell: its images appear with boxes drawn",
        async () => {
          const cells = page.locator("[data-cell]:not([disabled])");
          let target = "";
          for (const c of await cells.all()) {
            const id = (await c.getAttribute("data-cell"))!;
            const [r, col] = id.split(",");
            if (r !== col) {
              target = id;
              break;
            }
          }
          assert(target, "an off-diagonal cell with cases");
          const count = Number(await page.locator(`[data-cell="${target}"]`).textContent());
          await page.click(`[data-cell="${target}"]`);
          await page.waitForSelector('[data-testid="cell-images"] figure');
          const figs = page.locator('[data-testid="cell-images"] figure');
          const n = await figs.count();
          assert(n >= 1 && n <= count, `${n} images for ${count} cases`);
          assert(
            await figs.first().locator('rect[data-kind="gt"]').count() > 0,
            "ground truth drawn",
          );
          assert(
            await figs.first().locator('rect[data-kind="dt"]').count() > 0,
            "predictions drawn",
          );
          // the picture itself loads from the volume
          const href = await figs.first().locator("image").getAttribute("href");
          const img = await fetch(`${s.baseUrl}${href}`);
          assertEquals(img.status, 200);
          assertEquals(img.headers.get("content-type"), "image/png");
          await img.body?.cancel();
          await page.locator('[data-testid="cell-images"]').scrollIntoViewIfNeeded();
          await s.screenshot(page, "evaluation-confusion-cell");
        },
      );

      await t.step(
        "sort the table, hide a column (remembered), download a chart as PNG",
        async () => {
          await page.click('[data-sort="name"]');
          const names = await page.locator('[data-testid="class-table"] tbody tr td:first-child')
            .allTextContents();
          assertEquals(names, [...names].sort());
          await page.locator('[data-testid="class-table"]').locator("xpath=..").locator("..")
            .locator("summary").click();
          await page.uncheck('[data-column="apSmall"]');
          const [dl] = await Promise.all([
            page.waitForEvent("download"),
            page.click('[data-chart="pr-curves-iou50"] button'),
          ]);
          assertEquals(dl.suggestedFilename(), "pr-curves-iou50.png");
          const bytes = await Deno.readFile((await dl.path())!);
          assertEquals([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
          const [dl2] = await Promise.all([
            page.waitForEvent("download"),
            page.click('[data-testid="confusion-png"]'),
          ]);
          assertEquals(dl2.suggestedFilename(), "confusion-matrix.png");
          const png2 = await Deno.readFile((await dl2.path())!);
          assertEquals([...png2.subarray(1, 4)], [0x50, 0x4e, 0x47]);
          // the print stylesheet (PDF) leaves out the navigation and the controls
          await page.emulateMedia({ media: "print" });
          assertEquals(await page.locator("aside").isVisible(), false);
          assertEquals(await page.locator('[data-testid="exports"]').isVisible(), false);
          await page.emulateMedia({ media: "screen" });
          await page.reload({ waitUntil: "networkidle" });
          await waitHydrated(page);
          const heads = await page.locator('[data-testid="class-table"] thead th')
            .allTextContents();
          assert(!heads.some((h) => h.startsWith("AP S")), heads.join("|"));
          assert(heads.some((h) => h.startsWith("AP50")), heads.join("|"));
        },
      );

      await t.step("compare two runs: deltas, overlays and the same images", async () => {
        await page.goto(`${s.baseUrl}/evaluation`, { waitUntil: "networkidle" });
        await page.check(`#run-${A}`);
        await page.check(`#run-${B}`);
        await Promise.all([
          page.waitForURL(`**/evaluation?runs=${A},${B}`),
          page.click("button:has-text('Evaluate / compare')"),
        ]);
        await page.waitForLoadState("networkidle");
        await waitHydrated(page);
        const delta = await page.locator('[data-testid="compare-metrics"] [data-delta]').first()
          .getAttribute("data-delta");
        assert(Number(delta) > 0, `the longer run is better: ${delta}`);
        assert(await page.locator('[data-chart="compare-pr"] canvas').count() === 1);
        const row = page.locator('[data-testid="side-by-side"] > div').first();
        assertEquals(await row.locator("figure").count(), 2);
        await s.screenshot(page, "evaluation-compare");
        // hiding a run's column and the deltas is remembered in this browser
        const deltas = '[data-testid="compare-metrics"] [data-delta]';
        await page.uncheck(`[data-column="${B}"]`);
        await page.uncheck('[data-column="deltas"]');
        assertEquals(await page.locator(`[data-testid="compare-metrics"] th[data-run]`).count(), 1);
        assertEquals(await page.locator(deltas).count(), 0);
        await page.reload({ waitUntil: "networkidle" });
        await waitHydrated(page);
        await page.waitForFunction(
          (sel) => document.querySelectorAll(sel).length === 0,
          `[data-testid="compare-metrics"] th[data-run="${B}"]`,
        );
        assertEquals(await page.locator(deltas).count(), 0);
        assertEquals(await page.isChecked('[data-column="deltas"]'), false);
        await page.check(`[data-column="${B}"]`);
        await page.check('[data-column="deltas"]');
        assert(await page.locator(deltas).count() > 0, "deltas shown again");
      });

      await t.step(
        "download the HTML report: it opens with every network request refused",
        async () => {
          const [dl] = await Promise.all([
            page.waitForEvent("download"),
            page.click('[data-format="html"]'),
          ]);
          const path = (await dl.path())!;
          const html = await Deno.readTextFile(path);
          assert(!html.includes('src="/') && !html.includes('href="/'), "no server references");
          const file = `${s.dataDir}/report.html`;
          await Deno.writeTextFile(file, html);
          const offline = await s.newPage();
          await offline.route(
            "**/*",
            (r) => r.request().url().startsWith("file:") ? r.continue() : r.abort(),
          );
          await offline.goto(`file://${file}`);
          const images = await offline.evaluate(() =>
            [...document.images].map((i) => i.complete && i.naturalWidth > 0)
          );
          assert(images.length >= 8 && images.every(Boolean), `charts drawn: ${images}`);
          await s.screenshot(offline, "evaluation-report-html");
          assertEquals(offline.errors, [], "report errors");
        },
      );
      assertEquals(page.errors, [], "console errors");
    } catch (e) {
      console.error(s.serverLog().slice(-4000));
      throw e;
    } finally {
      kv.close();
      await s.close();
    }
  },
});
