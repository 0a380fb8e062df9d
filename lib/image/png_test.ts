import { assertEquals, assertThrows } from "@/tests/assert.ts";
import { crc32, decodePng, encodePng } from "./png.ts";
import { classIndexMap, colorizeMask, panopticIdMap } from "./label_maps.ts";

Deno.test("[png] 8-bit grey class masks decode to their values", () => {
  const vals = [0, 1, 2, 255, 7, 3];
  const png = decodePng(encodePng({ width: 3, height: 2, channels: 1, data: vals }));
  assertEquals([png.width, png.height, png.channels], [3, 2, 1]);
  assertEquals(Array.from(classIndexMap(png)), vals);
});

Deno.test("[png] 16-bit grey masks (PIL I;16) keep ids above 255, every filter mode", () => {
  const vals = [0, 300, 65535, 1, 258, 40000];
  for (const filter of ["none", "adaptive", "best"] as const) {
    const png = decodePng(
      encodePng({ width: 2, height: 3, channels: 1, bitDepth: 16, data: vals }, { filter }),
    );
    assertEquals([png.bitDepth, png.data instanceof Uint16Array], [16, true]);
    assertEquals(Array.from(classIndexMap(png)), vals, filter);
  }
});

Deno.test("[png] palette masks give palette indices", () => {
  const png = decodePng(
    encodePng({ width: 2, height: 1, channels: 1, data: [1, 0], palette: [0, 0, 0, 255, 0, 0] }),
  );
  assertEquals(png.colorType, 3);
  assertEquals(Array.from(classIndexMap(png)), [1, 0]);
});

Deno.test("[png] grey+alpha and RGBA round-trip sample-exact", () => {
  const ga = [1, 2, 3, 4, 5, 6, 7, 8];
  const d = decodePng(encodePng({ width: 2, height: 2, channels: 2, data: ga }));
  assertEquals([d.colorType, Array.from(d.data)], [4, ga]);
  const rgba = Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) & 0xff);
  const e = decodePng(encodePng({ width: 3, height: 2, channels: 4, data: rgba }));
  assertEquals([e.colorType, Array.from(e.data)], [6, rgba]);
});

Deno.test("[png] panoptic RGB ids are R + 256 G + 65536 B", () => {
  const png = decodePng(encodePng({ width: 2, height: 1, channels: 3, data: [1, 2, 3, 0, 0, 0] }));
  assertEquals(Array.from(panopticIdMap(png)), [1 + 512 + 3 * 65536, 0]);
  assertThrows(() => classIndexMap(png), Error, /colour pixel \(1, 2, 3\) at x=0, y=0/);
});

Deno.test("[png] filtered rows (Sub/Up/Average/Paeth) reconstruct", async () => {
  // a PNG filtered by hand, independently of the encoder's filter code
  const w = 4, h = 4;
  const rows = [[10, 20, 30, 40], [11, 22, 33, 44], [5, 5, 200, 1], [9, 250, 3, 77]];
  const raw = new Uint8Array(h * (w + 1));
  const filters = [1, 2, 4, 3];
  for (let y = 0; y < h; y++) {
    raw[y * (w + 1)] = filters[y];
    for (let x = 0; x < w; x++) {
      const a = x ? rows[y][x - 1] : 0,
        b = y ? rows[y - 1][x] : 0,
        c = x && y ? rows[y - 1][x - 1] : 0;
      let pred = 0;
      if (filters[y] === 1) pred = a;
      if (filters[y] === 2) pred = b;
      if (filters[y] === 3) pred = (a + b) >> 1;
      if (filters[y] === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      raw[y * (w + 1) + 1 + x] = (rows[y][x] - pred) & 0xff;
    }
  }
  const { zlibSync } = await import("fflate");
  const base = encodePng({ width: w, height: h, channels: 1, data: rows.flat() });
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

Deno.test("[png] 1/2/4-bit grey rows unpack (rows are byte aligned)", async () => {
  const { zlibSync } = await import("fflate");
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, 3);
  new DataView(ihdr.buffer).setUint32(4, 2);
  ihdr[8] = 2; // 2-bit grey: 3 px per row = 6 bits, padded to one byte
  const idat = zlibSync(Uint8Array.of(0, 0b00011011 & 0xfc, 0, 0b11100100 & 0xfc));
  const chunk = (type: string, body: Uint8Array) => {
    const c = new Uint8Array(12 + body.length), dv = new DataView(c.buffer);
    dv.setUint32(0, body.length);
    for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
    c.set(body, 8);
    dv.setUint32(8 + body.length, crc32(c.subarray(4, 8 + body.length)));
    return c;
  };
  const png = new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk("IHDR", ihdr),
    ...chunk("IDAT", idat),
    ...chunk("IEND", new Uint8Array(0)),
  ]);
  assertEquals(Array.from(decodePng(png).data), [0, 1, 2, 3, 2, 1]);
});

Deno.test("[png] non-PNG bytes, truncated chunks and bad sizes are refused with a reason", () => {
  assertThrows(() => decodePng(new TextEncoder().encode("GIF89a....")), Error, /not a PNG file/);
  const ok = encodePng({ width: 2, height: 2, channels: 1, data: [1, 2, 3, 4] });
  assertThrows(() => decodePng(ok.subarray(0, 25)), Error, /truncated PNG IHDR chunk/);
  assertThrows(
    () => encodePng({ width: 2, height: 2, channels: 1, data: [1, 2, 3] }),
    Error,
    /3 samples; 2×2×1 needs 4/,
  );
  assertThrows(
    () => encodePng({ width: 1, height: 1, channels: 1, data: [256] }),
    Error,
    /8-bit samples are integers 0..255/,
  );
});

Deno.test("[png] mask overlay colours classes and leaves 0 and 255 transparent", () => {
  const mask = encodePng({ width: 3, height: 1, channels: 1, data: [0, 5, 255] });
  const d = decodePng(colorizeMask(mask, (id) => [id, 2 * id, 3 * id]));
  assertEquals([d.channels, Array.from(d.data)], [4, [0, 0, 0, 0, 5, 10, 15, 160, 0, 0, 0, 0]]);
});
