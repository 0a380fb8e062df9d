/**
 * COCO detection evaluation (bbox and segm) with pycocotools' exact semantics: greedy matching
 * per (image, category) in score order, crowd and area-range ignores, maxDets cuts, 101-point
 * interpolated precision, -1 for categories without ground truth. It runs on the bucketed
 * typed-array layout of coco_index.ts, so the whole evaluation is a few tight loops.
 */
import { buildCocoIndex, type CocoIndex } from "./coco_index.ts";
import type { CocoDetection, CocoGt, IouType } from "./coco_types.ts";
import { bboxIou, rleIou } from "./mask_rle.ts";
import { linspace } from "./numeric.ts";
import { summarizeCoco } from "./coco_summary.ts";

/** Evaluation parameters; the defaults are pycocotools' Params for bbox/segm. */
export interface CocoParams {
  iouThrs: number[];
  recThrs: number[];
  maxDets: number[];
  areaRng: [number, number][];
  areaLabels: string[];
}

/** pycocotools' default parameters (the same float values, so threshold tests compare alike). */
export function defaultCocoParams(): CocoParams {
  return {
    iouThrs: linspace(0.5, 0.95, 10),
    recThrs: linspace(0, 1, 101),
    maxDets: [1, 10, 100],
    areaRng: [[0, 1e10], [0, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e10]],
    areaLabels: ["all", "small", "medium", "large"],
  };
}

/** Per-detection outcome of matching, for every (area range, IoU threshold). */
export interface CocoMatches {
  /** Bit 1: matched to a ground truth; bit 2: ignored. Index ((det * A) + a) * T + t. */
  dtFlags: Uint8Array;
  /** Matched ground-truth index (into the index's gt arrays) or -1; same indexing. */
  dtGt: Int32Array;
  /** Non-ignored ground truths per (category, area range): index k * A + a. */
  npig: Int32Array;
}

/** Everything an evaluation produces; arrays are C-order like pycocotools' eval dict. */
export interface CocoEvalResult {
  iouType: IouType;
  params: CocoParams;
  imgIds: number[];
  catIds: number[];
  /** [T, R, K, A, M] interpolated precision, -1 where a category has no ground truth. */
  precision: Float64Array;
  /** [T, K, A, M] recall. */
  recall: Float64Array;
  /** [T, R, K, A, M] detection score at each recall threshold. */
  scores: Float64Array;
  /** The 12 summary numbers of pycocotools' summarize(). */
  stats: number[];
  /** AP@[.5:.95], all areas, maxDets 100, per category id (-1: no ground truth). */
  perCategoryAp: Record<string, number>;
  /** AR@100, all areas, per category id. */
  perCategoryAr: Record<string, number>;
  /** AP per IoU threshold (all areas, maxDets 100). */
  perIouAp: number[];
  index: CocoIndex;
  matches: CocoMatches;
}

const ONE_MINUS = 1 - 1e-10;

