import { assert, assertClose, assertEquals } from "@/tests/assert.ts";
import { parseCocoGt, parseCocoResults } from "./coco_types.ts";
import { detectionReport } from "./detection_report.ts";

const FIX = new URL("../../tests/fixtures/coco/", import.meta.url);
const read = (f: string) => JSON.parse(Deno.readTextFileSync(new URL(f, FIX)));
const expected = read("expected.json");

Deno.test("[detection_report] bbox results: stats, sweep threshold and drill-downs agree", () => {
  const gt = parseCocoGt(read("instances_val2014_100.json"), "gt");
  const dts = parseCocoResults(read("instances_val2014_fakebbox100_results.json"), gt, "dt");
  const r = detectionReport(gt, dts);
  assertClose(r.bbox.stats.map, expected.bbox.stats[0], 1e-12, "map");
  assertEquals(r.segm, undefined);
  assertEquals(r.recommendedThreshold, r.sweep.overall.best.threshold);
  assertEquals(r.confusion.confidence, r.recommendedThreshold);
  // every counted ground truth lands in exactly one confusion-matrix row cell
  const C = r.confusion.catIds.length;
  const gtInMatrix = r.confusion.matrix.slice(0, C).flat().reduce((s, v) => s + v, 0);
  assertEquals(gtInMatrix, r.bbox.perCategory.reduce((s, c) => s + c.gt, 0));
  assertClose(r.errors.ap, expected.bbox.stats[1], 1e-12, "TIDE base AP is AP50");
  assertEquals([r.images, r.detections], [100, 734]);
});

Deno.test("[detection_report] mask results add the segm report", () => {
  const gt = parseCocoGt(read("instances_val2014_100.json"), "gt");
  const dts = parseCocoResults(read("instances_val2014_fakesegm100_results.json"), gt, "dt");
  const r = detectionReport(gt, dts);
  assert(r.segm);
  assertClose(r.segm.stats.map, expected.segm.stats[0], 1e-12, "segm map");
});
