import { assertClose, assertEquals } from "@/tests/assert.ts";
import { evaluateCoco } from "./coco_eval.ts";
import { parseCocoGt, parseCocoResults } from "./coco_types.ts";
import { cocoReport } from "./coco_report.ts";

const FIX = new URL("../../tests/fixtures/coco/", import.meta.url);
const read = (f: string) => JSON.parse(Deno.readTextFileSync(new URL(f, FIX)));

Deno.test("[coco_report] per-category rows agree with the summary stats", () => {
  const gt = parseCocoGt(read("instances_val2014_100.json"), "gt");
  const dts = parseCocoResults(read("instances_val2014_fakebbox100_results.json"), gt, "dt");
  const r = evaluateCoco(gt, dts, "bbox");
  const rep = cocoReport(r, new Map(gt.categories.map((c) => [c.id, c.name])));
  assertEquals(rep.perCategory.length, 80);
  assertClose(rep.stats.map, 0.5045806987249628, 1e-12, "map");
  const person = rep.perCategory.find((c) => c.name === "person")!;
  assertClose(person.ap, 0.5326060142444453, 1e-12, "person AP");
  // the mean of per-category AP50 over categories with GT is stats[1]
  const withGt = rep.perCategory.filter((c) => c.ap50 > -1);
  const mean50 = withGt.reduce((s, c) => s + c.ap50, 0) / withGt.length;
  assertClose(mean50, rep.stats.map_50, 1e-12, "AP50 mean");
  assertEquals(rep.perCategory.reduce((s, c) => s + c.dets, 0), 734);
  assertEquals(rep.recall.length, 101);
  assertEquals(rep.prCurves[String(person.id)].p50.length, 101);
  assertEquals(rep.perCategory.find((c) => c.name === "fire hydrant")!.gt, 0);
});
