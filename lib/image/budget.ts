/**
 * The one pixel budget every image decode obeys: mask overlays, thumbnails, evaluation label
 * maps, and the coming model endpoints and playground uploads. A 439 KB PNG can declare
 * 20000×20000 pixels and cost gigabytes once decoded, so the size is checked from the header
 * (PNG IHDR, JPEG SOF) before anything is inflated or allocated.
 */
import { HttpError } from "@/lib/errors.ts";
import { parseImageHeader } from "@/lib/data/image_header.ts";

/** Used when `LAKEVISION_MAX_DECODE_PIXELS` is not set: 40 megapixels (e.g. 8000×5000). */
export const DEFAULT_MAX_DECODE_PIXELS = 40_000_000;

/**
 * The most pixels (width × height) any decode may produce. `LAKEVISION_MAX_DECODE_PIXELS`
 * overrides it; a value that is not a positive integer stops start-up with a message.
 */
export const MAX_DECODE_PIXELS: number = readLimit();

function readLimit(): number {
  let raw: string | undefined;
  try {
    raw = Deno.env.get("LAKEVISION_MAX_DECODE_PIXELS");
  } catch {
    raw = undefined; // no env permission (e.g. a sandboxed worker): the default applies
  }
  if (raw === undefined || raw.trim() === "") return DEFAULT_MAX_DECODE_PIXELS;
  const n = Number(raw.replaceAll("_", ""));
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new Error(
      `LAKEVISION_MAX_DECODE_PIXELS must be a positive whole number of pixels, got "${raw}".`,
    );
  }
  return n;
}

/** 422: an image that is valid but declares more pixels than the server decodes. */
export class ImageTooLargeError extends HttpError {
  constructor(message: string) {
    super(422, message);
    this.name = "ImageTooLargeError";
  }
}

/**
 * Throws an ImageTooLargeError (422) naming `what` and its size when `width × height` exceeds
 * the budget, and a 422 when the header gives no usable size. Call it with the header's size
 * before decoding, never after.
 */
export function checkPixelBudget(
  width: number,
  height: number,
  what: string,
  max: number = MAX_DECODE_PIXELS,
): void {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new HttpError(422, `${what} declares an unusable size ${width}×${height}.`);
  }
  if (width * height > max) {
    throw new ImageTooLargeError(
      `${what} is ${width}×${height} (${mp(width * height)} megapixels); images of up to ${
        mp(max)
      } megapixels are decoded here.`,
    );
  }
}

/**
 * Checks an encoded image's header against the budget. Returns the header, or null when the bytes
 * are not a format whose header is understood (the decoder then reports what is wrong).
 */
export function checkImageBytes(bytes: Uint8Array, what: string, max = MAX_DECODE_PIXELS) {
  const h = parseImageHeader(bytes.subarray(0, 4 * 1024 * 1024));
  if (h === null || h === "need-more") return null;
  checkPixelBudget(h.width, h.height, what, max);
  return h;
}

const mp = (px: number) => (px / 1e6).toFixed(px < 10e6 ? 1 : 0);
