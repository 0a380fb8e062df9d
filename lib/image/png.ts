/**
 * The project's one PNG codec, pure TypeScript on fflate's zlib. Label images (class-id masks,
 * panoptic id PNGs) must be read sample-exact, palette indices and 16-bit values included, which
 * browser-style decoders (that return RGBA) lose; and generated images must be byte-for-byte
 * reproducible, so the encoder writes no timestamps or text chunks.
 */
import { unzlibSync, zlibSync } from "fflate";
import { checkPixelBudget } from "./budget.ts";

/** Decoded samples: `data` holds `channels` samples per pixel, row-major. */
export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
  /** Samples per pixel as stored (palette = 1: the index). */
  channels: number;
  /** Row-major samples; 16-bit depth gives a Uint16Array. */
  data: Uint8Array | Uint16Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Decodes a non-interlaced PNG; throws an Error saying what is wrong (callers add the file name).
 * The size in IHDR is checked against the pixel budget (lib/image/budget.ts) before any pixel
 * data is inflated, and inflating stops at the size IHDR declares, so neither a huge header nor
 * a zlib bomb behind a small one can allocate more than the budget. `what` names the image in
 * the budget's 422 error.
 */
export function decodePng(bytes: Uint8Array, what = "this PNG"): DecodedPng {
  if (bytes.length < 8 || SIGNATURE.some((v, i) => bytes[i] !== v)) {
    throw new Error("not a PNG file (bad signature)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0, height = 0, bitDepth = 0, colorType = -1, interlace = 0;
  const idat: Uint8Array[] = [];
  while (pos + 8 <= bytes.length) {
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    if (body.length !== len) throw new Error(`truncated PNG ${type} chunk`);
    if (type === "IHDR") {
      if (len < 13) throw new Error("truncated PNG IHDR chunk");
      width = dv.getUint32(pos + 8);
      height = dv.getUint32(pos + 12);
      bitDepth = body[8];
      colorType = body[9];
      interlace = body[12];
      if (width && height) checkPixelBudget(width, height, what);
    } else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  if (colorType < 0) throw new Error("PNG has no IHDR chunk");
  if (!width || !height) throw new Error(`PNG header gives an empty size ${width}x${height}`);
  const channels = CHANNELS[colorType];
  if (!channels) throw new Error(`unsupported PNG colour type ${colorType}`);
  if (![1, 2, 4, 8, 16].includes(bitDepth)) throw new Error(`invalid PNG bit depth ${bitDepth}`);
  if (interlace) throw new Error("interlaced PNGs are not supported; save without interlacing");
  if (idat.length === 0) throw new Error("PNG has no image data");
  let total = 0;
  for (const c of idat) total += c.length;
  const z = new Uint8Array(total);
  let o = 0;
  for (const c of idat) {
    z.set(c, o);
    o += c.length;
  }
  const bpp = Math.max(1, (channels * bitDepth) >> 3); // bytes per complete pixel, for filters
  const stride = Math.ceil((width * channels * bitDepth) / 8);
  let raw: Uint8Array;
  try {
    // A fixed output buffer: fflate drops whatever inflates beyond it instead of growing.
    raw = unzlibSync(z, { out: new Uint8Array(height * (stride + 1)) });
  } catch (e) {
    throw new Error(`corrupt PNG image data (${e instanceof Error ? e.message : e})`);
  }
  if (raw.length < height * (stride + 1)) {
    throw new Error(`PNG image data too short for ${width}x${height}`);
  }
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1, dst = y * stride, up = dst - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[dst + x - bpp] : 0;
      const b = y > 0 ? px[up + x] : 0;
      const v = raw[src + x];
      let r: number;
      if (f === 0) r = v;
      else if (f === 1) r = v + a;
      else if (f === 2) r = v + b;
      else if (f === 3) r = v + ((a + b) >> 1);
      else if (f === 4) r = v + paeth(a, b, x >= bpp && y > 0 ? px[up + x - bpp] : 0);
      else throw new Error(`bad PNG filter type ${f} on row ${y}`);
      px[dst + x] = r & 0xff;
    }
  }
  const n = width * height * channels;
  let data: Uint8Array | Uint16Array;
  if (bitDepth === 8) {
    data = px; // rows are tightly packed at 8 bits
  } else if (bitDepth === 16) {
    data = new Uint16Array(n);
    for (let i = 0; i < n; i++) data[i] = (px[2 * i] << 8) | px[2 * i + 1];
  } else {
    // 1/2/4-bit: unpack per row (rows are byte aligned)
    data = new Uint8Array(n);
    const mask = (1 << bitDepth) - 1, perRow = width * channels;
    for (let y = 0; y < height; y++) {
      for (let i = 0; i < perRow; i++) {
        const bit = i * bitDepth;
        data[y * perRow + i] = (px[y * stride + (bit >> 3)] >> (8 - bitDepth - (bit & 7))) & mask;
      }
    }
  }
  return { width, height, bitDepth, colorType, channels, data };
}

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

/** Pixels to encode: `channels` samples per pixel, row-major. */
export interface RawImage {
  width: number;
  height: number;
  /** 1 grey (or palette index), 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** Samples, `channels` per pixel; values up to 255 (or 65535 at 16 bits). */
  data: ArrayLike<number>;
  /** Bits per sample; default 8. */
  bitDepth?: 8 | 16;
  /** RGB triplets: writes a palette PNG whose 1-channel samples are indices. */
  palette?: ArrayLike<number>;
}

/** How rows are filtered before deflate. */
export type PngFilter = "adaptive" | "none" | "best";

/** Samples as big-endian bytes, checked against the bit depth. */
function sampleBytes(img: RawImage, bitDepth: 8 | 16): Uint8Array {
  const { data } = img;
  if (bitDepth === 8 && data instanceof Uint8Array) return data;
  const max = bitDepth === 16 ? 65535 : 255, bps = bitDepth / 8;
  const out = new Uint8Array(data.length * bps);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isInteger(v) || v < 0 || v > max) {
      throw new Error(`PNG sample ${i} is ${v}; ${bitDepth}-bit samples are integers 0..${max}`);
    }
    if (bps === 2) {
      out[2 * i] = v >> 8;
      out[2 * i + 1] = v & 0xff;
    } else out[i] = v;
  }
  return out;
}

