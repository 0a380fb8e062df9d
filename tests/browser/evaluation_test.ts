/**
 * Evaluation in the browser: two finished local detection runs (run folders as jobs/train.py
 * writes them, and the app's records of them) are opened, a confusion-matrix cell is clicked and
 * its images appear drawn, two runs are compared, and the HTML report is downloaded and opened
 * with every network request refused. Then a run with a duplicate box shows it in the duplicate
 * row's close-up, and a detection run compared with a classification run shows shared metrics
 * only.
 */
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { setKv } from "@/lib/store/kv.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import {
  EVAL_VOLUME,
  put,
  taskRunRecord,
  writeDetectionDataset,
  writeFinishedRun,
} from "../evaluation_testing.ts";
import { writeDuplicateRun } from "../evaluation_dupes_testing.ts";
import { HAVE_CHROMIUM, SCREENSHOTS, startSession, waitHydrated } from "./harness.ts";

const A = "20261126-010000-aaaa", B = "20261126-020000-bbbb";
const C = "20261126-090000-dupe", D = "20261126-100000-clsx";

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
      await t.step(
        "an extra box on a matched object: the duplicate row's close-up draws it in front; worst images at the threshold",
        async () => {
          const ws = createLocalWorkspace({ dataDir: s.dataDir, volume: EVAL_VOLUME });
          const { first, cats } = await writeDuplicateRun(s.dataDir, ws, ds, C);
          await page.goto(`${s.baseUrl}/evaluation?runs=${C}`, { waitUntil: "networkidle" });
          await waitHydrated(page);
          const col = [...cats].sort((a, b) => a - b).indexOf(first.category_id);
          const dup = `${cats.length + 1},${col}`;
          const heads = await page.locator('[data-testid="confusion"] tbody th').allTextContents();
          assertEquals(heads.slice(-2), ["background", "duplicate"]);
          assertEquals(await page.locator(`[data-cell="${dup}"]`).textContent(), "1");
          assertEquals(
            await page.locator(`[data-cell="${cats.length},${col}"]`).textContent(),
            "0",
          );
          await page.click(`[data-cell="${dup}"]`);
          const fig = page.locator('[data-testid="cell-images"] figure');
          await fig.first().waitFor();
          assertEquals(await fig.count(), 1);
          assertStringIncludes(
            (await page.locator('[data-testid="cell-images"] h3').textContent()) ?? "",
            "already matched (duplicates): 1 case in 1 image",
          );
          // the counted box is drawn, in front of the wrong-class box on the same spot
          const groups = fig.locator("svg > g");
          const last = groups.nth((await groups.count()) - 1);
          assertEquals(await last.getAttribute("data-in-cell"), "");
          assertEquals(await last.locator("rect").getAttribute("data-verdict"), "dupe");
          assertStringIncludes((await last.locator("text").textContent()) ?? "", "0.52 dupe");
          // and its label is not under the other box's label
          const boxes = await fig.locator("svg > g text").evaluateAll((els) =>
            els.map((e) => {
              const r = e.getBoundingClientRect();
              return [r.left, r.top, r.right, r.bottom];
            })
          );
          const [a, ...others] = boxes.reverse();
          assert(
            others.every((b) => a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1]),
            `labels overlap: ${JSON.stringify(boxes)}`,
          );
          await fig.first().screenshot({ path: `${SCREENSHOTS}/evaluation-duplicate-cell.png` });
          // worst images: counted at the recommended threshold, the weak corner boxes left out
          const worst = page.locator("#worst");
          assertStringIncludes(
            (await worst.locator("h2").textContent()) ?? "",
            "confidence ≥ 0.52",
          );
          assertEquals(await worst.locator("figure").count(), 1);
          assertStringIncludes(
            (await worst.locator("figcaption").textContent()) ?? "",
            "1 false pos. · 0 missed",
          );
        },
      );

      await t.step(
        "compare a detection and a classification run: shared metrics only",
        async () => {
          const rec = await taskRunRecord(D, "classification", {}, s.dataDir);
          const disk = (vp: string) => `${s.dataDir}/volumes/${vp.slice("/Volumes/".length)}`;
          const rows = [0, 1, 1, 0].map((label, i) => ({
            image_id: i,
            file_name: `${i}.png`,
            label,
            top_k: [{ label: i % 2, label_name: String(i % 2), score: 0.8 }],
          }));
          await put(disk(`${rec.runDir}/predictions/val.json`), JSON.stringify(rows));
          await put(
            disk(`${rec.runDir}/model.json`),
            JSON.stringify({ task: "classification", labels: ["cat", "dog"] }),
          );
          await put(
            disk(`${rec.runDir}/metrics.jsonl`),
            [1, 2].map((step) => JSON.stringify({ step, name: "loss", value: 1 / step, ts: step }))
              .join("\n") + "\n",
          );
          await page.goto(`${s.baseUrl}/evaluation?runs=${A},${D}`, { waitUntil: "networkidle" });
          await waitHydrated(page);
          assertStringIncludes(
            (await page.locator('[data-testid="compare-warning"]').textContent()) ?? "",
            "(detection, classification): they share no metric to compare",
          );
          assertEquals(await page.locator('[data-testid="compare-metrics"] tbody tr').count(), 0);
          assertEquals(await page.locator('[data-chart^="compare-loss"]').count(), 0);
          await s.screenshot(page, "evaluation-compare-mixed");
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
