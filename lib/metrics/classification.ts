/**
 * Classification metrics from per-image top-k predictions: accuracy and top-k accuracy,
 * precision/recall/F1 per class with macro, micro and weighted averages (scikit-learn's
 * definitions, zero_division=0, averaged over the labels present in truth or prediction),
 * the confusion matrix, and one-vs-rest ROC and precision-recall curves per class.
 */
import { MetricsInputError } from "./input_error.ts";
import { pairwiseSum } from "./numeric.ts";

/** One image's ranked predictions (best first) and its true class. */
export interface ClassificationSample {
  label: number;
  topK: { label: number; score: number }[];
  /** Identifies the image in drill-downs (file name or id). */
  key?: string;
}

/** Precision, recall, F1 and support. */
export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** A one-vs-rest curve; thresholds descend. */
export interface Curve {
  x: number[];
  y: number[];
  thresholds: number[];
  /** ROC AUC (trapezoid) or average precision (sklearn's step sum). */
  area: number;
}

/** Everything computed for a classification run. */
export interface ClassificationResult {
  numClasses: number;
  samples: number;
  accuracy: number;
  /** k -> share of samples whose label is among the first k predictions (only k < classes). */
  topK: Record<string, number>;
  /** Rows: true class, columns: top-1 predicted class. */
  confusion: number[][];
  perClass: Prf[];
  macro: Prf;
  micro: Prf;
  weighted: Prf;
  /** One-vs-rest ROC per class (null without positives or negatives). */
  roc: (Curve | null)[];
  /** One-vs-rest precision-recall per class (null without positives). */
  pr: (Curve | null)[];
  /** What a confidence cut on the top-1 score keeps, and how right the kept answers are. */
  sweep: ClassificationSweep;
  /** Per confusion cell `"<true>,<predicted>"`: up to CELL_SAMPLES images, most confident first. */
  cells: Record<string, { key: string; score: number }[]>;
}

/** The top-1 confidence sweep: at each threshold, the share of images answered and their accuracy. */
export interface ClassificationSweep {
  thresholds: number[];
  /** Share of all images whose top-1 score is at least the threshold. */
  kept: number[];
  /** Accuracy among the kept images (1 when none is kept, as precision's convention). */
  accuracy: number[];
  /** Correct kept answers ÷ all images. */
  correct: number[];
}

/** Images remembered per confusion cell for the drill-down. */
export const CELL_SAMPLES = 12;

/** Top-1 answers against a confidence cut, at 0, 0.01, …, 1 (one pass over sorted scores). */
export function classificationSweep(
  top1: { score: number; correct: boolean }[],
  steps = 100,
): ClassificationSweep {
  const n = top1.length;
  const kept = new Float64Array(steps + 1), right = new Float64Array(steps + 1);
  for (const t of top1) {
    // the bin of the highest threshold this score still passes
    let b = Math.min(steps, Math.floor(t.score * steps + 1e-9));
    if (b < 0) b = -1;
    for (let i = 0; i <= b; i++) {
      kept[i]++;
      if (t.correct) right[i]++;
    }
  }
  const thresholds = Array.from({ length: steps + 1 }, (_, i) => i / steps);
  return {
    thresholds,
    kept: Array.from(kept, (k) => safeDiv(k, n)),
    accuracy: Array.from(kept, (k, i) => (k === 0 ? 1 : right[i] / k)),
    correct: Array.from(right, (r) => safeDiv(r, n)),
  };
}

const safeDiv = (a: number, b: number) => (b === 0 ? 0 : a / b);

/**
 * Sorts a top-k list by score, best first; equal scores go to the lowest label, as `argmax`
 * (NumPy, PyTorch) picks the first maximum. Files are not trusted to be sorted already.
 */
export function rankTopK(topK: { label: number; score: number }[]) {
  return [...topK].sort((a, b) => b.score - a.score || a.label - b.label);
}

/**
 * Computes all metrics. A class missing from an image's top-k scores 0 for that image in the
 * curves, which is exact for ranking when k covers every class and a lower bound otherwise.
 * Top-k lists are ranked with `rankTopK`; a true or predicted label outside [0, numClasses)
 * is an error, never a silent skip.
 */
