import { assertEquals, assertThrows } from "@/tests/assert.ts";
import { rleCountsFromString, rleCountsToString } from "./coco_rle.ts";

Deno.test("[coco_rle] runs round-trip, deltas and large runs included", () => {
  const runs = [5, 3, 40, 2, 1000, 7, 12, 90000, 3, 2 ** 33, 1];
  assertEquals(rleCountsFromString(rleCountsToString(runs)), runs);
  assertEquals(rleCountsFromString(rleCountsToString(runs), true), runs);
  assertEquals(rleCountsFromString("125"), [1, 2, 5]);
});

Deno.test("[coco_rle] lenient decoding lets a bad run come out negative; strict refuses malformed strings", () => {
  // a negative delta on the first runs is not a valid mask: the caller flags it
  assertEquals(rleCountsFromString(rleCountsToString([-3, 4])), [-3, 4]);
  // truncated: the last run's continuation bit is set but nothing follows
  const truncated = rleCountsToString([100000]).slice(0, -1);
  assertEquals(rleCountsFromString(truncated).length, 1);
  assertThrows(() => rleCountsFromString(truncated, true), Error, "truncated compressed RLE");
  assertThrows(
    () => rleCountsFromString("1 2", true),
    Error,
    "invalid character in compressed RLE at 1",
  );
});
