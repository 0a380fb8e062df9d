/**
 * A JSON-ready view of a COCO evaluation for pages and exports: the 12 stats by name, a
 * per-category table (AP, AP50, AP75, AP by size, AR@100, ground-truth and detection counts)
 * and interpolated precision-recall curves per category at IoU 0.50 and 0.75.
 */
import type { CocoEvalResult } from "./coco_eval.ts";
import { COCO_STAT_NAMES } from "./coco_summary.ts";
import { pairwiseSum } from "./numeric.ts";

/** One row of the per-category table; -1 means "no ground truth" as in pycocotools. */
export interface CocoCategoryRow {
  id: number;
  name: string;
  ap: number;
  ap50: number;
  ap75: number;
  apSmall: number;
  apMedium: number;
  apLarge: number;
  ar100: number;
  /** Non-crowd ground truths. */
  gt: number;
  /** Detections kept for evaluation (at most 100 per image). */
  dets: number;
}

/** The report; `prCurves` values align with `recall` (the 101 recall thresholds). */
export interface CocoReport {
  iouType: string;
  stats: Record<string, number>;
  perIouAp: { iou: number; ap: number }[];
  perCategory: CocoCategoryRow[];
  recall: number[];
  prCurves: Record<string, { p50: number[]; p75: number[] }>;
}

/** Builds the report; `names` maps category id to name (ids are used when missing). */
export function cocoReport(r: CocoEvalResult, names: Map<number, string> = new Map()): CocoReport {
  const p = r.params, ix = r.index;
  const R = p.recThrs.length, K = r.catIds.length;
  const A = p.areaRng.length, M = p.maxDets.length, m = M - 1;
  const P = (t: number, rr: number, k: number, a: number) =>
    r.precision[(((t * R + rr) * K + k) * A + a) * M + m];
  const tIdx = (v: number) => p.iouThrs.findIndex((x) => Math.abs(x - v) < 1e-9);
  const t50 = tIdx(0.5), t75 = tIdx(0.75);
  const apOf = (k: number, a: number, ts: number[]) => {
    const kept: number[] = [];
    for (const t of ts) {
      for (let rr = 0; rr < R; rr++) {
        const v = P(t, rr, k, a);
        if (v > -1) kept.push(v);
      }
    }
    return kept.length ? pairwiseSum(kept) / kept.length : -1;
  };
  const allT = p.iouThrs.map((_, i) => i);
  const aOf = (l: string) => p.areaLabels.indexOf(l);
  const perCategory: CocoCategoryRow[] = [];
  const prCurves: CocoReport["prCurves"] = {};
  for (let k = 0; k < K; k++) {
    const id = r.catIds[k];
    const curve = (
      t: number,
    ) => (t < 0 ? [] : Array.from({ length: R }, (_, rr) => P(t, rr, k, 0)));
    perCategory.push({
      id,
      name: names.get(id) ?? String(id),
      ap: r.perCategoryAp[String(id)],
      ap50: t50 < 0 ? -1 : apOf(k, 0, [t50]),
      ap75: t75 < 0 ? -1 : apOf(k, 0, [t75]),
      apSmall: aOf("small") < 0 ? -1 : apOf(k, aOf("small"), allT),
      apMedium: aOf("medium") < 0 ? -1 : apOf(k, aOf("medium"), allT),
      apLarge: aOf("large") < 0 ? -1 : apOf(k, aOf("large"), allT),
      ar100: r.perCategoryAr[String(id)],
      gt: r.matches.npig[k * A],
      dets: ix.dtStart[(k + 1) * ix.nImg] - ix.dtStart[k * ix.nImg],
    });
    prCurves[String(id)] = { p50: curve(t50), p75: curve(t75) };
  }
  return {
    iouType: r.iouType,
    stats: Object.fromEntries(COCO_STAT_NAMES.map((n, i) => [n, r.stats[i]])),
    perIouAp: p.iouThrs.map((iou, t) => ({ iou, ap: r.perIouAp[t] })),
    perCategory,
    recall: [...p.recThrs],
    prCurves,
  };
}
