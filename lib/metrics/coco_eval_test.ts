import { assert, assertClose as assertAlmostEquals, assertEquals } from "@/tests/assert.ts";
import { defaultCocoParams, evaluateCoco } from "./coco_eval.ts";
import { type CocoGt, parseCocoGt, parseCocoResults } from "./coco_types.ts";
import { formatCocoSummary } from "./coco_summary.ts";
import { rleToString } from "./mask_rle.ts";

const FIX = new URL("../../tests/fixtures/coco/", import.meta.url);
const read = (f: string) => JSON.parse(Deno.readTextFileSync(new URL(f, FIX)));
const expected = read("expected.json");
const loadGt = () => parseCocoGt(read("instances_val2014_100.json"), "instances_val2014_100.json");

const cache = new Map<string, ReturnType<typeof evalFixture>>();
function run(iouType: "bbox" | "segm") {
  if (!cache.has(iouType)) cache.set(iouType, evalFixture(iouType));
  return cache.get(iouType)!;
}

function evalFixture(iouType: "bbox" | "segm") {
  const gt = loadGt();
  const file = iouType === "bbox"
    ? "instances_val2014_fakebbox100_results.json"
    : "instances_val2014_fakesegm100_results.json";
  return { gt, r: evaluateCoco(gt, parseCocoResults(read(file), gt, file), iouType) };
}

for (const iouType of ["bbox", "segm"] as const) {
  Deno.test(`[coco_eval] ${iouType}: all 12 stats match pycocotools on the 100-image subset`, () => {
    const { r } = run(iouType);
    assertEquals(r.stats.length, 12);
    r.stats.forEach((v, i) => assertAlmostEquals(v, expected[iouType].stats[i], 1e-6, `stat ${i}`));
  });

  Deno.test(`[coco_eval] ${iouType}: AP per IoU threshold matches pycocotools`, () => {
    const { r } = run(iouType);
    const want = expected[iouType]["ap_per_iou_thr_0.50..0.95"];
    r.perIouAp.forEach((v, i) => assertAlmostEquals(v, want[i], 1e-6, `iou index ${i}`));
  });

  Deno.test(`[coco_eval] ${iouType}: AP per category matches pycocotools (-1 without GT)`, () => {
    const { gt, r } = run(iouType);
    const byName = new Map(gt.categories.map((c) => [c.name, c.id]));
    const want = expected[iouType].ap_per_category as Record<string, number>;
    assertEquals(Object.keys(want).length, 80);
    for (const [name, ap] of Object.entries(want)) {
      assertAlmostEquals(r.perCategoryAp[String(byName.get(name))], ap, 1e-6, name);
    }
  });
}

Deno.test("[coco_eval] precision/recall arrays have pycocotools' shape and -1 fill", () => {
  const { r } = run("bbox");
  const p = r.params;
  assertEquals(r.precision.length, 10 * 101 * 80 * 4 * 3);
  assertEquals(r.recall.length, 10 * 80 * 4 * 3);
  // category "fire hydrant" (id 11) has no ground truth in the subset: -1 everywhere
  const k = r.catIds.indexOf(11);
  for (let t = 0; t < 10; t++) assertEquals(r.recall[((t * 80 + k) * 4) * 3 + 2], -1);
  assertEquals(p.recThrs[100], 1);
  assertEquals(p.iouThrs[5], 0.75);
});

Deno.test("[coco_eval] summary text is formatted like pycocotools", () => {
  const { r } = run("bbox");
  const lines = formatCocoSummary(r.stats, r.params).split("\n");
  assertEquals(
    lines[0],
    " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505",
  );
  assertEquals(
    lines[11],
    " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.564",
  );
});

function tinyGt(): CocoGt {
  return parseCocoGt({
    images: [{ id: 1, width: 100, height: 100 }],
    categories: [{ id: 1, name: "a" }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0 },
      { id: 2, image_id: 1, category_id: 1, bbox: [50, 50, 40, 40], area: 1600, iscrowd: 1 },
    ],
  }, "tiny");
}

Deno.test("[coco_eval] a detection on a crowd region is neither TP nor FP", () => {
  const gt = tinyGt();
  const dts = parseCocoResults(
    [
      { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.9 },
      { image_id: 1, category_id: 1, bbox: [55, 55, 20, 20], score: 0.95 },
    ],
    gt,
    "dt",
  );
  const r = evaluateCoco(gt, dts, "bbox");
  assertAlmostEquals(r.stats[0], 1, 1e-12); // the crowd hit would otherwise lower precision
  assertAlmostEquals(r.stats[8], 1, 1e-12);
});

