/**
 * Server-side thumbnails for the sample grid: a page of 24 COCO photos is ~4 MB as originals and
 * ~150 KB as thumbnails, which matters when images come through the Databricks Files API. JPEG
 * and PNG are decoded, box-filtered down and re-encoded as JPEG; results are cached in memory by
 * path, size and modification time.
 */
import jpeg from "jpeg-js";
import type { FilesApi } from "@/lib/workspace/types.ts";
import { parseImageHeader } from "./image_header.ts";
import { decodePng } from "../image/png.ts";

const cache = new Map<string, Uint8Array>();
const MAX_CACHED = 512;
/** Images with more pixels than this are served as they are (decoding would cost too much). */
const MAX_PIXELS = 40_000_000;

/** RGBA pixels of a JPEG or (non-palette) PNG, or null for formats not decoded here. */
function decodeRgba(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } | null {
  const h = parseImageHeader(bytes.subarray(0, 64 * 1024));
  if (!h || h === "need-more" || h.width * h.height > MAX_PIXELS) return null;
  if (h.kind === "jpeg") {
    const d = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    return { width: d.width, height: d.height, data: d.data as Uint8Array };
  }
  if (h.kind === "png") {
    const p = decodePng(bytes);
    if (p.colorType === 3 || p.bitDepth !== 8) return null;
    const n = p.width * p.height;
    const out = new Uint8Array(n * 4);
    const ch = p.channels;
    for (let i = 0; i < n; i++) {
      const s = i * ch;
      const gray = ch <= 2;
      out[i * 4] = p.data[s];
      out[i * 4 + 1] = gray ? p.data[s] : p.data[s + 1];
      out[i * 4 + 2] = gray ? p.data[s] : p.data[s + 2];
      out[i * 4 + 3] = 255;
    }
    return { width: p.width, height: p.height, data: out };
  }
  return null;
}

/** Box-filter downscale of RGBA pixels so the longer side is at most `size`. */
export function downscale(
  src: { width: number; height: number; data: Uint8Array },
  size: number,
): { width: number; height: number; data: Uint8Array } {
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

/** A JPEG thumbnail of `path` (longer side ≤ `size`), or null when the format is not decoded. */
export async function thumbnail(
  files: FilesApi,
  path: string,
  size = 192,
): Promise<Uint8Array | null> {
  const st = await files.stat(path);
  if (!st || st.isDirectory) return null;
  const key = `${path}\n${size}\n${st.size}\n${st.modifiedAt ?? ""}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let img;
  try {
    img = decodeRgba(await files.readBytes(path));
  } catch {
    return null; // unreadable: the caller serves the original (and the scan reports it)
  }
  if (!img) return null;
  const small = downscale(img, size);
  const out = new Uint8Array(jpeg.encode({ ...small, data: small.data }, 80).data);
  cache.set(key, out);
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return out;
}