/** Matches detections to ground truths in every bucket, for every area range and threshold. */
export function matchCoco(ix: CocoIndex, p: CocoParams): CocoMatches {
  const T = p.iouThrs.length, A = p.areaRng.length;
  const nB = ix.nImg * ix.nCat;
  const nD = ix.dtStart[nB];
  const dtFlags = new Uint8Array(nD * A * T);
  const dtGt = new Int32Array(nD * A * T).fill(-1);
  const npig = new Int32Array(ix.nCat * A);
  let ious = new Float64Array(1024);
  let gperm = new Int32Array(64), gIg = new Uint8Array(64), gtm = new Uint8Array(64);
  const segm = ix.iouType === "segm";
  const { gtBox, dtBox, gtCrowd, gtArea, dtArea, gtId } = ix;

  for (let b = 0; b < nB; b++) {
    const g0 = ix.gtStart[b], G = ix.gtStart[b + 1] - g0;
    const d0 = ix.dtStart[b], D = ix.dtStart[b + 1] - d0;
    if (G === 0 && D === 0) continue;
    const k = Math.floor(b / ix.nImg);
    if (G > gperm.length) {
      gperm = new Int32Array(G * 2);
      gIg = new Uint8Array(G * 2);
      gtm = new Uint8Array(G * 2);
    }
    if (G > 0 && D > 0) {
      if (D * G > ious.length) ious = new Float64Array(D * G * 2);
      for (let d = 0; d < D; d++) {
        const dj = d0 + d;
        for (let g = 0; g < G; g++) {
          const gj = g0 + g;
          ious[d * G + g] = segm ? maskIou(ix, dj, gj) : bboxIou(
            dtBox[dj * 4],
            dtBox[dj * 4 + 1],
            dtBox[dj * 4 + 2],
            dtBox[dj * 4 + 3],
            gtBox[gj * 4],
            gtBox[gj * 4 + 1],
            gtBox[gj * 4 + 2],
            gtBox[gj * 4 + 3],
            gtCrowd[gj] === 1,
          );
        }
      }
    }
    for (let a = 0; a < A; a++) {
      const lo = p.areaRng[a][0], hi = p.areaRng[a][1];
      // ground truths sorted by ignore flag, stable: non-ignored first
      let n = 0;
      for (let g = 0; g < G; g++) {
        const gj = g0 + g;
        if (!(gtCrowd[gj] || gtArea[gj] < lo || gtArea[gj] > hi)) {
          gperm[n] = g;
          gIg[n++] = 0;
        }
      }
      npig[k * A + a] += n;
      for (let g = 0; g < G; g++) {
        const gj = g0 + g;
        if (gtCrowd[gj] || gtArea[gj] < lo || gtArea[gj] > hi) {
          gperm[n] = g;
          gIg[n++] = 1;
        }
      }
      if (D === 0) continue;
      for (let t = 0; t < T; t++) {
        gtm.fill(0, 0, G);
        const thr = p.iouThrs[t];
        for (let d = 0; d < D; d++) {
          const dj = d0 + d;
          let iou = thr < ONE_MINUS ? thr : ONE_MINUS;
          let m = -1;
          if (G > 0) {
            const row = d * G;
            for (let gi = 0; gi < G; gi++) {
              const g = gperm[gi];
              if (gtm[gi] && !gtCrowd[g0 + g]) continue;
              if (m > -1 && gIg[m] === 0 && gIg[gi] === 1) break;
              const v = ious[row + g];
              if (v < iou) continue;
              iou = v;
              m = gi;
            }
          }
          const fi = (dj * A + a) * T + t;
          const outside = dtArea[dj] < lo || dtArea[dj] > hi;
          if (m === -1) {
            if (outside) dtFlags[fi] = 2;
            continue;
          }
          gtm[m] = 1;
          const gj = g0 + gperm[m];
          dtGt[fi] = gj;
          // pycocotools stores the gt id and tests it for truthiness: an id of 0 never counts
          const matched = gtId[gj] !== 0;
          const ignored = gIg[m] === 1 || (!matched && outside);
          dtFlags[fi] = (matched ? 1 : 0) | (ignored ? 2 : 0);
        }
      }
    }
  }
  return { dtFlags, dtGt, npig };
}

/**
 * Mask IoU after maskApi.c's pre-check on the masks' tight boxes: disjoint boxes give 0 (even
 * for masks of different sizes, which otherwise give -1, as in pycocotools).
 */
function maskIou(ix: CocoIndex, dj: number, gj: number): number {
  const d = ix.dtMaskBox, g = ix.gtMaskBox, a = dj * 4, b = gj * 4;
  if (Math.min(d[a] + d[a + 2], g[b] + g[b + 2]) - Math.max(d[a], g[b]) <= 0) return 0;
  if (Math.min(d[a + 1] + d[a + 3], g[b + 1] + g[b + 3]) - Math.max(d[a + 1], g[b + 1]) <= 0) {
    return 0;
  }
  return rleIou(ix.dtRle[dj], ix.gtRle[gj], ix.gtCrowd[gj] === 1);
}

