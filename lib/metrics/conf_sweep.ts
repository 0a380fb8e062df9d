/**
 * Precision, recall and F1 against the confidence threshold, per class and overall, and the
 * F1-optimal threshold (what Roboflow recommends and what deployment uses as its default).
 * It reuses the COCO matches: greedy matching in score order means the detections kept above
 * a threshold are matched exactly as in the full evaluation, so one pass gives every threshold.
 */
import type { CocoEvalResult } from "./coco_eval.ts";

/** Curves over `thresholds` plus the best point. */
export interface SweepCurve {
  precision: number[];
  recall: number[];
  f1: number[];
  tp: number[];
  fp: number[];
  /** Ground truths that count (non-crowd). */
  gt: number;
  best: { threshold: number; precision: number; recall: number; f1: number };
}

/** Sweep result; `perClass` is keyed by category id. */
export interface ConfidenceSweep {
  iouThreshold: number;
  thresholds: number[];
  overall: SweepCurve;
  perClass: Record<string, SweepCurve>;
}

const STEPS = 100;

function binOf(score: number): number {
  let b = Math.floor(score * STEPS);
  while (b + 1 <= STEPS && (b + 1) / STEPS <= score) b++;
  while (b >= 0 && b / STEPS > score) b--;
  return Math.min(b, STEPS);
}

function curve(tpHist: Float64Array, fpHist: Float64Array, gt: number): SweepCurve {
  const n = STEPS + 1;
  const tp = new Array<number>(n), fp = new Array<number>(n);
  let t = 0, f = 0;
  for (let i = n - 1; i >= 0; i--) {
    t += tpHist[i];
    f += fpHist[i];
    tp[i] = t;
    fp[i] = f;
  }
  const precision = tp.map((v, i) => (v + fp[i] === 0 ? 1 : v / (v + fp[i])));
  const recall = tp.map((v) => (gt === 0 ? 0 : v / gt));
  const f1 = precision.map((
    p,
    i,
  ) => (p + recall[i] === 0 ? 0 : 2 * p * recall[i] / (p + recall[i])));
  let bi = n - 1;
  for (let i = n - 1; i >= 0; i--) if (f1[i] > f1[bi]) bi = i; // ties keep the higher threshold
  return {
    precision,
    recall,
    f1,
    tp,
    fp,
    gt,
    best: { threshold: bi / STEPS, precision: precision[bi], recall: recall[bi], f1: f1[bi] },
  };
}

/**
 * Sweeps thresholds 0.00..1.00 (step 0.01) at the evaluation's IoU threshold closest to
 * `iouThreshold`, all areas, the largest maxDets.
 */
export function confidenceSweep(r: CocoEvalResult, iouThreshold = 0.5): ConfidenceSweep {
  const p = r.params, ix = r.index;
  const T = p.iouThrs.length, A = p.areaRng.length;
  let t = 0;
  p.iouThrs.forEach((v, i) => {
    if (Math.abs(v - iouThreshold) < Math.abs(p.iouThrs[t] - iouThreshold)) t = i;
  });
  const a = Math.max(0, p.areaLabels.indexOf("all"));
  const allTp = new Float64Array(STEPS + 1), allFp = new Float64Array(STEPS + 1);
  let allGt = 0;
  const perClass: Record<string, SweepCurve> = {};
  for (let k = 0; k < ix.nCat; k++) {
    const tpH = new Float64Array(STEPS + 1), fpH = new Float64Array(STEPS + 1);
    const s = ix.dtStart[k * ix.nImg], e = ix.dtStart[(k + 1) * ix.nImg];
    for (let j = s; j < e; j++) {
      const f = r.matches.dtFlags[(j * A + a) * T + t];
      if (f & 2) continue;
      const b = binOf(ix.dtScore[j]);
      if (b < 0) continue;
      if (f & 1) tpH[b]++;
      else fpH[b]++;
    }
    const gt = r.matches.npig[k * A + a];
    if (gt === 0 && e === s) continue;
    perClass[String(ix.catIds[k])] = curve(tpH, fpH, gt);
    for (let i = 0; i <= STEPS; i++) {
      allTp[i] += tpH[i];
      allFp[i] += fpH[i];
    }
    allGt += gt;
  }
  return {
    iouThreshold: p.iouThrs[t],
    thresholds: Array.from({ length: STEPS + 1 }, (_, i) => i / STEPS),
    overall: curve(allTp, allFp, allGt),
    perClass,
  };
}
