/**
 * The one-call label readers the decode pool runs (bytes in, map or counts out) give exactly what
 * decodePng followed by classIndexMap / panopticIdMap / a per-pixel count gives, with the same
 * errors, for every kind of label PNG the readers accept.
 */
import { assertEquals, assertThrows } from "@/tests/assert.ts";
import { ImageTooLargeError } from "./budget.ts";
import {
  classIndexMap,
  decodeClassCounts,
  decodeClassMap,
  decodePanopticMap,
  decodeSegmentAreas,
  panopticIdMap,
} from "./label_maps.ts";
import { decodePng, encodePng } from "./png.ts";
import { craftedPng, patternPng } from "./testing.ts";

const W = 7, H = 5;
const grey = patternPng(W, H, 1, (i) => (i * 13) % 9);
const grey16 = patternPng(W, H, 1, (i) => (i * 4099) % 65536, { bitDepth: 16 });
const palette = patternPng(W, H, 1, (i) => i % 3, { palette: [0, 0, 0, 255, 0, 0, 0, 255, 0] });
const greyAsRgb = patternPng(W, H, 3, (i) => Math.floor(i / 3) % 4);
/** Segment ids in runs, so first appearances and run counting are both exercised. */
const panIds = Array.from({ length: W * H }, (_, i) => [0, 70000, 300, 5][Math.floor(i / 4) % 4]);
const rgb = (ids: number[], channels: 3 | 4 = 3) => {
  const out = new Uint8Array(ids.length * channels).fill(255);
  ids.forEach((id, k) => out.set([id & 255, (id >> 8) & 255, id >> 16], k * channels));
  return encodePng({ width: W, height: H, channels, data: out });
};

Deno.test("[label_maps] class maps from bytes equal decodePng + classIndexMap", () => {
  for (const png of [grey, grey16, palette, greyAsRgb]) {
    const m = decodeClassMap(png);
    assertEquals([m.width, m.height], [W, H]);
    assertEquals(m.data, classIndexMap(decodePng(png)));
  }
  const colour = rgb(panIds);
  assertThrows(
    () => decodeClassMap(colour),
    Error,
    "colour pixel (112, 17, 1) at x=4, y=0: expected a class-index (greyscale or palette) PNG",
  );
});

Deno.test("[label_maps] panoptic maps from bytes equal decodePng + panopticIdMap", () => {
  for (const png of [rgb(panIds), rgb(panIds, 4)]) {
    const m = decodePanopticMap(png);
    assertEquals([m.width, m.height], [W, H]);
    assertEquals(m.data, panopticIdMap(decodePng(png)));
    assertEquals(Array.from(m.data), panIds);
  }
  assertThrows(() => decodePanopticMap(grey), Error, "expected an RGB panoptic PNG");
  const rgb16 = encodePng({ width: 1, height: 1, channels: 3, bitDepth: 16, data: [1, 2, 3] });
  assertThrows(() => decodePanopticMap(rgb16), Error, "expected an 8-bit RGB panoptic PNG");
  assertThrows(() => decodeClassMap(new Uint8Array(9)), Error, "not a PNG file");
  assertThrows(
    () => decodePanopticMap(craftedPng(20000, 20000), "p.png"),
    ImageTooLargeError,
    "p.png is 20000×20000",
  );
});

Deno.test("[label_maps] class counts are the per-value pixel counts; none for a colour mask", () => {
  for (const png of [grey, grey16, palette]) {
    const d = decodePng(png);
    const want = new Float64Array(d.bitDepth === 16 ? 65536 : 256);
    for (const v of d.data) want[v]++;
    const c = decodeClassCounts(png);
    assertEquals([c.width, c.height, c.channels, c.bitDepth], [W, H, 1, d.bitDepth]);
    assertEquals(c.counts, want);
  }
  const c = decodeClassCounts(greyAsRgb);
  assertEquals([c.channels, c.counts], [3, null]);
});

Deno.test("[label_maps] segment areas list ids in order of first appearance with their pixels", () => {
  const a = decodeSegmentAreas(rgb(panIds, 4));
  assertEquals([a.width, a.height, a.channels, a.bitDepth], [W, H, 4, 8]);
  const want = new Map<number, number>();
  for (const id of panIds) want.set(id, (want.get(id) ?? 0) + 1);
  assertEquals(Array.from(a.areas!.ids), [...want.keys()]);
  assertEquals(Array.from(a.areas!.pixels), [...want.values()]);
  assertEquals(decodeSegmentAreas(grey).areas, null);
  const rgb16 = encodePng({ width: 1, height: 1, channels: 3, bitDepth: 16, data: [1, 2, 3] });
  assertEquals(decodeSegmentAreas(rgb16).areas, null);
});
