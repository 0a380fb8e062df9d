import { assertEquals } from "@/tests/assert.ts";
import { linspace, meanWhere, nanMean, pairwiseSum } from "./numeric.ts";

Deno.test("[numeric] pairwise sum follows numpy's blocking (8-way unroll, halves above 128)", () => {
  // 0.1 summed left to right differs from the 8-accumulator order numpy uses
  const xs = new Array(10).fill(0.1);
  let naive = 0;
  for (const x of xs) naive += x;
  const unrolled = ((0.1 + 0.1) + (0.1 + 0.1)) + ((0.1 + 0.1) + (0.1 + 0.1)) + 0.1 + 0.1;
  assertEquals(pairwiseSum(xs), unrolled);
  assertEquals(naive === unrolled, false);
  // above 128 elements the array is split in halves (rounded down to a multiple of 8)
  const big = Array.from({ length: 300 }, (_, i) => 1 / (i + 1));
  assertEquals(pairwiseSum(big), pairwiseSum(big, 0, 144) + pairwiseSum(big, 144, 156));
});

Deno.test("[numeric] meanWhere and nanMean skip what they should", () => {
  assertEquals(meanWhere([-1, 0.5, -1, 1], (v) => v > -1), 0.75);
  assertEquals(meanWhere([-1, -1], (v) => v > -1), -1);
  assertEquals(nanMean([NaN, 1, 3]), 2);
  assertEquals(Number.isNaN(nanMean([NaN])), true);
});

Deno.test("[numeric] linspace builds i*step + start and ends exactly at stop", () => {
  const t = linspace(0.5, 0.95, 10);
  assertEquals(t.length, 10);
  assertEquals([t[0], t[5], t[9]], [0.5, 0.75, 0.95]);
  const step = (0.95 - 0.5) / 9;
  assertEquals(t[3], 3 * step + 0.5);
  const r = linspace(0, 1, 101);
  assertEquals([r[0], r[100], r[7]], [0, 1, 7 * 0.01]);
});
