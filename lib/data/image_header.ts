/**
 * Image dimensions from the first bytes of a file, without decoding it: a scan of 100k images must
 * not pay for 100k JPEG decodes. Covers PNG, JPEG (with EXIF orientation), GIF, WebP, BMP, TIFF.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";

export type ImageKind = "png" | "jpeg" | "gif" | "webp" | "bmp" | "tiff";

export interface ImageHeader {
  kind: ImageKind;
  width: number;
  height: number;
  /** EXIF orientation 1..8 when present; 5..8 mean the displayed image is rotated 90°. */
  orientation?: number;
  /** PNG only: bit depth and colour type, to tell single-channel masks from RGB ones. */
  bitDepth?: number;
  colorType?: number;
}

/** Result of looking at a prefix: a header, "read more bytes", or "not an image I know". */
export type HeaderResult = ImageHeader | "need-more" | null;

const be16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const le16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const be32 = (b: Uint8Array, o: number) =>
  ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const le32 = (b: Uint8Array, o: number) =>
  (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/** Parses dimensions from a file prefix; "need-more" when the answer lies beyond `b`. */
export function parseImageHeader(b: Uint8Array): HeaderResult {
  if (b.length < 4) return b.length === 0 ? null : "need-more";
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    if (b.length < 26) return "need-more";
    if (b[12] !== 0x49 || b[13] !== 0x48 || b[14] !== 0x44 || b[15] !== 0x52) return null;
    return {
      kind: "png",
      width: be32(b, 16),
      height: be32(b, 20),
      bitDepth: b[24],
      colorType: b[25],
    };
  }
  if (b[0] === 0xff && b[1] === 0xd8) return parseJpeg(b);
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) {
    if (b.length < 10) return "need-more";
    return { kind: "gif", width: le16(b, 6), height: le16(b, 8) };
  }
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46) return parseWebp(b);
  if (b[0] === 0x42 && b[1] === 0x4d) {
    if (b.length < 26) return "need-more";
    const dib = le32(b, 14);
    if (dib === 12) return { kind: "bmp", width: le16(b, 18), height: le16(b, 20) };
    const h = b[22] | (b[23] << 8) | (b[24] << 16) | (b[25] << 24);
    return { kind: "bmp", width: le32(b, 18) | 0, height: Math.abs(h) };
  }
  if (
    (b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) ||
    (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a)
  ) {
    const t = parseTiff(b, 0);
    if (t === "need-more" || t === null) return t;
    if (!t.width || !t.height) return null;
    return { kind: "tiff", width: t.width, height: t.height, orientation: t.orientation };
  }
  return null;
}

function parseWebp(b: Uint8Array): HeaderResult {
  if (b.length < 30) return "need-more";
  if (b[8] !== 0x57 || b[9] !== 0x45 || b[10] !== 0x42 || b[11] !== 0x50) return null;
  const tag = String.fromCharCode(b[12], b[13], b[14], b[15]);
  if (tag === "VP8 ") {
    return { kind: "webp", width: le16(b, 26) & 0x3fff, height: le16(b, 28) & 0x3fff };
  }
  if (tag === "VP8L") {
    const b0 = b[21], b1 = b[22], b2 = b[23], b3 = b[24];
    return {
      kind: "webp",
      width: 1 + (((b1 & 0x3f) << 8) | b0),
      height: 1 + (((b3 & 0xf) << 10) | (b2 << 2) | ((b1 & 0xc0) >> 6)),
    };
  }
  if (tag === "VP8X") {
    return {
      kind: "webp",
      width: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)),
      height: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)),
    };
  }
  return null;
}

function parseJpeg(b: Uint8Array): HeaderResult {
  let p = 2;
  let orientation: number | undefined;
  while (true) {
    while (p < b.length && b[p] !== 0xff) p++; // tolerate garbage between segments
    while (p < b.length && b[p] === 0xff) p++;
    if (p + 3 >= b.length) return "need-more";
    const m = b[p];
    p++;
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue;
    if (m === 0xd9 || m === 0xda) return null; // end of image / scan before any frame header
    const len = be16(b, p);
    if (len < 2) return null;
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof) {
      if (p + 7 > b.length) return "need-more";
      return { kind: "jpeg", height: be16(b, p + 3), width: be16(b, p + 5), orientation };
    }
    if (m === 0xe1 && orientation === undefined && p + len <= b.length) {
      // APP1 "Exif\0\0" + TIFF structure holding tag 274 (Orientation)
      if (b[p + 2] === 0x45 && b[p + 3] === 0x78 && b[p + 4] === 0x69 && b[p + 5] === 0x66) {
        const t = parseTiff(b.subarray(p + 8, p + len), 0);
        if (t && t !== "need-more") orientation = t.orientation;
      }
    }
    p += len;
  }
}

function parseTiff(
  b: Uint8Array,
  base: number,
): { width?: number; height?: number; orientation?: number } | "need-more" | null {
  if (b.length < base + 8) return "need-more";
  const little = b[base] === 0x49;
  const u16 = (o: number) => little ? le16(b, base + o) : be16(b, base + o);
  const u32 = (o: number) => little ? le32(b, base + o) : be32(b, base + o);
  const ifd = u32(4);
  if (base + ifd + 2 > b.length) return "need-more";
  const n = u16(ifd);
  if (base + ifd + 2 + n * 12 > b.length) return "need-more";
  const out: { width?: number; height?: number; orientation?: number } = {};
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    const tag = u16(e);
    const type = u16(e + 2);
    const val = type === 3 ? u16(e + 8) : u32(e + 8);
    if (tag === 256) out.width = val;
    else if (tag === 257) out.height = val;
    else if (tag === 274) out.orientation = u16(e + 8);
  }
  return out;
}

/** Width and height as displayed, i.e. swapped when EXIF says the image is rotated by 90°. */
export function displaySize(h: ImageHeader): { width: number; height: number } {
  return h.orientation && h.orientation >= 5 && h.orientation <= 8
    ? { width: h.height, height: h.width }
    : { width: h.width, height: h.height };
}

/** Result of reading the start of an image file. */
export interface HeadRead {
  header: ImageHeader | null;
  /** The bytes read (first 16 KiB at least, when the file is that long). */
  head: Uint8Array;
}

const HEAD_MIN = 16 * 1024;
const HEAD_MAX = 4 * 1024 * 1024;

/** Reads just enough of a file to know its dimensions (and 16 KiB for content fingerprints). */
export async function readImageHead(files: FilesApi, path: string): Promise<HeadRead> {
  const stream = await files.read(path);
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  let header: HeaderResult = "need-more";
  try {
    while (total < HEAD_MAX) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      total += value.length;
      if (total >= HEAD_MIN || header === "need-more") {
        header = parseImageHeader(concat(parts, total));
        if (header !== "need-more" && total >= HEAD_MIN) break;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const head = concat(parts, total);
  header = parseImageHeader(head);
  return { header: header === "need-more" ? null : header, head };
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  parts.length = 0;
  parts.push(out);
  return out;
}

/** Extensions the trainers (torchvision ImageFolder, the accelerator) accept as images. */
export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"];

/** True for file names the trainers treat as images. */
export function isImageName(name: string): boolean {
  const dot = name.lastIndexOf(".");
  return dot >= 0 && IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}
