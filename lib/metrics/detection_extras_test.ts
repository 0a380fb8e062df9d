import { assertClose, assertEquals } from "@/tests/assert.ts";
import { detectionConfusion } from "./det_confusion.ts";
import { tideErrors } from "./det_errors.ts";
import { confidenceSweep } from "./conf_sweep.ts";
import { evaluateCoco } from "./coco_eval.ts";
import { type CocoGt, parseCocoGt, parseCocoResults } from "./coco_types.ts";

// one image, classes 1 (cat) and 2 (dog); GT: cat A [0,0,10,10], cat B [50,50,10,10], dog C [100,0,10,10]
function scene(): CocoGt {
  const ann = (id: number, cat: number, bbox: number[], iscrowd = 0) => ({
    id,
    image_id: 1,
    category_id: cat,
    bbox,
    area: bbox[2] * bbox[3],
    iscrowd,
  });
  return parseCocoGt({
    images: [{ id: 1, width: 200, height: 200 }, { id: 2, width: 200, height: 200 }],
    categories: [{ id: 1, name: "cat" }, { id: 2, name: "dog" }],
    annotations: [
      ann(1, 1, [0, 0, 10, 10]),
      ann(2, 1, [50, 50, 10, 10]),
      ann(3, 2, [100, 0, 10, 10]),
    ],
  }, "scene");
}

const DETS = [
  { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.9 }, // TP on A
  { image_id: 1, category_id: 1, bbox: [1, 0, 10, 10], score: 0.8 }, // duplicate of A
  { image_id: 1, category_id: 2, bbox: [50, 50, 10, 10], score: 0.7 }, // wrong class on B
  { image_id: 1, category_id: 2, bbox: [104, 0, 10, 10], score: 0.6 }, // dog, IoU 0.43: loc
  { image_id: 1, category_id: 1, bbox: [150, 150, 10, 10], score: 0.5 }, // background
  { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.1 }, // below conf 0.25
];

Deno.test("[det_confusion] matrix has a background row/column and keeps cell images", () => {
  const gt = scene();
  const r = detectionConfusion(gt, parseCocoResults(DETS, gt, "dt"), { confidence: 0.25 });
  assertEquals(r.labels, ["cat", "dog", "background"]);
  // rows: GT cat, GT dog, background; cols: pred cat, pred dog, background
  assertEquals(r.matrix, [
    [1, 1, 0], // A -> cat, B -> dog (wrong class)
    [0, 0, 1], // C: the dog box overlaps only 0.43 -> missed
    [2, 1, 0], // duplicate cat + background cat, the loose dog box
  ]);
  assertEquals(r.cellImages["0,1"], [1]);
});

Deno.test("[det_errors] each false positive gets its TIDE category", () => {
  const gt = scene();
  const dts = parseCocoResults(DETS.slice(0, 5), gt, "dt");
  const r = tideErrors(gt, dts);
  assertEquals(r.counts, { cls: 1, loc: 1, both: 0, dupe: 1, bkg: 1, missed: 0 });
  assertEquals(r.detectionErrors, { "1": "dupe", "2": "cls", "3": "loc", "4": "bkg" });
  assertEquals(r.perImage["1"], { fp: 4, missed: 0, tp: 1 });
  // fixing localisation makes the 0.6 dog box a TP behind the 0.7 FP: dog AP50 0 -> 0.5,
  // so the mean over two classes rises by 0.25
  assertClose(r.dAP.loc, 0.25, 1e-12, "dAP loc");
  // the duplicate and background boxes score below the only cat TP: removing them gains nothing
  assertEquals([r.dAP.dupe, r.dAP.bkg], [0, 0]);
  // relabelling the 0.7 box as cat finds B: cat precision 2/3 over recall (0.5, 1]
  assertClose(r.dAP.cls, (50 * (2 / 3)) / 101 / 2, 1e-12, "dAP cls");
});

Deno.test("[det_errors] ground truths nobody looked at are missed", () => {
  const gt = scene();
  const r = tideErrors(gt, parseCocoResults([DETS[0]], gt, "dt"));
  assertEquals(r.counts.missed, 2);
  // cat: precision 1 up to recall 0.5 = 51 of 101 recall points; dog: 0
  assertClose(r.ap, 51 / 101 / 2, 1e-12, "AP50 with one of two cats found");
  // without the missed GTs: cat AP 1, dog has no GT (-1, left out of the mean)
  assertClose(r.dAP.missed, 1 - 51 / 101 / 2, 1e-12, "fixing misses");
});

Deno.test("[conf_sweep] recommends the threshold with the best F1", () => {
  const gt = scene();
  const dts = parseCocoResults(DETS, gt, "dt");
  const s = confidenceSweep(evaluateCoco(gt, dts, "bbox"));
  assertEquals(s.thresholds.length, 101);
  assertClose(s.iouThreshold, 0.5, 1e-12);
  const cat = s.perClass["1"];
  // cat: TP 0.9 (A); FPs 0.8, 0.5; B never found as cat. Best: threshold just at 0.9
  assertEquals(cat.best.threshold, 0.9);
  assertClose(cat.best.precision, 1, 1e-12);
  assertClose(cat.best.recall, 0.5, 1e-12);
  assertEquals(cat.tp[0], 1); // the 0.1 box lands on A again: a duplicate
  assertEquals(cat.fp[0], 3);
  assertEquals(s.overall.gt, 3);
});

Deno.test("[det_errors] a loose box on an object of another class is 'both'", () => {
  const gt = scene();
  // cat box overlapping dog C (IoU 0.43) and no cat nearby: wrong class and badly placed
  const r = tideErrors(
    gt,
    parseCocoResults(
      [{ image_id: 1, category_id: 1, bbox: [104, 0, 10, 10], score: 0.9 }],
      gt,
      "dt",
    ),
  );
  assertEquals(r.detectionErrors, { "0": "both" });
  assertEquals(r.counts.missed, 3); // "both" explains no ground truth
});
