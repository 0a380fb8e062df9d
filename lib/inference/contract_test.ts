import { assertEquals } from "@/tests/assert.ts";
import { decodePng } from "@/lib/image/png.ts";
import { rleCountsFromString } from "@/lib/image/coco_rle.ts";
import { maskToRle, toServingEntry } from "@/lib/inference/contract.ts";

Deno.test("[contract] instance masks become COCO RLE with column-major runs starting with zeros", () => {
  // 2 high × 3 wide; column-major: 0 1 | 1 1 | 0 0 → runs 1, 3, 2.
  const rle = maskToRle(new Uint8Array([0, 1, 0, 1, 1, 0]), 2, 3);
  assertEquals(rle.size, [2, 3]);
  assertEquals(rleCountsFromString(rle.counts), [1, 3, 2]);
  // A mask starting with a 1 starts with an empty run of zeros.
  assertEquals(rleCountsFromString(maskToRle(new Uint8Array([1, 1]), 1, 2).counts), [0, 2]);
  const entry = toServingEntry(
    {
      boxes: [[0, 0, 1, 1]],
      scores: [0.9],
      labels: [0],
      label_names: ["a"],
      masks: [
        new Uint8Array([0, 1, 0, 1, 1, 0]),
      ],
    },
    { width: 3, height: 2 },
  );
  assertEquals(entry, {
    boxes: [[0, 0, 1, 1]],
    scores: [0.9],
    labels: [0],
    label_names: ["a"],
    masks: [rle],
  });
});

Deno.test("[contract] class masks become 8-bit grey PNGs, 16-bit when an id is ≥ 256", () => {
  const small = toServingEntry(
    { classes: [0, 3], width: 2, height: 1, mask: new Uint8Array([0, 3]) },
    { width: 2, height: 1 },
  ) as { mask_png: string; classes: number[] };
  const png = decodePng(Uint8Array.from(atob(small.mask_png), (c) => c.charCodeAt(0)));
  assertEquals([png.bitDepth, png.colorType, Array.from(png.data)], [8, 0, [0, 3]]);
  assertEquals(small.classes, [0, 3]);
  const big = toServingEntry(
    { classes: [1, 300], width: 2, height: 1, mask: new Uint16Array([300, 1]) },
    { width: 2, height: 1 },
  ) as { mask_png: string };
  const png16 = decodePng(Uint8Array.from(atob(big.mask_png), (c) => c.charCodeAt(0)));
  assertEquals([png16.bitDepth, Array.from(png16.data)], [16, [300, 1]]);
});

Deno.test("[contract] classification entries pass through unchanged", () => {
  const top_k = [{ label: 1, label_name: "dog", score: 0.7 }];
  assertEquals(toServingEntry({ top_k }, { width: 1, height: 1 }), { top_k });
});
