/**
 * Semantic segmentation metrics with the semantics of Hugging Face `evaluate`'s mean_iou (an
 * mmseg port): pixels whose label is the ignore index are dropped; classes are histogrammed
 * over [0, numClasses); IoU and accuracy are NaN for classes absent from both, and means skip
 * NaN. Counts accumulate image by image, so a whole validation set never sits in memory.
 */
import { MetricsInputError } from "./input_error.ts";
import { nanMean, pairwiseSum } from "./numeric.ts";

/** Options shared by the accumulator and the one-shot function. */
export interface SemsegOptions {
  numClasses: number;
  /** Label value to skip (HF default 255). */
  ignoreIndex?: number;
  /** HF reduce_labels: label 0 becomes ignored and every other label shifts down by one. */
  reduceLabels?: boolean;
}

/** Results; per-class arrays are indexed by class id. */
export interface SemsegResult {
  numClasses: number;
  /** Row = ground-truth class, column = predicted class (valid pixels, both in range). */
  confusion: number[][];
  areaIntersect: number[];
  areaUnion: number[];
  areaPred: number[];
  areaLabel: number[];
  /** NaN where the class appears in neither prediction nor label. */
  perClassIou: number[];
  /** NaN where the class never appears in the label. */
  perClassAccuracy: number[];
  meanIou: number;
  meanAccuracy: number;
  /** Correct pixels / labelled pixels (HF overall_accuracy). */
  pixelAccuracy: number;
  /** Pixels counted (label not ignored). */
  pixels: number;
}

/** Streams (prediction, label) pairs into per-class counts. */
export class SemsegAccumulator {
  readonly numClasses: number;
  readonly ignoreIndex: number;
  readonly reduceLabels: boolean;
  private confusion: Float64Array;
  private areaPred: Float64Array;
  private areaLabel: Float64Array;
  private pixels = 0;

  constructor(opts: SemsegOptions) {
    if (!Number.isInteger(opts.numClasses) || opts.numClasses < 1) {
      throw new RangeError(`numClasses must be a positive integer, got ${opts.numClasses}`);
    }
    this.numClasses = opts.numClasses;
    this.ignoreIndex = opts.ignoreIndex ?? 255;
    this.reduceLabels = opts.reduceLabels ?? false;
    this.confusion = new Float64Array(this.numClasses * this.numClasses);
    this.areaPred = new Float64Array(this.numClasses);
    this.areaLabel = new Float64Array(this.numClasses);
  }

  /** Adds one image; `where` names it in the error when sizes differ. */
  add(pred: ArrayLike<number>, label: ArrayLike<number>, where = "image"): void {
    if (pred.length !== label.length) {
      throw new MetricsInputError(
        where,
        "",
        `prediction has ${pred.length} pixels but the label has ${label.length}`,
      );
    }
    const C = this.numClasses, ign = this.ignoreIndex, cm = this.confusion;
    for (let i = 0; i < pred.length; i++) {
      let l = label[i];
      if (this.reduceLabels) {
        // HF on uint8 labels: 0 -> 255, then -1, then 254 -> 255
        l = l === 0 ? 254 : l - 1;
        if (l === 254) l = 255;
      }
      if (l === ign) continue;
      this.pixels++;
      const p = pred[i];
      const pIn = p >= 0 && p < C && Number.isInteger(p);
      const lIn = l >= 0 && l < C && Number.isInteger(l);
      if (pIn) this.areaPred[p]++;
      if (lIn) this.areaLabel[l]++;
      if (pIn && lIn) cm[l * C + p]++;
    }
  }

  /** Computes the metrics from everything added so far. */
  result(): SemsegResult {
    const C = this.numClasses, cm = this.confusion;
    const confusion: number[][] = [];
    const areaIntersect: number[] = [], areaUnion: number[] = [];
    const perClassIou: number[] = [], perClassAccuracy: number[] = [];
    for (let c = 0; c < C; c++) {
      confusion.push(Array.from(cm.subarray(c * C, (c + 1) * C)));
      const inter = cm[c * C + c];
      areaIntersect.push(inter);
      const union = this.areaPred[c] + this.areaLabel[c] - inter;
      areaUnion.push(union);
      perClassIou.push(inter / union);
      perClassAccuracy.push(inter / this.areaLabel[c]);
    }
    return {
      numClasses: C,
      confusion,
      areaIntersect,
      areaUnion,
      areaPred: Array.from(this.areaPred),
      areaLabel: Array.from(this.areaLabel),
      perClassIou,
      perClassAccuracy,
      meanIou: nanMean(perClassIou),
      meanAccuracy: nanMean(perClassAccuracy),
      pixelAccuracy: pairwiseSum(areaIntersect) / pairwiseSum(Array.from(this.areaLabel)),
      pixels: this.pixels,
    };
  }
}

/** One-shot mean IoU over lists of flattened prediction/label maps (HF mean_iou). */
export function meanIou(
  preds: ArrayLike<number>[],
  labels: ArrayLike<number>[],
  opts: SemsegOptions,
): SemsegResult {
  if (preds.length !== labels.length) {
    throw new RangeError(`${preds.length} predictions but ${labels.length} labels`);
  }
  const acc = new SemsegAccumulator(opts);
  preds.forEach((p, i) => acc.add(p, labels[i], `image ${i}`));
  return acc.result();
}
