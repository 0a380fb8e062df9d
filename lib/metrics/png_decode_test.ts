import { assertEquals, encodePng, throws } from "./testing.ts";
import { classIndexMap, decodePng, panopticIdMap } from "./png_decode.ts";

Deno.test("[png_decode] 8-bit grey class masks decode to their values", () => {
  const vals = [0, 1, 2, 255, 7, 3];
  const png = decodePng(encodePng(3, 2, 0, 8, vals));
  assertEquals([png.width, png.height, png.channels], [3, 2, 1]);
  assertEquals(Array.from(classIndexMap(png)), vals);
});

Deno.test("[png_decode] 16-bit grey masks (PIL I;16) keep ids above 255", () => {
  const vals = [0, 300, 65535, 1];
  assertEquals(Array.from(classIndexMap(decodePng(encodePng(2, 2, 0, 16, vals)))), vals);
});

Deno.test("[png_decode] palette masks give palette indices", () => {
  const png = decodePng(encodePng(2, 1, 3, 8, [1, 0], [0, 0, 0, 255, 0, 0]));
  assertEquals(Array.from(classIndexMap(png)), [1, 0]);
});

Deno.test("[png_decode] panoptic RGB ids are R + 256 G + 65536 B", () => {
  const png = decodePng(encodePng(2, 1, 2, 8, [1, 2, 3, 0, 0, 0]));
  assertEquals(Array.from(panopticIdMap(png)), [1 + 512 + 3 * 65536, 0]);
  throws(() => classIndexMap(png), /colour pixel \(1, 2, 3\) at x=0, y=0/);
});

Deno.test("[png_decode] filtered rows (Sub/Up/Average/Paeth) reconstruct", async () => {
  // a real PNG written by a common encoder with adaptive filtering: build one by hand
  const w = 4, h = 3;
  const rows = [[10, 20, 30, 40], [11, 22, 33, 44], [5, 5, 200, 1]];
  const raw = new Uint8Array(h * (w + 1));
  const filters = [1, 2, 4];
  for (let y = 0; y < h; y++) {
    raw[y * (w + 1)] = filters[y];
    for (let x = 0; x < w; x++) {
      const a = x ? rows[y][x - 1] : 0,
        b = y ? rows[y - 1][x] : 0,
        c = x && y ? rows[y - 1][x - 1] : 0;
      let pred = 0;
      if (filters[y] === 1) pred = a;
      if (filters[y] === 2) pred = b;
      if (filters[y] === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      raw[y * (w + 1) + 1 + x] = (rows[y][x] - pred) & 0xff;
    }
  }
  const { zlibSync } = await import("fflate");
  const base = encodePng(w, h, 0, 8, rows.flat());
  // swap the IDAT payload for the filtered one
  const ihdrEnd = 8 + 25;
  const idat = zlibSync(raw);
  const chunk = new Uint8Array(12 + idat.length);
  new DataView(chunk.buffer).setUint32(0, idat.length);
  chunk.set([73, 68, 65, 84], 4);
  chunk.set(idat, 8);
  const png = new Uint8Array([
    ...base.subarray(0, ihdrEnd),
    ...chunk,
    ...base.subarray(base.length - 12),
  ]);
  assertEquals(Array.from(classIndexMap(decodePng(png))), rows.flat());
});

Deno.test("[png_decode] non-PNG bytes are refused with a reason", () => {
  throws(() => decodePng(new TextEncoder().encode("GIF89a....")), /not a PNG file/);
});