export function classificationMetrics(
  samples: ClassificationSample[],
  numClasses: number,
  ks: number[] = [1, 5],
  maxCurvePoints = 201,
): ClassificationResult {
  const C = numClasses, n = samples.length;
  samples = samples.map((s, i) => {
    const where = s.key ?? `sample ${i}`;
    if (!Number.isInteger(s.label) || s.label < 0 || s.label >= C) {
      throw new MetricsInputError(
        where,
        "label",
        `true label ${s.label} is not a class index below the ${C} classes`,
      );
    }
    const bad = s.topK.find((p) => !Number.isInteger(p.label) || p.label < 0 || p.label >= C);
    if (bad) {
      throw new MetricsInputError(
        where,
        "top_k",
        `predicted label ${bad.label} is not a class index below the ${C} classes`,
      );
    }
    return { ...s, topK: rankTopK(s.topK) };
  });
  // top-k with k >= C is 100% by construction: it says nothing, so it is not reported
  ks = ks.filter((k) => k === 1 || k < C);
  const cm = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const hits = ks.map(() => 0);
  for (const s of samples) {
    const top1 = s.topK[0]?.label;
    if (top1 !== undefined && top1 >= 0 && top1 < C) cm[s.label][top1]++;
    ks.forEach((k, i) => {
      if (s.topK.slice(0, k).some((p) => p.label === s.label)) hits[i]++;
    });
  }
  const perClass: Prf[] = [];
  let tpSum = 0, fpSum = 0, fnSum = 0;
  const present: number[] = [];
  for (let c = 0; c < C; c++) {
    const tp = cm[c][c];
    let fp = 0, fn = 0;
    for (let o = 0; o < C; o++) {
      if (o === c) continue;
      fp += cm[o][c];
      fn += cm[c][o];
    }
    const support = tp + fn;
    const precision = safeDiv(tp, tp + fp), recall = safeDiv(tp, tp + fn);
    perClass.push({ precision, recall, f1: safeDiv(2 * tp, 2 * tp + fp + fn), support });
    tpSum += tp;
    fpSum += fp;
    fnSum += fn;
    if (support > 0 || tp + fp > 0) present.push(c);
  }
  const avg = (weights: number[] | null): Prf => {
    const pick = (f: (p: Prf) => number) => {
      const vals = present.map((c) => f(perClass[c]) * (weights ? weights[c] : 1));
      const denom = weights ? pairwiseSum(present.map((c) => weights[c])) : present.length;
      return safeDiv(pairwiseSum(vals), denom);
    };
    return {
      precision: pick((p) => p.precision),
      recall: pick((p) => p.recall),
      f1: pick((p) => p.f1),
      support: pairwiseSum(present.map((c) => perClass[c].support)),
    };
  };
  const microP = safeDiv(tpSum, tpSum + fpSum), microR = safeDiv(tpSum, tpSum + fnSum);
  // one pass: per class, the samples that ranked it (score > 0); everyone else scores 0
  const listed = Array.from({ length: C }, () => ({ s: [] as number[], p: [] as number[] }));
  const positives = new Float64Array(C);
  for (const smp of samples) {
    if (smp.label >= 0 && smp.label < C) positives[smp.label]++;
    for (const q of smp.topK) {
      if (q.label < 0 || q.label >= C || !(q.score > 0)) continue;
      listed[q.label].s.push(q.score);
      listed[q.label].p.push(q.label === smp.label ? 1 : 0);
    }
  }
  const roc: (Curve | null)[] = [], pr: (Curve | null)[] = [];
  for (let c = 0; c < C; c++) {
    const { s, p } = listed[c];
    const listedPos = p.reduce((a, b) => a + b, 0);
    const restP = positives[c] - listedPos, restN = n - s.length - restP;
    const scores = [...s, 0], posW = [...p, restP], negW = [...p.map((v) => 1 - v), restN];
    const counts = binaryCounts(scores, posW, negW);
    roc.push(thin(rocFromCounts(counts), maxCurvePoints));
    pr.push(thin(prFromCounts(counts), maxCurvePoints));
  }
  const cells: Record<string, { key: string; score: number }[]> = {};
  const top1: { score: number; correct: boolean }[] = [];
  samples.forEach((smp, i) => {
    const best = smp.topK[0];
    if (!best) return;
    top1.push({ score: best.score, correct: best.label === smp.label });
    const k = `${smp.label},${best.label}`;
    (cells[k] ??= []).push({ key: smp.key ?? String(i), score: best.score });
  });
  for (const list of Object.values(cells)) {
    list.sort((a, b) => b.score - a.score);
    list.length = Math.min(list.length, CELL_SAMPLES);
  }
  return {
    numClasses: C,
    samples: n,
    sweep: classificationSweep(top1),
    cells,
    accuracy: safeDiv(tpSum, n),
    topK: Object.fromEntries(ks.map((k, i) => [String(k), safeDiv(hits[i], n)])),
    confusion: cm,
    perClass,
    macro: avg(null),
    micro: {
      precision: microP,
      recall: microR,
      f1: safeDiv(2 * microP * microR, microP + microR),
      support: tpSum + fnSum,
    },
    weighted: avg(perClass.map((p) => p.support)),
    roc,
    pr,
  };
}

