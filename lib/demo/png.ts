/**
 * A PNG encoder for generated images and label maps: 8-bit gray, RGB or RGBA, with the per-row
 * filter chosen by libpng's minimum-sum heuristic and zlib from fflate. Output depends only on
 * the pixels (no timestamps, no text chunks), so demo datasets are byte-for-byte reproducible.
 */
import { zlibSync } from "fflate";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as PNG chunks use it (also handy for tests). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Writes one filtered row (filter type byte first) into `out` at `o`. */
function filterRow(
  type: number,
  row: Uint8Array,
  prev: Uint8Array | null,
  bpp: number,
  out: Uint8Array,
  o: number,
): void {
  out[o] = type;
  const n = row.length, d = o + 1;
  if (type === 0 || (type === 2 && !prev)) {
    out.set(row, d);
  } else if (type === 1) {
    for (let i = 0; i < bpp; i++) out[d + i] = row[i];
    for (let i = bpp; i < n; i++) out[d + i] = (row[i] - row[i - bpp]) & 0xff;
  } else if (type === 2) {
    for (let i = 0; i < n; i++) out[d + i] = (row[i] - prev![i]) & 0xff;
  } else if (type === 3) {
    for (let i = 0; i < bpp; i++) out[d + i] = (row[i] - ((prev ? prev[i] : 0) >> 1)) & 0xff;
    for (let i = bpp; i < n; i++) {
      out[d + i] = (row[i] - ((row[i - bpp] + (prev ? prev[i] : 0)) >> 1)) & 0xff;
    }
  } else {
    for (let i = 0; i < bpp; i++) out[d + i] = (row[i] - (prev ? prev[i] : 0)) & 0xff;
    for (let i = bpp; i < n; i++) {
      out[d + i] = prev
        ? (row[i] - paeth(row[i - bpp], prev[i], prev[i - bpp])) & 0xff
        : (row[i] - row[i - bpp]) & 0xff;
    }
  }
}

function rowCost(buf: Uint8Array, o: number, n: number): number {
  let s = 0;
  for (let i = 1; i <= n; i++) {
    const v = buf[o + i];
    s += v < 128 ? v : 256 - v;
  }
  return s;
}

/** Pixels to encode: `channels` 8-bit samples per pixel, row-major. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/** How rows are filtered before deflate. */
export type PngFilter = "adaptive" | "none" | "best";

function filtered(img: RawImage, mode: "adaptive" | "none"): Uint8Array {
  const { width, height, channels, data } = img;
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  const trial = new Uint8Array(stride + 1);
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? data.subarray((y - 1) * stride, y * stride) : null;
    let best = 0;
    if (mode === "adaptive") {
      let bestCost = Infinity;
      for (let t = 0; t < 5; t++) {
        filterRow(t, row, prev, channels, trial, 0);
        const cost = rowCost(trial, 0, stride);
        if (cost < bestCost) {
          bestCost = cost;
          best = t;
        }
      }
    }
    filterRow(best, row, prev, channels, raw, y * (stride + 1));
  }
  return raw;
}

/**
 * Encodes 8-bit samples as a PNG. `filter`: `adaptive` picks each row's filter by libpng's
 * minimum-sum heuristic (good for photos), `none` suits label maps, `best` (default) deflates
 * both and keeps the smaller, which is still deterministic. `level` is fflate's 0–9.
 */
export function encodePng(
  img: RawImage,
  opts: { level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9; filter?: PngFilter } = {},
): Uint8Array {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`PNG size must be positive integers, got ${width}×${height}`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(
      `PNG data has ${data.length} bytes; ${width}×${height}×${channels} needs ${
        width * height * channels
      }`,
    );
  }
  const level = opts.level ?? 6;
  const mode = opts.filter ?? "best";
  let idat: Uint8Array;
  if (mode === "best") {
    const a = zlibSync(filtered(img, "adaptive"), { level });
    const b = zlibSync(filtered(img, "none"), { level });
    idat = b.length <= a.length ? b : a;
  } else idat = zlibSync(filtered(img, mode), { level });
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
