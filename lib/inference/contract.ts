/**
 * A decoded Prediction as the serving contract's JSON: class masks as base64 class-index PNGs
 * (8-bit grey when ids fit, else 16-bit, like jobs/ `save_class_png`), instance masks as COCO
 * compressed RLE (like jobs/ `mask_to_rle`). Browser and server both answer through this.
 */
import { encodePng } from "@/lib/image/png.ts";
import { rleCountsToString } from "@/lib/image/coco_rle.ts";
import type {
  DetectionPrediction,
  Prediction,
  SegmentationPrediction,
} from "@/lib/inference/postprocess.ts";

/** COCO compressed RLE of one mask. */
export interface CocoRle {
  size: [number, number];
  counts: string;
}

/** The JSON entry for one image, exactly as the endpoint answers it. */
export type ServingEntry =
  | { top_k: { label: number; label_name: string; score: number }[] }
  | (Omit<DetectionPrediction, "masks"> & { masks?: CocoRle[] })
  | { mask_png: string; classes: number[]; width: number; height: number };

/**
 * Serving-contract JSON for a decoded prediction; `image` is the original size (the `ctx` given
 * to decodeOutputs), which instance masks need.
 */
export function toServingEntry(
  p: Prediction,
  image: { width: number; height: number },
): ServingEntry {
  if ("top_k" in p) return { top_k: p.top_k };
  if ("boxes" in p) {
    const { masks, ...rest } = p;
    if (!masks) return rest;
    return { ...rest, masks: masks.map((m) => maskToRle(m, image.height, image.width)) };
  }
  return {
    mask_png: classMaskPngBase64(p),
    classes: p.classes,
    width: p.width,
    height: p.height,
  };
}

/** A class-index mask as a base64 PNG: 8-bit grey when every id is below 256, else 16-bit. */
export function classMaskPngBase64(p: Pick<SegmentationPrediction, "mask" | "width" | "height">) {
  let max = 0;
  for (const v of p.mask) if (v > max) max = v;
  const png = encodePng({
    width: p.width,
    height: p.height,
    channels: 1,
    data: p.mask,
    bitDepth: max < 256 ? 8 : 16,
  }, { filter: "none" });
  return base64(png);
}

/** COCO RLE {size: [h, w], counts} of a row-major 0/1 mask (runs are column-major, zeros first). */
export function maskToRle(mask: ArrayLike<number>, height: number, width: number): CocoRle {
  const runs: number[] = [];
  let current = 0, run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x] ? 1 : 0;
      if (v !== current) {
        runs.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  runs.push(run);
  return { size: [height, width], counts: rleCountsToString(runs) };
}

/** Base64 of bytes, in Deno and browsers alike (no Buffer). */
export function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
