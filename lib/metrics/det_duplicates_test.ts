import { assertEquals } from "@/tests/assert.ts";
import { confusionRows, detectionConfusion, imageConfusion } from "./det_confusion.ts";
import { evaluateCoco } from "./coco_eval.ts";
import { imageTallies } from "./det_images.ts";
import { parseCocoGt, parseCocoResults } from "./coco_types.ts";

// One image of the shapes demo's validation split (000197.jpg) and its predictions above 0.3:
// a rectangle (0.780) and a triangle (0.521) on the same box over the first triangle.
const GT = {
  images: [{ id: 197, file_name: "000197.jpg", width: 192, height: 144 }],
  categories: [
    { id: 1, name: "circle" },
    { id: 2, name: "rectangle" },
    { id: 3, name: "triangle" },
    { id: 4, name: "star" },
  ],
  annotations: [
    { id: 506, image_id: 197, category_id: 3, bbox: [120.45, 47.2, 34.95, 28.17], area: 502 },
    { id: 507, image_id: 197, category_id: 3, bbox: [41.9, 30.86, 42.79, 37.52], area: 781 },
    { id: 508, image_id: 197, category_id: 4, bbox: [160.74, 92.79, 21.74, 22.47], area: 187 },
  ].map((a) => ({ ...a, iscrowd: 0 })),
};
const ON_TRIANGLE = [123.1, 44.6, 28.9, 26.6]; // IoU 0.655 with annotation 506
const DETS = [
  { image_id: 197, category_id: 3, bbox: [41.6, 28.4, 39.1, 38.1], score: 0.81839 },
  { image_id: 197, category_id: 2, bbox: ON_TRIANGLE, score: 0.77995 },
  { image_id: 197, category_id: 4, bbox: [162.0, 94.2, 21.9, 21.1], score: 0.76904 },
  { image_id: 197, category_id: 3, bbox: ON_TRIANGLE, score: 0.52058 },
];

Deno.test("[det_confusion] a second box on an object already matched is a duplicate, not background", () => {
  const gt = parseCocoGt(structuredClone(GT), "gt");
  const c = detectionConfusion(gt, parseCocoResults(DETS, gt, "dt"), { confidence: 0.52 });
  // triangle 506 -> rectangle (the higher score wins the tie), 507 -> triangle, star -> star
  assertEquals(c.matrix[2], [0, 1, 1, 0, 0]);
  assertEquals(c.matrix[3], [0, 0, 0, 1, 0]);
  // the background row counts the unpaired triangle box; it lies on 506: a duplicate
  assertEquals(c.matrix[4], [0, 0, 1, 0, 0]);
  assertEquals(c.duplicates, [0, 0, 1, 0, 0]);
  const t = confusionRows(c);
  assertEquals(t.rows.slice(-2), ["background", "duplicate"]);
  assertEquals(t.matrix[4], [0, 0, 0, 0, 0], "nothing predicted on nothing");
  assertEquals(t.matrix[5], [0, 0, 1, 0, 0]);
  assertEquals(c.cellImages["5,2"], [197]);
  assertEquals(c.cellImages["4,2"], undefined);
});

Deno.test("[det_confusion] at equal IoU the higher-scoring box is paired, whatever the file order", () => {
  const gt = parseCocoGt(structuredClone(GT), "gt");
  const reordered = [DETS[3], DETS[0], DETS[2], DETS[1]];
  const c = detectionConfusion(gt, parseCocoResults(reordered, gt, "dt"), { confidence: 0.52 });
  assertEquals(c.matrix[2], [0, 1, 1, 0, 0]);
  assertEquals(c.duplicates, [0, 0, 1, 0, 0]);
});

Deno.test("[det_confusion] drawing one image gives each box the cell the matrix counted it in", () => {
  const gt = parseCocoGt(structuredClone(GT), "gt");
  const dts = parseCocoResults(DETS, gt, "dt");
  const m = imageConfusion(gt, dts, [197], { iouThreshold: 0.5, confidence: 0.52 }).get(197)!;
  assertEquals(Object.fromEntries(m.dt), { "0": "2,2", "1": "2,1", "2": "3,3", "3": "5,2" });
  assertEquals(Object.fromEntries(m.gt), { "0": "2,1", "1": "2,2", "2": "3,3" });
  // a cut above the duplicate leaves it out
  const high = imageConfusion(gt, dts, [197], { iouThreshold: 0.5, confidence: 0.6 }).get(197)!;
  assertEquals(high.dt.has(3), false);
});

Deno.test("[det_images] tallies count only detections at the threshold, with the loosest match", () => {
  const gt = parseCocoGt(structuredClone(GT), "gt");
  const noise = Array.from({ length: 40 }, (_, i) => ({
    image_id: 197,
    category_id: 1 + (i % 4),
    bbox: [i * 4, 2, 6, 6],
    score: 0.06 + i / 1000,
  }));
  const dts = parseCocoResults([...DETS, ...noise], gt, "dt");
  const ev = evaluateCoco(gt, dts, "bbox");
  const at = imageTallies(ev, 0.52);
  // COCO matches per class: the triangle box is the true positive on 506, the rectangle is not
  assertEquals(at.perImage["197"].tp, 3);
  assertEquals(at.perImage["197"].fp, 1);
  assertEquals(at.perImage["197"].missed, 0);
  assertEquals(at.perImage["197"].minIou?.toFixed(3), "0.655");
  // at 0.6 the duplicate triangle is gone: 506 is missed, the loosest match is the star's
  const high = imageTallies(ev, 0.6).perImage["197"];
  assertEquals([high.tp, high.fp, high.missed], [2, 1, 1]);
  assertEquals(high.minIou! > 0.655, true);
  // everything: the 40 weak boxes are false positives too
  assertEquals(imageTallies(ev, 0).perImage["197"].fp, 41);
});
