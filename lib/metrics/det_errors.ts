/**
 * Detection error analysis in TIDE's categories (Bolya et al., ECCV 2020): every false positive
 * at the foreground IoU (0.5) is explained as a classification, localisation, both, duplicate or
 * background error, and ground truths nobody found are missed. Each category's weight is the
 * AP50 gained by an oracle that fixes only those errors (dAP), recomputed with the same COCO
 * evaluation, so the numbers add up to something people can act on.
 */
import { type CocoEvalResult, defaultCocoParams, evaluateCoco } from "./coco_eval.ts";
import type { CocoAnnotation, CocoDetection, CocoGt } from "./coco_types.ts";
import { bboxIou } from "./mask_rle.ts";
import { byImage } from "./det_confusion.ts";

/** The six TIDE error types. */
export type TideError = "cls" | "loc" | "both" | "dupe" | "bkg" | "missed";
export const TIDE_ERRORS: TideError[] = ["cls", "loc", "both", "dupe", "bkg", "missed"];

/** Counts and dAP per error type, overall and per category, plus per-image tallies. */
export interface TideResult {
  fgIou: number;
  bgIou: number;
  /** AP at fgIou (101-point COCO interpolation, all areas, maxDets 100). */
  ap: number;
  counts: Record<TideError, number>;
  /** AP gained by fixing only this error type. */
  dAP: Record<TideError, number>;
  perCategory: Record<string, Record<TideError, number>>;
  /** Image id -> false positives and misses, for "worst images" galleries. */
  perImage: Record<string, { fp: number; missed: number; tp: number }>;
  /** Detection index (in the results list) -> its error type. */
  detectionErrors: Record<string, TideError>;
}

const zero = (): Record<TideError, number> => ({
  cls: 0,
  loc: 0,
  both: 0,
  dupe: 0,
  bkg: 0,
  missed: 0,
});

function apAt(gt: CocoGt, dts: CocoDetection[], iou: number): CocoEvalResult {
  return evaluateCoco(gt, dts, "bbox", { ...defaultCocoParams(), iouThrs: [iou] });
}

