/**
 * Per-image tallies at one confidence threshold, for "worst images" galleries: true positives,
 * false positives and missed objects as the confidence sweep counts them (COCO's greedy matching
 * at one IoU, all areas, the largest maxDets, crowd matches ignored), and each image's loosest
 * match. Greedy matching runs in score order, so cutting at a threshold keeps every match of the
 * detections above it: one pass over the evaluation's matches gives the counts.
 */
import type { CocoEvalResult } from "./coco_eval.ts";
import { bboxIou } from "./mask_rle.ts";

/** One image at the threshold. */
export interface ImageTally {
  tp: number;
  fp: number;
  missed: number;
  /** Lowest box IoU of the image's true positives; null when it has none. */
  minIou: number | null;
}

/** The tallies and the cut they were made at. */
export interface ImageTallies {
  iouThreshold: number;
  confidence: number;
  /** Image id -> tally, for images with a ground truth or a detection at the cut. */
  perImage: Record<string, ImageTally>;
}

/** Tallies every image of `r` keeping detections with score >= `confidence`. */
export function imageTallies(
  r: CocoEvalResult,
  confidence: number,
  iouThreshold = 0.5,
): ImageTallies {
  const p = r.params, ix = r.index, m = r.matches;
  const T = p.iouThrs.length, A = p.areaRng.length;
  let t = 0;
  p.iouThrs.forEach((v, i) => {
    if (Math.abs(v - iouThreshold) < Math.abs(p.iouThrs[t] - iouThreshold)) t = i;
  });
  const a = Math.max(0, p.areaLabels.indexOf("all"));
  const [lo, hi] = p.areaRng[a];
  const perImage: Record<string, ImageTally> = {};
  const tally = (
    img: number,
  ) => (perImage[String(ix.imgIds[img])] ??= { tp: 0, fp: 0, missed: 0, minIou: null });
  const { gtBox, dtBox } = ix;
  for (let b = 0; b < ix.nImg * ix.nCat; b++) {
    const img = b % ix.nImg;
    let objects = 0;
    for (let g = ix.gtStart[b]; g < ix.gtStart[b + 1]; g++) {
      if (!ix.gtCrowd[g] && ix.gtArea[g] >= lo && ix.gtArea[g] <= hi) objects++;
    }
    let found = 0;
    for (let j = ix.dtStart[b]; j < ix.dtStart[b + 1]; j++) {
      if (ix.dtScore[j] < confidence) continue;
      const fi = (j * A + a) * T + t, f = m.dtFlags[fi];
      if (f & 2) continue;
      const s = tally(img);
      if (!(f & 1)) {
        s.fp++;
        continue;
      }
      s.tp++;
      found++;
      const g = m.dtGt[fi], d = j * 4, k = g * 4;
      const iou = bboxIou(
        dtBox[d],
        dtBox[d + 1],
        dtBox[d + 2],
        dtBox[d + 3],
        gtBox[k],
        gtBox[k + 1],
        gtBox[k + 2],
        gtBox[k + 3],
        false,
      );
      if (s.minIou === null || iou < s.minIou) s.minIou = iou;
    }
    if (objects > 0) tally(img).missed += Math.max(0, objects - found);
  }
  return { iouThreshold: p.iouThrs[t], confidence, perImage };
}
