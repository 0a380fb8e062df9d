/**
 * A small PNG decoder for label maps: class-index masks (8/16-bit grey or palette) and COCO
 * panoptic id images (RGB, id = R + 256 G + 65536 B). Pure TypeScript on fflate's inflate, so
 * evaluation needs no image library. Interlaced PNGs are refused with a clear message.
 */
import { unzlibSync } from "fflate";

/** Decoded samples: `data` holds `channels` samples per pixel, row-major. */
export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  channels: number;
  data: Uint8Array | Uint16Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Decodes a PNG; throws an Error saying what is wrong (callers prefix the file name). */
export function decodePng(bytes: Uint8Array): DecodedPng {
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
    if (body.length !== len) throw new Error(`truncated ${type} chunk`);
    if (type === "IHDR") {
      width = dv.getUint32(pos + 8);
      height = dv.getUint32(pos + 12);
      bitDepth = body[8];
      colorType = body[9];
      interlace = body[12];
    } else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  if (colorType < 0) throw new Error("PNG has no IHDR chunk");
  const channels = CHANNELS[colorType];
  if (!channels) throw new Error(`unsupported PNG colour type ${colorType}`);
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
  let raw: Uint8Array;
  try {
    raw = unzlibSync(z);
  } catch (e) {
    throw new Error(`corrupt PNG image data (${(e as Error).message})`);
  }
  const bpp = Math.max(1, (channels * bitDepth) >> 3); // bytes per complete pixel, for filters
  const stride = Math.ceil((width * channels * bitDepth) / 8);
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
      const c = x >= bpp && y > 0 ? px[up + x - bpp] : 0;
      const v = raw[src + x];
      let r: number;
      if (f === 0) r = v;
      else if (f === 1) r = v + a;
      else if (f === 2) r = v + b;
      else if (f === 3) r = v + ((a + b) >> 1);
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        r = v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      } else throw new Error(`bad PNG filter type ${f} on row ${y}`);
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
  } else if (bitDepth < 8) {
    data = new Uint8Array(n);
    const mask = (1 << bitDepth) - 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width * channels; x++) {
        const bit = x * bitDepth;
        data[y * width * channels + x] =
          (px[y * stride + (bit >> 3)] >> (8 - bitDepth - (bit & 7))) &
          mask;
      }
    }
  } else throw new Error(`unsupported PNG bit depth ${bitDepth}`);
  return { width, height, bitDepth, colorType, channels, data };
}

/**
 * Per-pixel class indices from a class-index PNG: grey value or palette index. Colour images
 * are accepted only when R = G = B (a grey mask saved as RGB).
 */
export function classIndexMap(png: DecodedPng): Uint16Array {
  const { width, height, channels, data } = png;
  const out = new Uint16Array(width * height);
  if (png.colorType === 0 || png.colorType === 3 || png.colorType === 4) {
    for (let i = 0; i < out.length; i++) out[i] = data[i * channels];
    return out;
  }
  for (let i = 0; i < out.length; i++) {
    const r = data[i * channels], g = data[i * channels + 1], b = data[i * channels + 2];
    if (r !== g || g !== b) {
      throw new Error(
        `colour pixel (${r}, ${g}, ${b}) at x=${i % width}, y=${
          Math.floor(i / width)
        }: expected a class-index (greyscale or palette) PNG`,
      );
    }
    out[i] = r;
  }
  return out;
}

/** Per-pixel COCO panoptic segment ids (R + 256 G + 65536 B) from an RGB(A) PNG. */
export function panopticIdMap(png: DecodedPng): Uint32Array {
  const { width, height, channels, data } = png;
  if (png.colorType !== 2 && png.colorType !== 6) {
    throw new Error("expected an RGB panoptic PNG (id = R + 256*G + 65536*B)");
  }
  if (png.bitDepth !== 8) throw new Error("expected an 8-bit RGB panoptic PNG");
  const out = new Uint32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    out[i] = data[i * channels] + 256 * data[i * channels + 1] + 65536 * data[i * channels + 2];
  }
  return out;
}
