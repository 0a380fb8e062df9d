import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { setKv } from "@/lib/store/kv.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import { evaluateCoco, parseCocoGt, parseCocoResults } from "@/lib/metrics/mod.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import { cellImageIds, imageDetails } from "@/lib/evaluation/images.ts";
import { listEvalRuns } from "@/lib/evaluation/sources.ts";
import { getRecommendedThreshold } from "@/lib/evaluation/threshold.ts";
import { compareRuns } from "@/lib/evaluation/compare.ts";
import { classRows } from "@/lib/evaluation/types.ts";
import { rleFromBbox, rleToString } from "@/lib/metrics/mask_rle.ts";
import { reportCsv, reportMarkdown } from "@/lib/evaluation/report.ts";
import { reportHtml } from "@/lib/evaluation/report_html.ts";
import { EVAL_VOLUME, writeDetectionDataset, writeFinishedRun } from "./evaluation_testing.ts";

async function setup() {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-eval-" });
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  const ws = createLocalWorkspace({ dataDir, volume: EVAL_VOLUME });
  const ds = await writeDetectionDataset(dataDir);
  const a = await writeFinishedRun(dataDir, ds, {
    id: "20261126-010000-aaaa",
    name: "boxes baseline",
    quality: 0.45,
    seed: 3,
    createdAt: Date.now() - 5000,
  });
  const b = await writeFinishedRun(dataDir, ds, {
    id: "20261126-020000-bbbb",
    name: "boxes longer",
    quality: 0.85,
    seed: 5,
  });
  return {
    dataDir,
    ws,
    ds,
    a,
    b,
    async [Symbol.asyncDispose]() {
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "[evaluation] a finished detection run's COCO stats equal a direct pycocotools-exact evaluation; threshold stored; cached by content",
  ...opts,
  async fn() {
    await using s = await setup();
    const first = await evaluateRun(s.ws, "20261126-010000-aaaa");
    const ev = first.evaluation;
    assertEquals(ev.kind, "detection");
    assertEquals(ev.inputs?.groundTruth, `${EVAL_VOLUME}/datasets/boxes/instances_val.json`);
    const gt = parseCocoGt(structuredClone(s.ds.gt), "gt");
    const dts = parseCocoResults(
      JSON.parse(
        await s.ws.files.readText(`${s.a.runDir}/predictions/val.json`),
      ),
      gt,
      "dt",
    );
    const direct = evaluateCoco(gt, dts, "bbox");
    assertEquals(ev.headline.find((h) => h.key === "map")?.value, direct.stats[0]);
    assertEquals(ev.detection!.report.bbox.stats.map_50, direct.stats[1]);
    assert(direct.stats[0] > 0 && direct.stats[0] < 1, `mAP ${direct.stats[0]}`);
    assertEquals(ev.logged.eval_map, direct.stats[0], "the job's logged mAP is read back");
    // every row of the confusion matrix counts the class's ground truths once
    const c = ev.detection!.report.confusion;
    const gtPerClass = c.labels.slice(0, -1).map((_, i) =>
      s.ds.gt.annotations.filter((a) => a.category_id === c.catIds[i]).length
    );
    const nCls = c.catIds.length;
    assertEquals(c.matrix.slice(0, nCls).map((r) => r.reduce((x, y) => x + y, 0)), gtPerClass);
    assertEquals(c.rowLabels.slice(nCls), ["background", "duplicate"]);
    assertEquals(c.matrix[nCls + 1], c.duplicates, "the duplicate row");
    const rec = await getRecommendedThreshold("20261126-010000-aaaa");
    assertEquals(rec?.threshold, ev.detection!.report.recommendedThreshold);
    assertEquals(rec?.contentHash, ev.contentHash);
    // second open: from the cache (same computedAt)
    const again = await evaluateRun(s.ws, "20261126-010000-aaaa");
    assertEquals(again.evaluation.computedAt, ev.computedAt);
    assertEquals(again.evaluation.history.find((h) => h.name === "loss")?.points.length, 10);
    // a rewritten predictions file is a new key: recomputed
    await s.ws.files.write(`${s.a.runDir}/predictions/val.json`, "[]", { overwrite: true });
    const empty = await evaluateRun(s.ws, "20261126-010000-aaaa");
    assert(empty.evaluation.contentHash !== ev.contentHash);
    assertEquals(empty.evaluation.headline.find((h) => h.key === "map")?.value, 0);
  },
});

Deno.test({
  name:
    "[evaluation] a confusion cell's images hold a ground truth of the row class and a prediction of the column class",
  ...opts,
  async fn() {
    await using s = await setup();
    const ev = await evaluateRun(s.ws, "20261126-010000-aaaa");
    const c = ev.evaluation.detection!.report.confusion;
    const n = c.catIds.length;
    let checked = 0;
    for (let r = 0; r < n; r++) {
      for (let col = 0; col < n; col++) {
        if (r === col || c.matrix[r][col] === 0) continue;
        const ids = cellImageIds(ev, r, col);
        assert(ids.length > 0 && ids.length <= c.matrix[r][col]);
        const imgs = await imageDetails(s.ws, "20261126-010000-aaaa", ids, {
          minScore: c.confidence,
          cached: ev,
        });
        for (const im of imgs) {
          assert(im.gt.some((g) => g.categoryId === c.catIds[r]), `image ${im.id} row`);
          assert(im.dt.some((d) => d.categoryId === c.catIds[col]), `image ${im.id} col`);
          assertEquals(im.path, `${EVAL_VOLUME}/datasets/boxes/val/${im.fileName}`);
        }
        checked++;
      }
    }
    assert(checked > 0, "the noisy run has off-diagonal cells");
  },
});

Deno.test({
  name:
    "[evaluation] run folders only the tracking side knows are listed and evaluated (disk paths mapped back to the volume)",
  ...opts,
  async fn() {
    await using s = await setup();
    await writeFinishedRun(s.dataDir, s.ds, {
      id: "20261126-030000-cccc",
      name: "x",
      quality: 0.6,
      seed: 9,
      record: false,
    });
    const { runs } = await listEvalRuns(s.ws);
    assertEquals(runs.map((r) => r.id).sort(), [
      "20261126-010000-aaaa",
      "20261126-020000-bbbb",
      "20261126-030000-cccc",
    ]);
    assertEquals(runs.find((r) => r.id === "20261126-030000-cccc")?.source, "tracking");
    const ev = await evaluateRun(s.ws, "20261126-030000-cccc");
    assertEquals(ev.evaluation.kind, "detection");
    assertEquals(ev.evaluation.inputs?.groundTruth, s.ds.gtPath);
    assertEquals(ev.evaluation.inputs?.imageDir, s.ds.imageDir);
  },
});

Deno.test({
  name:
    "[evaluation] comparison deltas, CSV/Markdown rows and a self-contained HTML report (no server references)",
  ...opts,
  async fn() {
    await using s = await setup();
    const a = (await evaluateRun(s.ws, "20261126-010000-aaaa")).evaluation;
    const b = (await evaluateRun(s.ws, "20261126-020000-bbbb")).evaluation;
    const cmp = compareRuns([a, b]);
    const map = cmp.metrics.find((m) => m.key === "map")!;
    assertEquals(map.deltas[1], map.values[1]! - map.values[0]!);
    assert(map.deltas[1]! > 0, "the better run is better");
    assertEquals(cmp.classes.map((c) => c.name).sort(), ["blue", "green", "red"]);
    const csv = reportCsv([a, b]);
    assert(csv.startsWith("run_id,run_name,section,class,metric,value\n"));
    assertStringIncludes(
      csv,
      `20261126-010000-aaaa,boxes baseline,coco_bbox,,map,${a.detection!.report.bbox.stats.map}`,
    );
    const md = reportMarkdown([a, b]);
    assertStringIncludes(md, "## Comparison");
    assertStringIncludes(md, "pycocotools");
    const html = reportHtml([a, b]);
    assert(!/(src|href)="\//.test(html), "no server references");
    assert(!/(src|href)="https?:/.test(html), "no network references");
    assert((html.match(/src="data:image\/svg\+xml;base64,/g) ?? []).length >= 8, "charts inline");
    assertStringIncludes(html, "@media print");
  },
});

Deno.test({
  name: "[evaluation] a run whose ground truth is missing gets a clear error naming the file",
  ...opts,
  async fn() {
    await using s = await setup();
    await s.ws.files.delete(s.ds.gtPath);
    await assertRejects(
      () => evaluateRun(s.ws, "20261126-010000-aaaa"),
      Error,
      `The ground-truth file ${s.ds.gtPath} does not exist.`,
    );
  },
});

Deno.test({
  name:
    "[evaluation] an instance-segmentation run (RLE masks, as the job writes) also gets mask mAP and a per-class table from it",
  ...opts,
  async fn() {
    await using s = await setup();
    const { record } = await writeFinishedRun(s.dataDir, s.ds, {
      id: "20261126-080000-inst",
      name: "masks",
      quality: 0.7,
      seed: 13,
    });
    const preds = JSON.parse(await s.ws.files.readText(`${record!.runDir}/predictions/val.json`));
    const sized = new Map(s.ds.gt.images.map((im) => [im.id, im]));
    for (const p of preds) {
      const im = sized.get(p.image_id)!;
      const r = rleFromBbox(p.bbox, im.height, im.width);
      p.segmentation = { size: [im.height, im.width], counts: rleToString(r) };
    }
    await s.ws.files.write(`${record!.runDir}/predictions/val.json`, JSON.stringify(preds), {
      overwrite: true,
    });
    const ev = (await evaluateRun(s.ws, "20261126-080000-inst")).evaluation;
    const rep = ev.detection!.report;
    assert(rep.segm, "segm evaluated");
    assertEquals(ev.headline.find((h) => h.key === "segm_map")?.value, rep.segm.stats.map);
    assertEquals(
      classRows(ev).map((r) => r.values.ap),
      rep.segm.perCategory.map((c) => c.ap),
    );
    // a ground truth without masks: boxes only, and the page says why
    const boxesOnly = `${EVAL_VOLUME}/datasets/boxes/boxes_only.json`;
    const noSeg = {
      ...s.ds.gt,
      annotations: s.ds.gt.annotations.map(({ segmentation: _, ...a }) => a),
    };
    await s.ws.files.write(boxesOnly, JSON.stringify(noSeg));
    const ev2 = (await evaluateRun(s.ws, "20261126-080000-inst", { gt: boxesOnly })).evaluation;
    assertEquals(ev2.detection!.report.segm, undefined);
    assertStringIncludes(ev2.note ?? "", "only boxes are evaluated");
  },
});