/** Cumulative TP/FP at each distinct score, highest first (sklearn's _binary_clf_curve). */
function binaryCounts(
  scores: ArrayLike<number>,
  posW: ArrayLike<number>,
  negW: ArrayLike<number>,
) {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) =>
    scores[b] - scores[a]
  );
  const tps: number[] = [], fps: number[] = [], thr: number[] = [];
  let tp = 0, fp = 0;
  for (let j = 0; j < idx.length; j++) {
    tp += posW[idx[j]];
    fp += negW[idx[j]];
    if (j === idx.length - 1 || scores[idx[j + 1]] !== scores[idx[j]]) {
      if (tps.length && tp === tps[tps.length - 1] && fp === fps[fps.length - 1]) {
        thr[thr.length - 1] = scores[idx[j]]; // an empty group (weight 0): same point
        continue;
      }
      tps.push(tp);
      fps.push(fp);
      thr.push(scores[idx[j]]);
    }
  }
  return { tps, fps, thr, P: tp, N: fp };
}

type Counts = ReturnType<typeof binaryCounts>;

function rocFromCounts({ tps, fps, thr, P, N }: Counts): Curve | null {
  if (P === 0 || N === 0) return null;
  const x = [0, ...fps.map((f) => f / N)], y = [0, ...tps.map((t) => t / P)];
  let area = 0;
  for (let i = 1; i < x.length; i++) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
  return { x, y, thresholds: [Infinity, ...thr], area };
}

function prFromCounts({ tps, fps, thr, P }: Counts): Curve | null {
  if (P === 0) return null;
  const x: number[] = [], y: number[] = [];
  let area = 0, prevR = 0;
  for (let i = 0; i < tps.length; i++) {
    if (tps[i] + fps[i] === 0) continue;
    const r = tps[i] / P, p = tps[i] / (tps[i] + fps[i]);
    x.push(r);
    y.push(p);
    area += (r - prevR) * p;
    prevR = r;
  }
  return { x, y, thresholds: thr.slice(thr.length - x.length), area };
}

/** Keeps at most `max` evenly spaced points (first and last included); the area is kept. */
function thin(c: Curve | null, max: number): Curve | null {
  if (!c || c.x.length <= max || max < 2) return c;
  const keep = Array.from(
    { length: max },
    (_, i) => Math.round((i * (c.x.length - 1)) / (max - 1)),
  );
  return {
    x: keep.map((i) => c.x[i]),
    y: keep.map((i) => c.y[i]),
    thresholds: keep.map((i) => c.thresholds[i]),
    area: c.area,
  };
}

/** ROC curve (fpr, tpr) from (0, 0) with its trapezoid AUC; null if a class is absent. */
export function rocCurve(scores: ArrayLike<number>, pos: ArrayLike<number>): Curve | null {
  const neg = Array.from(pos, (v) => (v ? 0 : 1));
  return rocFromCounts(binaryCounts(scores, Array.from(pos, (v) => (v ? 1 : 0)), neg));
}

/** Precision-recall curve (recall, precision) with sklearn's average precision. */
export function prCurve(scores: ArrayLike<number>, pos: ArrayLike<number>): Curve | null {
  const neg = Array.from(pos, (v) => (v ? 0 : 1));
  return prFromCounts(binaryCounts(scores, Array.from(pos, (v) => (v ? 1 : 0)), neg));
}
