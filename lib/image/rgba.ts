/**
 * Photos as RGBA pixels (JPEG via jpeg-js, PNG via the project codec), their box-filtered
 * downscale and JPEG thumbnails. Every decode checks the pixel budget from the header first
 * (lib/image/budget.ts). Synchronous and CPU-heavy: request paths call these through
 * lib/image/decode_pool.ts, which runs big images in a worker.
 */
import jpeg from "jpeg-js";
import { HttpError } from "@/lib/errors.ts";
import { checkImageBytes, MAX_DECODE_PIXELS } from "./budget.ts";
import { decodePng } from "./png.ts";

/** 8-bit RGBA pixels, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * RGBA pixels of a JPEG or (non-palette) PNG. Throws a 422 HttpError naming `what` when the image
 * is over the pixel budget, unreadable, or in a format not decoded here (GIF, WebP, ...).
 */
export function decodeRgba(bytes: Uint8Array, what: string): RgbaImage {
  const h = checkImageBytes(bytes, what);
  if (!h || (h.kind !== "jpeg" && h.kind !== "png")) {
    throw new HttpError(
      422,
      `${what} is ${
        h ? `a ${h.kind.toUpperCase()} image` : "not an image"
      }; only JPEG and PNG are decoded here.`,
    );
  }
  try {
    return h.kind === "jpeg" ? decodeJpeg(bytes) : pngToRgba(bytes, what);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(422, `${what} cannot be decoded: ${e instanceof Error ? e.message : e}`);
  }
}

function decodeJpeg(bytes: Uint8Array): RgbaImage {
  const d = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    // The header was checked already; these make jpeg-js hold the same line if SOF lied.
    maxResolutionInMP: MAX_DECODE_PIXELS / 1e6,
    maxMemoryUsageInMB: Math.max(512, Math.ceil((MAX_DECODE_PIXELS * 8) / 1e6)),
  });
  return { width: d.width, height: d.height, data: d.data as Uint8Array };
}

function pngToRgba(bytes: Uint8Array, what: string): RgbaImage {
  const p = decodePng(bytes, what);
  if (p.colorType === 3) throw new Error("palette PNGs are not decoded as photos");
  const n = p.width * p.height, ch = p.channels, shift = p.bitDepth === 16 ? 8 : 0;
  const scale = p.bitDepth < 8 ? 255 / ((1 << p.bitDepth) - 1) : 1;
  const out = new Uint8Array(n * 4);
  const gray = ch <= 2, alpha = ch === 2 || ch === 4;
  for (let i = 0; i < n; i++) {
    const s = i * ch;
    const r = (p.data[s] >> shift) * scale;
    out[i * 4] = r;
    out[i * 4 + 1] = gray ? r : (p.data[s + 1] >> shift) * scale;
    out[i * 4 + 2] = gray ? r : (p.data[s + 2] >> shift) * scale;
    out[i * 4 + 3] = alpha ? (p.data[s + ch - 1] >> shift) * scale : 255;
  }
  return { width: p.width, height: p.height, data: out };
}

/** Box-filter downscale of RGBA pixels so the longer side is at most `size`. */
export function downscale(src: RgbaImage, size: number): RgbaImage {
  const scale = Math.min(1, size / Math.max(src.width, src.height));
  const w = Math.max(1, Math.round(src.width * scale)),
    h = Math.max(1, Math.round(src.height * scale));
  if (w === src.width && h === src.height) return src;
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * src.height) / h),
      y1 = Math.max(y0 + 1, Math.floor(((y + 1) * src.height) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * src.width) / w),
        x1 = Math.max(x0 + 1, Math.floor(((x + 1) * src.width) / w));
      let r = 0, g = 0, b = 0, n = 0;
      for (let yy = y0; yy < y1; yy++) {
        let p = (yy * src.width + x0) * 4;
        for (let xx = x0; xx < x1; xx++, p += 4) {
          r += src.data[p];
          g += src.data[p + 1];
          b += src.data[p + 2];
          n++;
        }
      }
      const o = (y * w + x) * 4;
      out[o] = r / n;
      out[o + 1] = g / n;
      out[o + 2] = b / n;
      out[o + 3] = 255;
    }
  }
  return { width: w, height: h, data: out };
}

/** A quality-80 JPEG of the image shrunk so its longer side is at most `size`. */
export function thumbnailJpeg(bytes: Uint8Array, size: number, what: string): Uint8Array {
  const small = downscale(decodeRgba(bytes, what), size);
  return new Uint8Array(jpeg.encode({ ...small, data: small.data }, 80).data);
}
