/**
 * Reading label images as ids: class-index masks (grey or palette), COCO panoptic id images, and
 * a class mask turned into a translucent overlay for the browser.
 */
import { HttpError } from "@/lib/errors.ts";
import { type DecodedPng, decodePng, encodePng } from "./png.ts";

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

/**
 * A class-id mask as a translucent RGBA overlay (class colours, 0 and 255 transparent), so the
 * browser can lay it over the photo without decoding label PNGs itself. Anything that is not a
 * single-channel PNG within the pixel budget is a 422 HttpError naming `what` and the problem.
 */
export function colorizeMask(
  mask: Uint8Array,
  color: (id: number) => [number, number, number],
  what = "the mask",
): Uint8Array {
  let d: DecodedPng;
  try {
    d = decodePng(mask, what);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(
      422,
      `${what} cannot be shown as a mask overlay: ${e instanceof Error ? e.message : e}.`,
    );
  }
  if (d.channels !== 1) {
    throw new HttpError(
      422,
      `${what} has ${d.channels} channels; a mask overlay needs a single-channel (grey or palette) class-id PNG.`,
    );
  }
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
  return encodePng({ width: d.width, height: d.height, channels: 4, data: out }, {
    filter: "none",
  });
}
