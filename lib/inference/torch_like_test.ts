import { assertEquals } from "@/tests/assert.ts";
import {
  nearestIndex,
  pyRound,
  resizeBilinearThreshold,
  softmax32,
  topIndices,
} from "@/lib/inference/torch_like.ts";

Deno.test("[torch_like] pyRound sends exact ties to even like Python's round, other values to nearest", () => {
  assertEquals(pyRound(10.125, 2), 10.12); // JS toFixed says 10.13
  assertEquals(pyRound(10.375, 2), 10.38);
  assertEquals(pyRound(-10.125, 2), -10.12);
  assertEquals(pyRound(0.5, 0), 0);
  assertEquals(pyRound(1.5, 0), 2);
  assertEquals(pyRound(2.675, 2), 2.67); // 2.675 is 2.67499999... in binary
  assertEquals(pyRound(0.1234565, 6), 0.123456); // as Python 3.11 prints it
  assertEquals(pyRound(1e-7, 6), 0);
  assertEquals(pyRound(123.456789, 5), 123.45679);
  assertEquals(pyRound(0.000015, 5), 0.00002); // 0.000015 is above the tie in binary
});

Deno.test("[torch_like] nearest indices follow torch: floor(dst·in/out), exact for equal and 2× sizes", () => {
  assertEquals(Array.from(nearestIndex(2, 4)), [0, 0, 1, 1]);
  assertEquals(Array.from(nearestIndex(3, 3)), [0, 1, 2]);
  assertEquals(Array.from(nearestIndex(4, 2)), [0, 2]);
  assertEquals(Array.from(nearestIndex(3, 7)), [0, 0, 0, 1, 1, 2, 2]);
});

Deno.test("[torch_like] bilinear (align_corners=False) upscaling of a mask then > 0.5", () => {
  // [0, 1] → 4: values 0, 0.25, 0.75, 1 → only the last two pass 0.5.
  assertEquals(Array.from(resizeBilinearThreshold([0, 1], 0, 2, 1, 4, 1, 0.5)), [0, 0, 1, 1]);
  assertEquals(Array.from(resizeBilinearThreshold([0.4, 0.6], 0, 2, 1, 2, 1, 0.5)), [0, 1]);
  // offset selects the second of two stacked maps
  assertEquals(Array.from(resizeBilinearThreshold([0, 0, 1, 1], 2, 2, 1, 3, 1, 0.5)), [1, 1, 1]);
});

Deno.test("[torch_like] softmax32 sums to one and topIndices breaks ties by the lowest index", () => {
  const p = softmax32([0, Math.log(2), Math.log(3)], 0, 3);
  assertEquals(Array.from(p).map((v) => v.toFixed(6)), ["0.166667", "0.333333", "0.500000"]);
  assertEquals(topIndices([1, 3, 3, 0, 3], 3), [1, 2, 4]);
  assertEquals(topIndices([1, 2], 5), [1, 0]);
});