/** Classifies every error and measures each type's dAP. Boxes only. */
export function tideErrors(
  gt: CocoGt,
  dts: CocoDetection[],
  opts: { fgIou?: number; bgIou?: number } = {},
): TideResult {
  const fg = opts.fgIou ?? 0.5, bg = opts.bgIou ?? 0.1;
  const base = apAt(gt, dts, fg);
  const ix = base.index, A = base.params.areaRng.length;
  const anns = gt.annotations;
  const gtBy = byImage(anns);
  const counts = zero();
  const perCategory: Record<string, Record<TideError, number>> = {};
  const perImage: Record<string, { fp: number; missed: number; tp: number }> = {};
  const detectionErrors: Record<string, TideError> = {};
  const img = (id: number) => (perImage[String(id)] ??= { fp: 0, missed: 0, tp: 0 });
  const add = (e: TideError, cat: number) => {
    counts[e]++;
    (perCategory[String(cat)] ??= zero())[e]++;
  };
  const matchedGt = new Set<number>(); // annotation indices matched by a TP
  const nD = ix.dtStart[ix.nImg * ix.nCat];
  for (let j = 0; j < nD; j++) {
    const f = base.matches.dtFlags[j * A];
    if ((f & 1) && !(f & 2)) {
      matchedGt.add(ix.gtSrc[base.matches.dtGt[j * A]]);
      img(dts[ix.dtSrc[j]].image_id).tp++;
    }
  }
  // fixes, applied later to measure dAP: detection index -> new detection or null (removed)
  const fixes: Record<TideError, Map<number, CocoDetection | null>> = {
    cls: new Map(),
    loc: new Map(),
    both: new Map(),
    dupe: new Map(),
    bkg: new Map(),
    missed: new Map(),
  };
  const explained = new Set<number>(); // GTs targeted by a cls/loc error are not "missed"
  const claimed = { cls: new Set<number>(), loc: new Set<number>() };
  // false positives in score order (the index is score-sorted within buckets; sort globally)
  const fps: number[] = [];
  for (let j = 0; j < nD; j++) if (!(base.matches.dtFlags[j * A] & 3)) fps.push(j);
  fps.sort((x, y) => ix.dtScore[y] - ix.dtScore[x] || x - y);
  for (const j of fps) {
    const di = ix.dtSrc[j], d = dts[di], b = d.bbox!;
    let sameMax = 0, sameIdx = -1, otherMax = 0, otherIdx = -1, allMax = 0;
    for (const gi of gtBy.get(d.image_id) ?? []) {
      const g: CocoAnnotation = anns[gi];
      if (g.iscrowd || !g.bbox) continue;
      const v = bboxIou(b[0], b[1], b[2], b[3], g.bbox[0], g.bbox[1], g.bbox[2], g.bbox[3], false);
      if (v > allMax) allMax = v;
      if (g.category_id === d.category_id) {
        if (v > sameMax) [sameMax, sameIdx] = [v, gi];
      } else if (v > otherMax) [otherMax, otherIdx] = [v, gi];
    }
    // tidecv's order: localisation (same class, bg <= IoU <= fg), classification (another
    // class, IoU >= fg), duplicate (same class, IoU >= fg with a used GT), background
    // (IoU <= bg with everything), otherwise both
    let e: TideError;
    if (sameIdx >= 0 && sameMax >= bg && sameMax <= fg) {
      e = "loc";
      explained.add(sameIdx);
      const dup = matchedGt.has(sameIdx) || claimed.loc.has(sameIdx);
      claimed.loc.add(sameIdx);
      fixes.loc.set(di, dup ? null : { ...d, bbox: anns[sameIdx].bbox });
    } else if (otherIdx >= 0 && otherMax >= fg) {
      e = "cls";
      explained.add(otherIdx);
      const dup = matchedGt.has(otherIdx) || claimed.cls.has(otherIdx);
      claimed.cls.add(otherIdx);
      fixes.cls.set(di, dup ? null : { ...d, category_id: anns[otherIdx].category_id });
    } else if (sameIdx >= 0 && sameMax >= fg) {
      e = "dupe";
      fixes.dupe.set(di, null);
    } else if (allMax <= bg) {
      e = "bkg";
      fixes.bkg.set(di, null);
    } else {
      e = "both";
      fixes.both.set(di, null);
    }
    add(e, d.category_id);
    detectionErrors[String(di)] = e;
    img(d.image_id).fp++;
  }
  const evalCats = new Set(ix.catIds), evalImgs = new Set(ix.imgIds);
  const missed = new Set<number>();
  anns.forEach((g, gi) => {
    if (g.iscrowd || !evalCats.has(g.category_id) || !evalImgs.has(g.image_id)) return;
    if (matchedGt.has(gi) || explained.has(gi)) return;
    missed.add(gi);
    add("missed", g.category_id);
    img(g.image_id).missed++;
  });
  const ap = base.stats[0];
  const dAP = zero();
  for (const e of TIDE_ERRORS) {
    if (counts[e] === 0) continue;
    let fixedGt = gt, fixedDts = dts;
    if (e === "missed") {
      fixedGt = { ...gt, annotations: anns.filter((_, gi) => !missed.has(gi)) };
    } else {
      const fx = fixes[e];
      fixedDts = [];
      dts.forEach((d, i) => {
        const r = fx.has(i) ? fx.get(i) : d;
        if (r) fixedDts.push(r);
      });
    }
    // as tidecv: a negative gain is binning noise and counts as 0
    dAP[e] = Math.max(0, apAt(fixedGt, fixedDts, fg).stats[0] - Math.max(0, ap));
  }
  return { fgIou: fg, bgIou: bg, ap, counts, dAP, perCategory, perImage, detectionErrors };
}
