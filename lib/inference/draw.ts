/**
 * Playground overlays on a canvas: boxes with label and score, instance masks and class-index
 * masks in the app's class colours (lib/data/colors.ts, keyed by the model's class index, as
 * Data EDA, the evaluation charts and the server's mask and batch overlays are) with an
 * opacity, and a class filter. Also turns an endpoint's serving-contract answer back into the
 * same Prediction the browser decodes, and filters it as decodeOutputs would, so both kinds of
 * result draw, compare and re-filter alike. Drawing needs a canvas; nothing here loads onnxruntime.
 */
import { classColor, classRgb } from "@/lib/data/colors.ts";
import { rleCountsFromString } from "@/lib/image/coco_rle.ts";
import { placeCaptions } from "@/lib/image/label_box.ts";
import type { ServingEntry } from "@/lib/inference/contract.ts";
import type {
  ClassificationPrediction,
  DetectionPrediction,
  Prediction,
  SegmentationPrediction,
} from "@/lib/inference/postprocess.ts";

/** How to draw. */
export interface DrawOptions {
  /** Labels / class ids not drawn (the class filter). */
  hidden?: ReadonlySet<number>;
  /** Mask opacity 0–1. */
  opacity?: number;
  /** Class names for masks (boxes carry their own). */
  labels?: readonly string[];
}

/** The drawing's size, in canvas pixels, that a small image is enlarged to (its longer side). */
export const MIN_DRAWN_SIDE = 640;

/**
 * How many canvas pixels an image pixel takes: 1 for an image at least MIN_DRAWN_SIDE on its
 * longer side, else the whole factor that brings it there (at most 8). A 160×120 image is drawn
 * 4× so its labels and lines are sized for a picture, not for 120 pixels that the page then
 * stretches (which made each label a third of the image).
 */
export function drawScale(w: number, h: number): number {
  const side = Math.max(w, h);
  return side >= MIN_DRAWN_SIDE || side <= 0 ? 1 : Math.min(8, Math.ceil(MIN_DRAWN_SIDE / side));
}

/**
 * Draws `image` and the prediction over it: at the image's own size, or a whole multiple of it
 * for a small image (`drawScale`; pixels stay sharp, masks keep their pixel edges).
 */
export function drawPrediction(
  canvas: HTMLCanvasElement | OffscreenCanvas,
  image: CanvasImageSource & { width: number; height: number },
  p: Prediction | undefined,
  o: DrawOptions = {},
): void {
  const w = image.width, h = image.height, s = drawScale(w, h);
  canvas.width = w * s;
  canvas.height = h * s;
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D | null;
  if (!ctx) return;
  if (s > 1) ctx.imageSmoothingEnabled = false;
  ctx.drawImage(image, 0, 0, w * s, h * s);
  if (!p || "top_k" in p) return;
  const hidden = o.hidden ?? new Set<number>();
  const opacity = o.opacity ?? 0.5;
  if ("boxes" in p) {
    if (p.masks) drawInstanceMasks(ctx, p, w, h, s, hidden, opacity);
    drawBoxes(ctx, p, w * s, h * s, s, hidden);
  } else drawClassMask(ctx, p, s, hidden, opacity);
}

/**
 * Calls `fn(source index, canvas pixel index)` for every canvas pixel of a `w`×`h` source drawn
 * `s` times enlarged.
 */
function eachPixel(w: number, h: number, s: number, fn: (j: number, k: number) => void) {
  const cw = w * s;
  for (let y = 0; y < h * s; y++) {
    const row = Math.floor(y / s) * w;
    for (let x = 0; x < cw; x++) fn(row + Math.floor(x / s), y * cw + x);
  }
}

