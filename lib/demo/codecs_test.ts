import { assert, assertEquals, assertThrows } from "@/tests/assert.ts";
import jpeg from "jpeg-js";
import { crc32, encodePng } from "@/lib/image/png.ts";
import { parseImageHeader } from "@/lib/data/image_header.ts";
import { encodeJpeg } from "./jpeg.ts";
import { Canvas, placeShapes } from "./raster.ts";
import { Rng } from "./rng.ts";
import { readPng } from "./testing.ts";

function photo(seed: number, w: number, h: number): Uint8Array {
  const rng = new Rng(seed);
  const c = new Canvas(w, h);
  c.background(rng);
  for (const s of placeShapes(rng, w, h, 3, [6, 20])) c.drawShape(s, rng);
  c.noise(rng, 6);
  return c.rgb;
}

function psnr(a: Uint8Array, rgba: Uint8Array): number {
  let se = 0;
  for (let i = 0, j = 0; i < a.length; i += 3, j += 4) {
    for (let c = 0; c < 3; c++) se += (a[i + c] - rgba[j + c]) ** 2;
  }
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

Deno.test("[png] gray, RGB and RGBA round-trip sample-exact through an independent decoder, every filter mode", () => {
  const rng = new Rng(7);
  for (const channels of [1, 3, 4] as const) {
    for (const [w, h] of [[1, 1], [13, 7], [64, 40]]) {
      const data = new Uint8Array(w * h * channels);
      for (let i = 0; i < data.length; i++) data[i] = (i % 5) * 40 + rng.int(0, 30);
      for (const filter of ["best", "adaptive", "none"] as const) {
        const png = encodePng({ width: w, height: h, channels, data }, { filter });
        const back = readPng(png);
        assertEquals([back.width, back.height, back.channels, back.bitDepth], [w, h, channels, 8]);
        assertEquals(Array.from(back.data), Array.from(data), `${channels}ch ${w}×${h} ${filter}`);
      }
    }
  }
});

Deno.test("[png] chunk CRCs are valid and the header says what the data is", () => {
  const png = encodePng({ width: 5, height: 3, channels: 3, data: new Uint8Array(45).fill(9) });
  const dv = new DataView(png.buffer);
  let p = 8;
  const types: string[] = [];
  while (p < png.length) {
    const len = dv.getUint32(p);
    const type = new TextDecoder().decode(png.subarray(p + 4, p + 8));
    const crc = dv.getUint32(p + 8 + len);
    assertEquals(crc, crc32(png.subarray(p + 4, p + 8 + len)), `${type} CRC`);
    types.push(type);
    p += 12 + len;
  }
  assertEquals(types, ["IHDR", "IDAT", "IEND"]);
  const h = parseImageHeader(png);
  assert(h && h !== "need-more");
  assertEquals([h.kind, h.width, h.height], ["png", 5, 3]);
});

Deno.test("[png] crc32 matches the standard check value", () => {
  assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

Deno.test("[png] refuses data whose length does not match the size", () => {
  assertThrows(
    () => encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(10) }),
    Error,
    "4×4×3 needs 48",
  );
});

Deno.test("[jpeg] decodes with an independent decoder at > 30 dB PSNR, odd sizes included", () => {
  for (const [w, h, seed] of [[192, 144, 1], [61, 37, 2], [8, 8, 3], [1, 1, 4]]) {
    const rgb = photo(seed, w, h);
    const bytes = encodeJpeg(w, h, rgb, 90);
    const d = jpeg.decode(bytes, { useTArray: true });
    assertEquals([d.width, d.height], [w, h]);
    const q = psnr(rgb, d.data);
    assert(q > 30, `${w}×${h}: PSNR ${q.toFixed(1)} dB`);
  }
});

Deno.test("[jpeg] is a JFIF baseline file whose header gives the size, and lower quality is smaller", () => {
  const rgb = photo(5, 120, 90);
  const hi = encodeJpeg(120, 90, rgb, 95), lo = encodeJpeg(120, 90, rgb, 40);
  assertEquals([hi[0], hi[1], hi[hi.length - 2], hi[hi.length - 1]], [0xff, 0xd8, 0xff, 0xd9]);
  assertEquals(new TextDecoder().decode(hi.subarray(6, 10)), "JFIF");
  const h = parseImageHeader(hi);
  assert(h && h !== "need-more");
  assertEquals([h.kind, h.width, h.height], ["jpeg", 120, 90]);
  assert(lo.length < hi.length, `q40 ${lo.length} B should be smaller than q95 ${hi.length} B`);
});

Deno.test("[jpeg] same pixels and quality give identical bytes", () => {
  const rgb = photo(9, 50, 30);
  assertEquals(encodeJpeg(50, 30, rgb, 80), encodeJpeg(50, 30, rgb.slice(), 80));
});