function filtered(
  bytes: Uint8Array,
  height: number,
  stride: number,
  bpp: number,
  mode: "adaptive" | "none",
): Uint8Array {
  const raw = new Uint8Array(height * (stride + 1));
  const trial = new Uint8Array(stride + 1);
  for (let y = 0; y < height; y++) {
    const row = bytes.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? bytes.subarray((y - 1) * stride, y * stride) : null;
    let best = 0;
    if (mode === "adaptive") {
      let bestCost = Infinity;
      for (let t = 0; t < 5; t++) {
        filterRow(t, row, prev, bpp, trial, 0);
        const cost = rowCost(trial, 0, stride);
        if (cost < bestCost) {
          bestCost = cost;
          best = t;
        }
      }
    }
    filterRow(best, row, prev, bpp, raw, y * (stride + 1));
  }
  return raw;
}

/**
 * Encodes samples as a PNG. `filter`: `adaptive` picks each row's filter by libpng's minimum-sum
 * heuristic (good for photos), `none` suits label maps, `best` (default) deflates both and keeps
 * the smaller, which is still deterministic. `level` is fflate's 0–9.
 */
export function encodePng(
  img: RawImage,
  opts: { level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9; filter?: PngFilter } = {},
): Uint8Array {
  const { width, height, channels, data, palette } = img;
  const bitDepth = img.bitDepth ?? 8;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`PNG size must be positive integers, got ${width}×${height}`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(
      `PNG data has ${data.length} samples; ${width}×${height}×${channels} needs ${
        width * height * channels
      }`,
    );
  }
  if (palette && (channels !== 1 || bitDepth !== 8)) {
    throw new Error("a palette PNG takes 1 channel of 8-bit indices");
  }
  if (palette && (palette.length % 3 !== 0 || palette.length === 0 || palette.length > 768)) {
    throw new Error(`PNG palette must be 1 to 256 RGB triplets, got ${palette.length} values`);
  }
  const bytes = sampleBytes(img, bitDepth);
  const bpp = channels * (bitDepth / 8), stride = width * bpp;
  const level = opts.level ?? 6;
  const mode = opts.filter ?? "best";
  let idat: Uint8Array;
  if (mode === "best") {
    const a = zlibSync(filtered(bytes, height, stride, bpp, "adaptive"), { level });
    const b = zlibSync(filtered(bytes, height, stride, bpp, "none"), { level });
    idat = b.length <= a.length ? b : a;
  } else idat = zlibSync(filtered(bytes, height, stride, bpp, mode), { level });
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = bitDepth;
  ihdr[9] = palette ? 3 : [0, 0, 4, 2, 6][channels];
  const parts = [
    new Uint8Array(SIGNATURE),
    chunk("IHDR", ihdr),
    ...(palette ? [chunk("PLTE", Uint8Array.from(palette))] : []),
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