/** Accumulates precision/recall/score arrays from matches (pycocotools accumulate()). */
export function accumulateCoco(ix: CocoIndex, p: CocoParams, mt: CocoMatches) {
  const T = p.iouThrs.length, R = p.recThrs.length, K = ix.nCat;
  const A = p.areaRng.length, M = p.maxDets.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const scores = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const maxDetAll = Math.max(...p.maxDets);
  let rc = new Float64Array(1024), pr = new Float64Array(1024);
  let sel = new Int32Array(1024);
  const EPS = 2.220446049250313e-16; // np.spacing(1)

  for (let k = 0; k < K; k++) {
    const s = ix.dtStart[k * ix.nImg], e = ix.dtStart[(k + 1) * ix.nImg];
    // rank of each detection inside its image (the maxDets cut applies per image)
    const rank = new Int32Array(e - s);
    for (let i = k * ix.nImg; i < (k + 1) * ix.nImg; i++) {
      for (let j = ix.dtStart[i]; j < ix.dtStart[i + 1]; j++) rank[j - s] = j - ix.dtStart[i];
    }
    // concatenation order is already image order; a stable sort by -score matches mergesort
    const all = Array.from({ length: e - s }, (_, i) => s + i);
    all.sort((x, y) => ix.dtScore[y] - ix.dtScore[x] || x - y);
    if (all.length > sel.length) {
      sel = new Int32Array(all.length * 2);
      rc = new Float64Array(all.length * 2);
      pr = new Float64Array(all.length * 2);
    }
    for (let m = 0; m < M; m++) {
      const maxDet = Math.min(p.maxDets[m], maxDetAll);
      let nd = 0;
      for (const j of all) if (rank[j - s] < maxDet) sel[nd++] = j;
      for (let a = 0; a < A; a++) {
        const npig = mt.npig[k * A + a];
        if (npig === 0) continue;
        for (let t = 0; t < T; t++) {
          let tp = 0, fp = 0;
          for (let i = 0; i < nd; i++) {
            const f = mt.dtFlags[(sel[i] * A + a) * T + t];
            if (!(f & 2)) {
              if (f & 1) tp++;
              else fp++;
            }
            rc[i] = tp / npig;
            pr[i] = tp / (fp + tp + EPS);
          }
          recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1] : 0;
          for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
          let pi = 0;
          for (let r = 0; r < R; r++) {
            const thr = p.recThrs[r];
            while (pi < nd && rc[pi] < thr) pi++;
            const at = (((t * R + r) * K + k) * A + a) * M + m;
            if (pi >= nd) {
              // pycocotools leaves the rest at 0 (its IndexError is swallowed)
              for (let r2 = r; r2 < R; r2++) {
                const at2 = (((t * R + r2) * K + k) * A + a) * M + m;
                precision[at2] = 0;
                scores[at2] = 0;
              }
              break;
            }
            precision[at] = pr[pi];
            scores[at] = ix.dtScore[sel[pi]];
          }
        }
      }
    }
  }
  return { precision, recall, scores };
}

/**
 * Runs the whole COCO evaluation on validated inputs. `params` overrides pycocotools' defaults
 * (e.g. other maxDets); stats follow summarize() whatever the parameters.
 */
export function evaluateCoco(
  gt: CocoGt,
  dts: CocoDetection[],
  iouType: IouType,
  params: CocoParams = defaultCocoParams(),
  sources?: { gt: string; dt: string },
): CocoEvalResult {
  const p = { ...params, maxDets: [...params.maxDets].sort((a, b) => a - b) };
  const index = buildCocoIndex(gt, dts, iouType, p.maxDets[p.maxDets.length - 1], sources);
  const matches = matchCoco(index, p);
  const acc = accumulateCoco(index, p, matches);
  const summary = summarizeCoco(acc, p, index.catIds);
  return {
    iouType,
    params: p,
    imgIds: index.imgIds,
    catIds: index.catIds,
    ...acc,
    ...summary,
    index,
    matches,
  };
}
