import { assert, assertEquals, assertThrows } from "@/tests/assert.ts";
import { HttpError } from "@/lib/errors.ts";
import { checkPixelBudget, ImageTooLargeError, MAX_DECODE_PIXELS } from "./budget.ts";
import { decodePng, encodePng } from "./png.ts";
import { colorizeMask } from "./label_maps.ts";
import { decodeRgba } from "./rgba.ts";
import { craftedJpeg, craftedPng } from "./testing.ts";

const grey = () => [0, 0, 0] as [number, number, number];

Deno.test("[budget] an image over the pixel budget is a 422 naming it and its size", () => {
  assertEquals(MAX_DECODE_PIXELS, 40_000_000);
  checkPixelBudget(8000, 5000, "a.png");
  const e = assertThrows(() => checkPixelBudget(20000, 20000, "a.png"), ImageTooLargeError);
  assertEquals(e.status, 422);
  assertEquals(
    e.message,
    "a.png is 20000×20000 (400 megapixels); images of up to 40 megapixels are decoded here.",
  );
  assertThrows(() => checkPixelBudget(11, 10, "b", 100), ImageTooLargeError, "11×10");
  for (const [w, h] of [[0, 10], [10, -1], [1.5, 2], [NaN, 3]]) {
    const bad = assertThrows(() => checkPixelBudget(w, h, "c.png"), HttpError, "unusable size");
    assertEquals(bad.status, 422);
  }
});

Deno.test("[budget] a 20000×20000 PNG header is refused before anything is inflated", () => {
  const bomb = craftedPng(20000, 20000);
  assert(bomb.length < 1000, `the crafted file is tiny (${bomb.length} bytes)`);
  const t0 = performance.now();
  assertThrows(() => decodePng(bomb, "bomb.png"), ImageTooLargeError, "bomb.png is 20000×20000");
  assertThrows(() => decodeRgba(bomb, "bomb.png"), ImageTooLargeError, "400 megapixels");
  assertThrows(() => colorizeMask(bomb, grey, "bomb.png"), ImageTooLargeError, "20000×20000");
  assert(performance.now() - t0 < 200, "refused at once");
});

Deno.test("[budget] a JPEG whose SOF claims 20000×20000 is refused from the header", () => {
  assertThrows(
    () => decodeRgba(craftedJpeg(20000, 20000), "huge.jpg"),
    ImageTooLargeError,
    "huge.jpg is 20000×20000",
  );
});

Deno.test("[budget] inflating stops at the size IHDR declares (a zlib bomb behind a small header)", () => {
  const bomb = craftedPng(8, 8, 4_000_000); // 4 MB of zeros behind an 8×8 header
  const d = decodePng(bomb);
  assertEquals([d.width, d.height, d.data.length], [8, 8, 64]);
});

Deno.test("[budget] a mask overlay of a non-PNG or a colour PNG is a 422 naming the problem", () => {
  const jpegBytes = craftedJpeg(10, 10);
  const e = assertThrows(() => colorizeMask(jpegBytes, grey, "m.png"), HttpError);
  assertEquals(e.status, 422);
  assertEquals(
    e.message,
    "m.png cannot be shown as a mask overlay: not a PNG file (bad signature).",
  );
  const rgb = encodePng({ width: 1, height: 1, channels: 3, data: [1, 2, 3] });
  const c = assertThrows(() => colorizeMask(rgb, grey, "rgb.png"), HttpError, "3 channels");
  assertEquals(c.status, 422);
});

Deno.test("[budget] decodeRgba names formats it does not decode", () => {
  const gif = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 10, 0, 20, 0, 0]);
  assertThrows(() => decodeRgba(gif, "a.gif"), HttpError, "a.gif is a GIF image");
  assertThrows(() => decodeRgba(new Uint8Array([1, 2, 3, 4]), "x.jpg"), HttpError, "not an image");
});
