import { assert, assertClose, assertEquals } from "@/tests/assert.ts";
import {
  bboxIou,
  rleArea,
  rleDecode,
  rleEncode,
  rleFromBbox,
  rleFromPolygon,
  rleFromString,
  rleIou,
  rleMerge,
  rleToBbox,
  rleToString,
  segmentationToRle,
} from "./mask_rle.ts";

const FIX = new URL("../../tests/fixtures/coco/", import.meta.url);

Deno.test("[mask_rle] compressed strings round-trip through decode and encode", () => {
  const res = JSON.parse(
    Deno.readTextFileSync(new URL("instances_val2014_fakesegm100_results.json", FIX)),
  );
  for (const r of res.slice(0, 40)) {
    const [h, w] = r.segmentation.size;
    const rle = rleFromString(r.segmentation.counts, h, w);
    assertEquals(rleToString(rle), r.segmentation.counts);
    const mask = rleDecode(rle);
    assertEquals(mask.length, h * w);
    const again = rleEncode(mask, h, w);
    assertEquals(rleArea(again), rleArea(rle));
    assertEquals(rleToString(again), r.segmentation.counts);
  }
});

Deno.test("[mask_rle] a box rasterises to its pixel area like the COCO mask API", () => {
  // the mask API turns [x, y, w, h] into a polygon; integer boxes cover w*h pixels
  const r = rleFromBbox([2, 3, 4, 5], 20, 20);
  assertEquals(rleArea(r), 20);
  assertEquals(rleToBbox(r), [2, 3, 4, 5]);
  const m = rleDecode(r); // column-major: index x*h + y
  assertEquals(m[2 * 20 + 3], 1);
  assertEquals(m[1 * 20 + 3], 0);
  assertEquals(m[5 * 20 + 7], 1);
  assertEquals(m[6 * 20 + 7], 0);
});

Deno.test("[mask_rle] a polygon covers the pixels whose centres lie inside it", () => {
  // triangle x + y < 10: centres (x + .5, y + .5) inside means x + y <= 8, i.e. 1 + ... + 9 = 45
  const r = rleFromPolygon([0, 0, 10, 0, 0, 10], 12, 12);
  assertEquals(rleArea(r), 45);
  const m = rleDecode(r);
  assertEquals(m[0 * 12 + 8], 1);
  assertEquals(m[0 * 12 + 9], 0);
  assertEquals(m[4 * 12 + 4], 1);
  assertEquals(m[5 * 12 + 4], 0);
});

Deno.test("[mask_rle] GT polygons rasterise close to their stored COCO area", () => {
  const gt = JSON.parse(Deno.readTextFileSync(new URL("instances_val2014_100.json", FIX)));
  const size = new Map(gt.images.map((im: { id: number; height: number; width: number }) => [
    im.id,
    [im.height, im.width],
  ]));
  let n = 0;
  for (const a of gt.annotations) {
    if (a.iscrowd || a.area < 2000) continue;
    const [h, w] = size.get(a.image_id) as number[];
    const area = rleArea(segmentationToRle(a.segmentation, h, w));
    assert(Math.abs(area - a.area) / a.area < 0.08, `ann ${a.id}: ${area} vs ${a.area}`);
    n++;
  }
  assert(n > 100);
});

Deno.test("[mask_rle] merge is a union and intersect an intersection", () => {
  const a = rleFromBbox([0, 0, 4, 4], 10, 10);
  const b = rleFromBbox([2, 2, 4, 4], 10, 10);
  assertEquals(rleArea(rleMerge([a, b])), 28);
  assertEquals(rleArea(rleMerge([a, b], true)), 4);
  assertClose(rleIou(a, b, false), 4 / 28, 1e-15);
  assertClose(rleIou(a, b, true), 4 / 16, 1e-15);
  assertEquals(rleIou(a, rleFromBbox([0, 0, 1, 1], 9, 10), false), -1);
});

Deno.test("[mask_rle] box IoU uses the detection area as union for crowds", () => {
  assertClose(bboxIou(0, 0, 10, 10, 5, 0, 10, 10, false), 50 / 150, 1e-15);
  assertClose(bboxIou(0, 0, 10, 10, 5, 0, 10, 10, true), 0.5, 1e-15);
  assertEquals(bboxIou(0, 0, 1, 1, 2, 2, 1, 1, false), 0);
});

Deno.test("[mask_rle] malformed segmentations are rejected with a reason", () => {
  let msg = "";
  try {
    segmentationToRle({ size: [2, 2], counts: [1, 2] }, 2, 2);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("sum to 3"), msg);
  try {
    segmentationToRle("nope", 2, 2);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("polygon list or an RLE"), msg);
});

Deno.test("[mask_rle] compressed RLE that does not cover height*width is rejected", () => {
  const good = rleToString({ h: 4, w: 4, counts: Uint32Array.of(3, 5, 8) });
  assertEquals(rleArea(segmentationToRle({ size: [4, 4], counts: good }, 4, 4)), 5);
  let msg = "";
  try {
    segmentationToRle({ size: [5, 4], counts: good }, 5, 4);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("sum to 16, expected height*width = 20"), msg);
  try {
    segmentationToRle({ size: [4, 4], counts: "\u00ff" }, 4, 4);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("invalid character"), msg);
});