Deno.test("[coco_eval] a false positive above the true positive lowers AP", () => {
  const gt = tinyGt();
  const dts = parseCocoResults(
    [
      { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.5 },
      { image_id: 1, category_id: 1, bbox: [20, 0, 10, 10], score: 0.9 },
    ],
    gt,
    "dt",
  );
  const r = evaluateCoco(gt, dts, "bbox");
  assertAlmostEquals(r.stats[0], 0.5, 1e-12);
  assertEquals(r.stats[6], 0); // AR@1 sees only the false positive
});

Deno.test("[coco_eval] no detections gives 0, categories without GT stay -1", () => {
  const gt = tinyGt();
  const r = evaluateCoco(gt, [], "bbox");
  assertEquals(r.stats[0], 0);
  assertEquals(r.stats[3], 0); // small GT exists (area 100)
  assertEquals(r.stats[4], -1); // the only medium GT is a crowd: nothing to find
});

Deno.test("[coco_eval] maxDets=1 keeps only the top-scoring detection per image", () => {
  const gt = tinyGt();
  const dts = parseCocoResults(
    [
      { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.2 },
      { image_id: 1, category_id: 1, bbox: [30, 30, 5, 5], score: 0.3 },
    ],
    gt,
    "dt",
  );
  const p = defaultCocoParams();
  const r = evaluateCoco(gt, dts, "bbox", p);
  assertEquals(r.stats[6], 0);
  assertAlmostEquals(r.stats[7], 1, 1e-12);
  assert(r.stats[0] > 0 && r.stats[0] < 1);
});

Deno.test("[coco_eval] area ranges use the GT `area` field, not the box", () => {
  // a 40x40 box (1600 px, "medium" by box) whose annotated area is 900 ("small")
  const gt = parseCocoGt({
    images: [{ id: 1, width: 100, height: 100 }],
    categories: [{ id: 1, name: "a" }],
    annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 40, 40], area: 900 }],
  }, "gt");
  const dts = parseCocoResults(
    [{ image_id: 1, category_id: 1, bbox: [0, 0, 40, 40], score: 1 }],
    gt,
    "dt",
  );
  const r = evaluateCoco(gt, dts, "bbox");
  assertAlmostEquals(r.stats[3], 1, 1e-12); // small AP
  assertEquals(r.stats[4], -1); // no medium GT; the medium-sized matched detection is not an FP
});

Deno.test("[coco_eval] segm: polygons against RLE, crowd RLE ignores overlapping detections", () => {
  const gt = parseCocoGt({
    images: [{ id: 1, width: 20, height: 20 }],
    categories: [{ id: 1, name: "a" }],
    annotations: [
      {
        id: 1,
        image_id: 1,
        category_id: 1,
        bbox: [0, 0, 10, 10],
        area: 100,
        segmentation: [[0, 0, 10, 0, 10, 10, 0, 10]],
      },
      // crowd: the right half as an uncompressed RLE (column-major runs)
      {
        id: 2,
        image_id: 1,
        category_id: 1,
        bbox: [10, 0, 10, 20],
        area: 200,
        iscrowd: 1,
        segmentation: { size: [20, 20], counts: [200, 200] },
      },
    ],
  }, "gt");
  const dts = parseCocoResults(
    [
      // a compressed RLE equal to the polygon: rows 0-9 of columns 0-9
      {
        image_id: 1,
        category_id: 1,
        score: 0.9,
        segmentation: { size: [20, 20], counts: rleString10x10() },
      },
      { image_id: 1, category_id: 1, score: 0.95, segmentation: [[12, 2, 18, 2, 18, 8, 12, 8]] },
    ],
    gt,
    "dt",
  );
  const r = evaluateCoco(gt, dts, "segm");
  assertAlmostEquals(r.stats[0], 1, 1e-12); // the crowd hit is ignored, the mask matches exactly
});

function rleString10x10(): string {
  // 10 columns of (10 on, 10 off): counts [0, 10, 10, 10, ..., 10, 210]
  const counts = [0];
  for (let c = 0; c < 10; c++) counts.push(10, 10);
  counts[counts.length - 1] = 210;
  return rleToString({ h: 20, w: 20, counts: Uint32Array.from(counts) });
}
