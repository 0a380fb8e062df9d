/**
 * model.json's input recipe: stretch-resize the RGB image to height × width, x = (pixel·scale −
 * mean) / std, NCHW (or NHWC) float32 with a batch of one. The resize is Pillow's BILINEAR
 * (`Image.resize(..., Image.BILINEAR)`, which jobs/lakevision_jobs/inference.py uses), reproduced
 * to the byte: a triangle filter whose support widens with the downscale factor (so shrinking
 * averages instead of aliasing), 22-bit fixed-point weights, horizontal pass then vertical, each
 * rounded to 8 bits. The browser and the server thus feed the graph exactly what Python feeds it.
 */
import type { ModelJson } from "@/lib/inference/model_json.ts";

/** Pixels as a canvas gives them: RGBA, row-major, 4 bytes per pixel. Alpha is ignored. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** The graph input for one image, and how input pixels map back to the original. */
export interface Preprocessed {
  tensor: Float32Array;
  /** [1, 3, H, W] for NCHW, [1, H, W, 3] for NHWC. */
  dims: number[];
  /** Original size / input size: multiply input-pixel x by sx and y by sy. */
  scale: { sx: number; sy: number };
}

/** The model.json input fields preprocess reads. */
export type InputRecipe = Pick<
  ModelJson["input"],
  "height" | "width" | "layout" | "color" | "scale" | "mean" | "std"
>;

/** One image as the graph's input tensor, per the model.json `input` recipe. */
export function preprocess(image: RgbaImage, meta: { input: InputRecipe }): Preprocessed {
  const { width: iw, height: ih, data } = image;
  if (!(iw > 0 && ih > 0) || data.length !== iw * ih * 4) {
    throw new Error(`image data has ${data.length} bytes; ${iw}×${ih} RGBA needs ${iw * ih * 4}`);
  }
  const inp = meta.input;
  const rgb = resizeRgbBilinear(data, iw, ih, inp.width, inp.height);
  const n = inp.width * inp.height;
  const tensor = new Float32Array(3 * n);
  const order = inp.color === "BGR" ? [2, 1, 0] : [0, 1, 2];
  // jobs/ divides by 255 in float32; any other scale multiplies.
  const byDivision = Math.abs((inp.scale ?? 1 / 255) - 1 / 255) < 1e-12;
  const mul = Math.fround(inp.scale ?? 1 / 255);
  for (let c = 0; c < 3; c++) {
    const src = order[c];
    const mean = Math.fround(inp.mean[c]), std = Math.fround(inp.std[c]);
    for (let i = 0; i < n; i++) {
      const v = rgb[3 * i + src];
      const x = Math.fround(byDivision ? v / 255 : v * mul);
      const y = Math.fround(Math.fround(x - mean) / std);
      if (inp.layout === "NHWC") tensor[3 * i + c] = y;
      else tensor[c * n + i] = y;
    }
  }
  const dims = inp.layout === "NHWC"
    ? [1, inp.height, inp.width, 3]
    : [1, 3, inp.height, inp.width];
  return { tensor, dims, scale: { sx: iw / inp.width, sy: ih / inp.height } };
}

const PRECISION_BITS = 32 - 8 - 2;

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for BILINEAR (support 1). */
function coefficients(inSize: number, outSize: number) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      w[x] = t < 1 ? 1 - t : 0;
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x] / ww : w[x];
      kk[xx * ksize + x] = k < 0
        ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS))
        : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  if (v >= (1 << PRECISION_BITS) * 256) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / (1 << PRECISION_BITS));
}

/**
 * RGBA (alpha dropped, as Pillow's convert("RGB") does) to RGB at outW × outH, Pillow BILINEAR.
 * Exported for tests and for callers that want the resized pixels themselves.
 */
export function resizeRgbBilinear(
  rgba: ArrayLike<number>,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
): Uint8Array {
  let src = new Uint8Array(inW * inH * 3);
  for (let i = 0; i < inW * inH; i++) {
    src[3 * i] = rgba[4 * i];
    src[3 * i + 1] = rgba[4 * i + 1];
    src[3 * i + 2] = rgba[4 * i + 2];
  }
  if (inW === outW && inH === outH) return src;
  const half = 1 << (PRECISION_BITS - 1);
  let w = inW;
  if (outW !== inW) {
    const { ksize, bounds, kk } = coefficients(inW, outW);
    const tmp = new Uint8Array(outW * inH * 3);
    for (let y = 0; y < inH; y++) {
      const row = y * inW * 3;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[2 * xx], xmax = bounds[2 * xx + 1], k0 = xx * ksize;
        let s0 = half, s1 = half, s2 = half;
        for (let x = 0; x < xmax; x++) {
          const k = kk[k0 + x], p = row + (x + xmin) * 3;
          s0 += src[p] * k;
          s1 += src[p + 1] * k;
          s2 += src[p + 2] * k;
        }
        const o = (y * outW + xx) * 3;
        tmp[o] = clip8(s0);
        tmp[o + 1] = clip8(s1);
        tmp[o + 2] = clip8(s2);
      }
    }
    src = tmp;
    w = outW;
  }
  if (outH === inH) return src;
  const { ksize, bounds, kk } = coefficients(inH, outH);
  const out = new Uint8Array(w * outH * 3);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[2 * yy], ymax = bounds[2 * yy + 1], k0 = yy * ksize;
    for (let x = 0; x < w; x++) {
      let s0 = half, s1 = half, s2 = half;
      for (let y = 0; y < ymax; y++) {
        const k = kk[k0 + y], p = ((y + ymin) * w + x) * 3;
        s0 += src[p] * k;
        s1 += src[p + 1] * k;
        s2 += src[p + 2] * k;
      }
      const o = (yy * w + x) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}
