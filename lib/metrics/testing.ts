/** Assertions shared by the metrics tests (std/assert lives on JSR, which is not reachable). */
import { AssertionError } from "node:assert";
import { zlibSync } from "fflate";

export { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert/strict";

/** Fails unless |actual - expected| <= tol; the message names `what`. */
export function assertClose(actual: number, expected: number, tol: number, what = "value") {
  if (!(Math.abs(actual - expected) <= tol) && !(Number.isNaN(actual) && Number.isNaN(expected))) {
    throw new AssertionError({
      message: `${what}: got ${actual}, expected ${expected} (tolerance ${tol})`,
      actual,
      expected,
    });
  }
}

/** Element-wise assertClose for arrays of equal length. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = "array",
) {
  if (actual.length !== expected.length) {
    throw new AssertionError({
      message: `${what}: length ${actual.length}, expected ${expected.length}`,
    });
  }
  for (let i = 0; i < actual.length; i++) assertClose(actual[i], expected[i], tol, `${what}[${i}]`);
}

/** Encodes a PNG (no filtering) so tests can write real label files. */
export function encodePng(
  width: number,
  height: number,
  colorType: 0 | 2 | 3,
  bitDepth: 8 | 16,
  samples: ArrayLike<number>,
  palette?: number[],
): Uint8Array {
  const ch = colorType === 2 ? 3 : 1, bps = bitDepth / 8, stride = width * ch * bps;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * ch; i++) {
      const v = samples[y * width * ch + i], at = y * (stride + 1) + 1 + i * bps;
      if (bps === 2) {
        raw[at] = v >> 8;
        raw[at + 1] = v & 0xff;
      } else raw[at] = v;
    }
  }
  const chunks: Uint8Array[] = [Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10)];
  const chunk = (type: string, body: Uint8Array) => {
    const c = new Uint8Array(12 + body.length), dv = new DataView(c.buffer);
    dv.setUint32(0, body.length);
    for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
    c.set(body, 8);
    dv.setUint32(8 + body.length, crc32(c.subarray(4, 8 + body.length)));
    chunks.push(c);
  };
  const ihdr = new Uint8Array(13), dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  chunk("IHDR", ihdr);
  if (palette) chunk("PLTE", Uint8Array.from(palette));
  chunk("IDAT", zlibSync(raw));
  chunk("IEND", new Uint8Array(0));
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < buf.length; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