function drawBoxes(
  ctx: CanvasRenderingContext2D,
  p: DetectionPrediction,
  w: number,
  h: number,
  s: number,
  hidden: ReadonlySet<number>,
) {
  const line = Math.max(2, Math.round(Math.min(w, h) / 200));
  const font = Math.max(11, Math.round(Math.min(w, h) / 32));
  ctx.font = `${font}px ui-sans-serif, system-ui, sans-serif`;
  ctx.textBaseline = "top";
  // boxes first, then their captions over them: the best scores' captions placed first, the
  // others moved off them (placeCaptions), so boxes on one spot keep readable labels
  const shown = p.boxes.map((_, i) => i).filter((i) => !hidden.has(p.labels[i]))
    .sort((a, b) => p.scores[b] - p.scores[a]);
  const captions = shown.map((i) => {
    const [x1, y1, x2, y2] = p.boxes[i].map((v) => v * s);
    const colour = classColor(p.labels[i]);
    ctx.strokeStyle = colour;
    ctx.lineWidth = line;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${p.label_names[i]} ${p.scores[i].toFixed(2)}`;
    const tw = ctx.measureText(text).width + 6;
    return { colour, text, x: x1, y: y1, w: tw, h: font + 4 };
  });
  placeCaptions(captions, w, h).forEach((at, k) => {
    const c = captions[k];
    ctx.fillStyle = c.colour;
    ctx.fillRect(at.x, at.y, c.w, c.h);
    ctx.fillStyle = "#fff";
    ctx.fillText(c.text, at.x + 3, at.y + 2);
  });
}

function drawInstanceMasks(
  ctx: CanvasRenderingContext2D,
  p: DetectionPrediction,
  w: number,
  h: number,
  s: number,
  hidden: ReadonlySet<number>,
  opacity: number,
) {
  const img = ctx.getImageData(0, 0, w * s, h * s);
  const a = Math.max(0, Math.min(1, opacity));
  p.masks!.forEach((m, i) => {
    if (hidden.has(p.labels[i]) || m.length !== w * h) return;
    const [r, g, b] = classRgb(p.labels[i]);
    eachPixel(w, h, s, (j, k) => {
      if (m[j]) blend(img.data, k, r, g, b, a);
    });
  });
  ctx.putImageData(img, 0, 0);
}

function drawClassMask(
  ctx: CanvasRenderingContext2D,
  p: SegmentationPrediction,
  s: number,
  hidden: ReadonlySet<number>,
  opacity: number,
) {
  if (p.mask.length !== p.width * p.height) return;
  const img = ctx.getImageData(0, 0, p.width * s, p.height * s);
  const a = Math.max(0, Math.min(1, opacity));
  const lut = new Map<number, [number, number, number]>();
  eachPixel(p.width, p.height, s, (j, k) => {
    const c = p.mask[j];
    if (c === 255 || hidden.has(c)) return;
    let rgb = lut.get(c);
    if (!rgb) lut.set(c, rgb = classRgb(c));
    blend(img.data, k, rgb[0], rgb[1], rgb[2], a);
  });
  ctx.putImageData(img, 0, 0);
}

function blend(d: Uint8ClampedArray, j: number, r: number, g: number, b: number, a: number) {
  const o = 4 * j;
  d[o] = d[o] * (1 - a) + r * a;
  d[o + 1] = d[o + 1] * (1 - a) + g * a;
  d[o + 2] = d[o + 2] * (1 - a) + b * a;
}

/** Pixels per class of a class-index mask (for the legend and comparisons). */
export function classAreas(p: SegmentationPrediction): Map<number, number> {
  const out = new Map<number, number>();
  for (const c of p.mask) if (c !== 255) out.set(c, (out.get(c) ?? 0) + 1);
  return out;
}

/** An endpoint's answer for one image as a Prediction (mask PNGs and RLE decoded). */
export async function fromServingEntry(e: ServingEntry): Promise<Prediction> {
  if ("top_k" in e) return { top_k: e.top_k } as ClassificationPrediction;
  if ("boxes" in e) {
    const { masks, ...rest } = e;
    if (!masks) return rest;
    return { ...rest, masks: masks.map((m) => rleToMask(m.counts, m.size[0], m.size[1])) };
  }
  const { decodePng } = await import("@/lib/image/png.ts");
  const png = decodePng(Uint8Array.from(atob(e.mask_png), (c) => c.charCodeAt(0)), "mask_png");
  if (png.channels !== 1) throw new Error("the endpoint's mask_png is not a one-channel class PNG");
  return { classes: e.classes, width: png.width, height: png.height, mask: png.data };
}

/** A COCO compressed RLE (column-major runs, zeros first) as a row-major 0/1 mask. */
export function rleToMask(counts: string, height: number, width: number): Uint8Array {
  const runs = rleCountsFromString(counts, true);
  const out = new Uint8Array(width * height);
  let pos = 0, v = 0;
  for (const n of runs) {
    if (v) {
      for (let k = pos; k < pos + n && k < out.length; k++) {
        // Runs are column-major; the mask is row-major.
        const x = Math.floor(k / height), y = k % height;
        out[y * width + x] = 1;
      }
    }
    pos += n;
    v ^= 1;
  }
  return out;
}

/**
 * An endpoint answer (asked with permissive parameters) filtered as decodeOutputs filters: score
 * ≥ threshold, best first, at most max_detections; top-k cut to k. Masks follow their boxes.
 */
export function filterPrediction(
  p: Prediction,
  params: { confidence_threshold: number; max_detections: number; top_k: number },
): Prediction {
  if ("top_k" in p) return { top_k: p.top_k.slice(0, Math.max(0, params.top_k)) };
  if (!("boxes" in p)) return p;
  const thr = Math.fround(params.confidence_threshold);
  const keep = p.scores.map((s, i) => [s, i] as const).filter(([s]) => s >= thr)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, Math.max(0, params.max_detections))
    .map(([, i]) => i);
  return {
    boxes: keep.map((i) => p.boxes[i]),
    scores: keep.map((i) => p.scores[i]),
    labels: keep.map((i) => p.labels[i]),
    label_names: keep.map((i) => p.label_names[i]),
    ...(p.masks ? { masks: keep.map((i) => p.masks![i]) } : {}),
  };
}
