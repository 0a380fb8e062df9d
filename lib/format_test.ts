import { assertEquals } from "@/tests/assert.ts";
import { formatBytes, plural } from "./format.ts";

Deno.test("[format] sizes are decimal, the units the jobs print: 44,705,992 B is 44.7 MB", () => {
  assertEquals(formatBytes(44_705_992), "44.7 MB");
  assertEquals(formatBytes(3_213_000), "3.2 MB");
  assertEquals(formatBytes(812), "812 B");
  assertEquals(formatBytes(0), "0 B");
  assertEquals(formatBytes(1000), "1.0 kB");
  assertEquals(formatBytes(1_300), "1.3 kB");
  assertEquals(formatBytes(2_500_000_000), "2.5 GB");
  // no "1000.0 kB": a value that rounds up to the next unit is written in it
  assertEquals(formatBytes(999_960), "1.0 MB");
  assertEquals(formatBytes(999_949), "999.9 kB");
});

Deno.test("[format] an unknown size is a dash, never NaN or a negative number", () => {
  for (const v of [undefined, null, NaN, -1, Infinity]) assertEquals(formatBytes(v), "—");
});

Deno.test("[format] counted nouns agree with their count", () => {
  assertEquals(plural(1, "error"), "1 error");
  assertEquals(plural(0, "error"), "0 errors");
  assertEquals(plural(3, "problem"), "3 problems");
  assertEquals(plural(1, "box", "boxes"), "1 box");
  assertEquals(plural(2, "box", "boxes"), "2 boxes");
  assertEquals(plural(1204, "image"), "1,204 images");
  assertEquals(plural(1, "configuration"), "1 configuration");
});
