/**
 * Reading label images as ids: class-index masks (grey or palette), COCO panoptic id images, the
 * per-class and per-segment pixel counts a dataset scan needs, and a class mask turned into a
 * translucent overlay for the browser. Each `decode…` function goes from PNG bytes to its result
 * in one call, so the decode pool (decode_pool.ts) can run the whole of it off the request thread.
 */
import { HttpError } from "@/lib/errors.ts";
import { type DecodedPng, decodePng, encodePng } from "./png.ts";

/** One id per pixel, row-major, with the image's size. */
export interface LabelMap<T extends Uint16Array | Uint32Array> {
  width: number;
  height: number;
  data: T;
}

/** Per-pixel class indices (classIndexMap). */
export type ClassMap = LabelMap<Uint16Array>;
/** Per-pixel COCO panoptic segment ids (panopticIdMap). */
export type PanopticMap = LabelMap<Uint32Array>;

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
 * A class-index PNG's class map: decodePng then classIndexMap. Throws an Error saying what is
 * wrong (the caller adds the file's name); over the pixel budget, the 422 names `what`.
 */
export function decodeClassMap(bytes: Uint8Array, what = "this PNG"): ClassMap {
  const png = decodePng(bytes, what);
  return { width: png.width, height: png.height, data: classIndexMap(png) };
}

/** A COCO panoptic PNG's segment id map: decodePng then panopticIdMap (errors as decodeClassMap). */
export function decodePanopticMap(bytes: Uint8Array, what = "this PNG"): PanopticMap {
  const png = decodePng(bytes, what);
  return { width: png.width, height: png.height, data: panopticIdMap(png) };
}

/** What a dataset scan learns from a class-id mask, without keeping its pixels. */
export interface ClassCounts {
  width: number;
  height: number;
  channels: number;
  bitDepth: number;
  /**
   * Pixels per stored value (256 bins, 65536 for 16-bit masks); null when the PNG is not
   * single-channel (grey or palette), which is that mask's problem rather than a decode error.
   */
  counts: Float64Array | null;
}

/** Decodes a class-id mask PNG and counts its pixels per value. */
export function decodeClassCounts(bytes: Uint8Array, what = "this PNG"): ClassCounts {
  const png = decodePng(bytes, what);
  const { width, height, channels, bitDepth, data } = png;
  if (channels !== 1) return { width, height, channels, bitDepth, counts: null };
  const counts = new Float64Array(bitDepth === 16 ? 65536 : 256);
  for (let p = 0; p < data.length; p++) counts[data[p]]++;
  return { width, height, channels, bitDepth, counts };
}

/** What a dataset scan learns from a COCO panoptic PNG, without keeping its pixels. */
export interface SegmentAreas {
  width: number;
  height: number;
  channels: number;
  bitDepth: number;
  /**
   * Every segment id present (0 = unlabelled included), in the order of first appearance, and
   * its pixel count at the same index; null when the PNG is not 8-bit RGB(A).
   */
  areas: { ids: Uint32Array; pixels: Float64Array } | null;
}

/** Decodes a panoptic PNG and counts its pixels per segment id (R + 256·G + 65536·B). */
export function decodeSegmentAreas(bytes: Uint8Array, what = "this PNG"): SegmentAreas {
  const png = decodePng(bytes, what);
  const { width, height, channels, bitDepth, data: d } = png;
  if (channels < 3 || bitDepth !== 8) return { width, height, channels, bitDepth, areas: null };
  // runs of equal ids make one Map update each
  const px = new Map<number, number>();
  let runId = -1, runLen = 0;
  for (let p = 0; p < d.length; p += channels) {
    const id = d[p] + 256 * d[p + 1] + 65536 * d[p + 2];
    if (id === runId) runLen++;
    else {
      if (runLen) px.set(runId, (px.get(runId) ?? 0) + runLen);
      runId = id;
      runLen = 1;
    }
  }
  if (runLen) px.set(runId, (px.get(runId) ?? 0) + runLen);
  const ids = new Uint32Array(px.size), pixels = new Float64Array(px.size);
  let k = 0;
  for (const [id, n] of px) {
    ids[k] = id;
    pixels[k++] = n;
  }
  return { width, height, channels, bitDepth, areas: { ids, pixels } };
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
