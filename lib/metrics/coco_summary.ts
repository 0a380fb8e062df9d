/**
 * pycocotools' summarize(): the 12 headline numbers and the text block people know, plus the
 * per-category and per-IoU breakdowns. Means use numpy's pairwise summation over the same
 * C-order slices, so values agree with pycocotools to the last bit.
 */
import type { CocoParams } from "./coco_eval.ts";
import { pairwiseSum } from "./numeric.ts";

interface Arrays {
  precision: Float64Array;
  recall: Float64Array;
}

/** The 12 stats' definitions in pycocotools order (ap=1 precision, 0 recall). */
export const COCO_STAT_DEFS: {
  ap: boolean;
  iouThr?: number;
  area: string;
  maxDets: number;
}[] = [
  { ap: true, area: "all", maxDets: 100 },
  { ap: true, iouThr: 0.5, area: "all", maxDets: 100 },
  { ap: true, iouThr: 0.75, area: "all", maxDets: 100 },
  { ap: true, area: "small", maxDets: 100 },
  { ap: true, area: "medium", maxDets: 100 },
  { ap: true, area: "large", maxDets: 100 },
  { ap: false, area: "all", maxDets: 1 },
  { ap: false, area: "all", maxDets: 10 },
  { ap: false, area: "all", maxDets: 100 },
  { ap: false, area: "small", maxDets: 100 },
  { ap: false, area: "medium", maxDets: 100 },
  { ap: false, area: "large", maxDets: 100 },
];

/** Names for the 12 stats (the keys training jobs log, without the eval_ prefix). */
export const COCO_STAT_NAMES = [
  "map",
  "map_50",
  "map_75",
  "map_small",
  "map_medium",
  "map_large",
  "mar_1",
  "mar_10",
  "mar_100",
  "mar_small",
  "mar_medium",
  "mar_large",
];

function meanKept(vals: number[]): number {
  return vals.length === 0 ? -1 : pairwiseSum(vals) / vals.length;
}

/** Computes stats and breakdowns from accumulated arrays. */
export function summarizeCoco(acc: Arrays, p: CocoParams, catIds: number[]) {
  const T = p.iouThrs.length, R = p.recThrs.length, K = catIds.length;
  const A = p.areaRng.length, M = p.maxDets.length;
  const P = (t: number, r: number, k: number, a: number, m: number) =>
    acc.precision[(((t * R + r) * K + k) * A + a) * M + m];
  const Rc = (t: number, k: number, a: number, m: number) =>
    acc.recall[((t * K + k) * A + a) * M + m];
  const mOf = (n: number) => p.maxDets.indexOf(n);
  const aOf = (l: string) => p.areaLabels.indexOf(l);

  const stat = (ap: boolean, iouThr: number | undefined, area: string, maxDets: number) => {
    const a = aOf(area), m = mOf(maxDets);
    if (a < 0 || m < 0) return -1;
    const ts = iouThr === undefined
      ? p.iouThrs.map((_, i) => i)
      : p.iouThrs.flatMap((v, i) => (v === iouThr ? [i] : []));
    const kept: number[] = [];
    for (const t of ts) {
      if (ap) {
        for (let r = 0; r < R; r++) {
          for (let k = 0; k < K; k++) {
            const v = P(t, r, k, a, m);
            if (v > -1) kept.push(v);
          }
        }
      } else {
        for (let k = 0; k < K; k++) {
          const v = Rc(t, k, a, m);
          if (v > -1) kept.push(v);
        }
      }
    }
    return meanKept(kept);
  };
  const stats = COCO_STAT_DEFS.map((d) => stat(d.ap, d.iouThr, d.area, d.maxDets));

  const mLast = M - 1;
  const perCategoryAp: Record<string, number> = {};
  const perCategoryAr: Record<string, number> = {};
  for (let k = 0; k < K; k++) {
    const ap: number[] = [];
    const ar: number[] = [];
    for (let t = 0; t < T; t++) {
      for (let r = 0; r < R; r++) {
        const v = P(t, r, k, 0, mLast);
        if (v > -1) ap.push(v);
      }
      const v = Rc(t, k, 0, mLast);
      if (v > -1) ar.push(v);
    }
    perCategoryAp[String(catIds[k])] = meanKept(ap);
    perCategoryAr[String(catIds[k])] = meanKept(ar);
  }
  const perIouAp = p.iouThrs.map((_, t) => {
    const kept: number[] = [];
    for (let r = 0; r < R; r++) {
      for (let k = 0; k < K; k++) {
        const v = P(t, r, k, 0, mLast);
        if (v > -1) kept.push(v);
      }
    }
    return meanKept(kept);
  });
  return { stats, perCategoryAp, perCategoryAr, perIouAp };
}

/** The text pycocotools prints, one line per stat. */
export function formatCocoSummary(stats: number[], p: CocoParams): string {
  const lo = p.iouThrs[0].toFixed(2), hi = p.iouThrs[p.iouThrs.length - 1].toFixed(2);
  return COCO_STAT_DEFS.map((d, i) => {
    const title = d.ap ? "Average Precision" : "Average Recall";
    const type = d.ap ? "(AP)" : "(AR)";
    const iou = d.iouThr === undefined ? `${lo}:${hi}` : d.iouThr.toFixed(2);
    return ` ${title.padEnd(18)} ${type} @[ IoU=${iou.padEnd(9)} | area=${d.area.padStart(6)} | ` +
      `maxDets=${String(d.maxDets).padStart(3)} ] = ${stats[i].toFixed(3)}`;
  }).join("\n");
}
