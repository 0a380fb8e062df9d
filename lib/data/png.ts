/**
 * A small PNG decoder for label images (class-id masks, panoptic id PNGs). Masks must be read
 * sample-exact, palette indices included, which browser-style decoders (that return RGBA) lose.
 */
import { unzlibSync, zlibSync } from "fflate";

export interface DecodedPng {
  width: number;
  height: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
  bitDepth: number;
  /** Samples per pixel as stored (palette = 1: the index). */
  channels: number;
  /** Row-major samples, `channels` per pixel; 16-bit depth gives a Uint16Array. */
  data: Uint8Array | Uint16Array;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Decodes a non-interlaced PNG into raw samples; throws with a reason on anything malformed. */
export function decodePng(buf: Uint8Array): DecodedPng {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (buf.length < 33 || sig.some((v, i) => buf[i] !== v)) throw new Error("not a PNG file");
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 8;
  let width = 0, height = 0, bitDepth = 0, colorType = 0, interlace = 0;
  const idat: Uint8Array[] = [];
  let idatLen = 0;
  while (p + 8 <= buf.length) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7]);
    const body = p + 8;
    if (body + len > buf.length) throw new Error(`PNG chunk ${type} is truncated`);
    if (type === "IHDR") {
      width = dv.getUint32(body);
      height = dv.getUint32(body + 4);
      bitDepth = buf[body + 8];
      colorType = buf[body + 9];
      interlace = buf[body + 12];
    } else if (type === "IDAT") {
      idat.push(buf.subarray(body, body + len));
      idatLen += len;
    } else if (type === "IEND") break;
    p = body + len + 4;
  }
  const channels = CHANNELS[colorType];
  if (!width || !height || !channels) throw new Error("PNG header (IHDR) missing or invalid");
  if (interlace) throw new Error("interlaced PNGs are not supported for label images");
  if (![1, 2, 4, 8, 16].includes(bitDepth)) throw new Error(`PNG bit depth ${bitDepth} invalid`);
  const z = new Uint8Array(idatLen);
  let o = 0;
  for (const c of idat) {
    z.set(c, o);
    o += c.length;
  }
  let raw: Uint8Array;
  try {
    raw = unzlibSync(z);
  } catch (e) {
    throw new Error(`PNG image data is corrupt (${e instanceof Error ? e.message : e})`);
  }
  const bpp = Math.max(1, (channels * bitDepth) >> 3); // bytes per complete pixel for filtering
  const stride = Math.ceil((width * channels * bitDepth) / 8);
  if (raw.length < height * (stride + 1)) throw new Error("PNG image data is truncated");
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const up = dst - stride;
    for (let x = 0; x < stride; x++) {
      const r = raw[src + x];
      const a = x >= bpp ? out[dst + x - bpp] : 0;
      const b = y > 0 ? out[up + x] : 0;
      let v: number;
      switch (f) {
        case 0:
          v = r;
          break;
        case 1:
          v = r + a;
          break;
        case 2:
          v = r + b;
          break;
        case 3:
          v = r + ((a + b) >> 1);
          break;
        case 4: {
          const c = x >= bpp && y > 0 ? out[up + x - bpp] : 0;
          const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
          v = r + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new Error(`PNG row ${y} has unknown filter type ${f}`);
      }
      out[dst + x] = v;
    }
  }
  const n = width * height * channels;
  if (bitDepth === 8) return { width, height, colorType, bitDepth, channels, data: out };
  if (bitDepth === 16) {
    const d16 = new Uint16Array(n);
    for (let i = 0; i < n; i++) d16[i] = (out[2 * i] << 8) | out[2 * i + 1];
    return { width, height, colorType, bitDepth, channels, data: d16 };
  }
  // 1/2/4-bit: unpack per row (rows are byte aligned)
  const d = new Uint8Array(n);
  const perRow = width * channels;
  const mask = (1 << bitDepth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * bitDepth;
      const byte = out[y * stride + (bit >> 3)];
      d[y * perRow + i] = (byte >> (8 - bitDepth - (bit & 7))) & mask;
    }
  }
  return { width, height, colorType, bitDepth, channels, data: d };
}

/** Encodes 8-bit gray (1 channel), RGB (3) or RGBA (4) samples as a PNG; used for label images. */
export function encodePng(
  width: number,
  height: number,
  channels: 1 | 3 | 4,
  data: Uint8Array,
): Uint8Array {
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const chunks: Uint8Array[] = [];
  const chunk = (type: string, body: Uint8Array) => {
    const c = new Uint8Array(12 + body.length);
    const dv = new DataView(c.buffer);
    dv.setUint32(0, body.length);
    for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
    c.set(body, 8);
    dv.setUint32(8 + body.length, crc32(c.subarray(4, 8 + body.length)));
    chunks.push(c);
  };
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  chunk("IHDR", ihdr);
  chunk("IDAT", zlibSync(raw));
  chunk("IEND", new Uint8Array(0));
  const total = 8 + chunks.reduce((s, c) => s + c.length, 0);
  const out = new Uint8Array(total);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let o = 8;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

let CRC_TABLE: Uint32Array | undefined;
function crc32(b: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A class-id mask as a translucent RGBA overlay (class colours, 0 and 255 transparent), so the
 * browser can lay it over the photo without decoding label PNGs itself.
 */
export function colorizeMask(
  mask: Uint8Array,
  color: (id: number) => [number, number, number],
): Uint8Array {
  const d = decodePng(mask);
  if (d.channels !== 1) throw new Error("mask is not single-channel");
  const n = d.width * d.height;
  const out = new Uint8Array(n * 4);
  const cache = new Map<number, [number, number, number]>();
  for (let p = 0; p < n; p++) {
    const v = d.data[p];
    if (v === 0 || v === 255) continue;
    let c = cache.get(v);
    if (!c) cache.set(v, c = color(v));
    out[p * 4] = c[0];
    out[p * 4 + 1] = c[1];
    out[p * 4 + 2] = c[2];
    out[p * 4 + 3] = 160;
  }
  return encodePng(d.width, d.height, 4, out);
}
