/**
 * Panoptic quality (PQ = SQ x RQ) with panopticapi's rules: a prediction matches a ground truth
 * of the same category when IoU > 0.5; the union leaves out the prediction's pixels on void;
 * crowd ground truths are never matched or missed, and an unmatched prediction that lies more
 * than half on void (plus same-category crowd) is not a false positive. The `torchmetrics` rule
 * set adds its two differences (void prediction pixels also leave the union; a ground truth that
 * is mostly void in the prediction is not a false negative) so its reference cases reproduce.
 */
import { MetricsInputError } from "./input_error.ts";

/** A category: things have instances, stuff is one segment per category. */
export interface PanopticCategory {
  id: number;
  isthing: boolean;
  name?: string;
}

/** A segment as in COCO panoptic `segments_info`. Segment id 0 is void. */
export interface SegmentInfo {
  id: number;
  category_id: number;
  iscrowd?: number;
}

/** Which reference's edge rules to follow. */
export type PanopticRules = "panopticapi" | "torchmetrics";

/** PQ, SQ, RQ averaged over `n` categories (those with TP + FP + FN > 0); NaN when n = 0. */
export interface PqSummary {
  pq: number;
  sq: number;
  rq: number;
  n: number;
}

/** Per-category counts and qualities. */
export interface PqClass {
  pq: number;
  sq: number;
  rq: number;
  tp: number;
  fp: number;
  fn: number;
  iouSum: number;
  isthing: boolean;
}

/** All results: overall, things, stuff and per category id. */
export interface PanopticResult {
  all: PqSummary;
  things: PqSummary;
  stuff: PqSummary;
  perClass: Record<string, PqClass>;
}

const OFFSET = 2 ** 26; // > any 24-bit RGB segment id

/** Pixel counts of one image: per ground-truth id, per predicted id, per (gt, pred) pair. */
export interface PairCounts {
  gtArea: Map<number, number>;
  prArea: Map<number, number>;
  /** Keyed `gt * 2^26 + pred`. */
  inter: Map<number, number>;
}

/**
 * Counts the pixels of every segment id and (gt, pred) pair. A panoptic mask is made of long
 * runs of one pair along each row, so the counts are added run by run: the maps are touched once
 * a run instead of three times a pixel (the bench's panoptic figures measure it).
 */
export function pairCounts(gtIds: ArrayLike<number>, predIds: ArrayLike<number>): PairCounts {
  const gtArea = new Map<number, number>(), prArea = new Map<number, number>();
  const inter = new Map<number, number>();
  const n = Math.min(gtIds.length, predIds.length);
  const add = (g: number, p: number, run: number) => {
    gtArea.set(g, (gtArea.get(g) ?? 0) + run);
    prArea.set(p, (prArea.get(p) ?? 0) + run);
    const key = g * OFFSET + p;
    inter.set(key, (inter.get(key) ?? 0) + run);
  };
  let i = 0;
  while (i < n) {
    const g = gtIds[i], p = predIds[i];
    let j = i + 1;
    while (j < n && gtIds[j] === g && predIds[j] === p) j++;
    add(g, p, j - i);
    i = j;
  }
  return { gtArea, prArea, inter };
}

/** Accumulates per-category TP/FP/FN and IoU sums image by image. */
export class PanopticAccumulator {
  private stats = new Map<number, { tp: number; fp: number; fn: number; iou: number }>();
  private cats = new Map<number, PanopticCategory>();

  constructor(categories: PanopticCategory[], readonly rules: PanopticRules = "panopticapi") {
    for (const c of categories) {
      this.cats.set(c.id, c);
      this.stats.set(c.id, { tp: 0, fp: 0, fn: 0, iou: 0 });
    }
  }

  /**
   * Adds one image given per-pixel segment ids (0 = void) and the segments' categories.
   * `where` names the image in errors (unknown segment ids, unknown categories, sizes).
   */
  addImage(
    gtIds: ArrayLike<number>,
    gtSegments: SegmentInfo[],
    predIds: ArrayLike<number>,
    predSegments: SegmentInfo[],
    where = "image",
  ): void {
    if (gtIds.length !== predIds.length) {
      throw new MetricsInputError(
        where,
        "",
        `prediction has ${predIds.length} pixels, ground truth ${gtIds.length}`,
      );
    }
    const gtSeg = this.segmentMap(gtSegments, where, "ground truth");
    const prSeg = this.segmentMap(predSegments, where, "prediction");
    const { gtArea, prArea, inter } = pairCounts(gtIds, predIds);
    for (const id of prArea.keys()) {
      if (id !== 0 && !prSeg.has(id)) {
        throw new MetricsInputError(
          where,
          "prediction",
          `segment ${id} is in the mask but not in segments_info`,
        );
      }
    }
    for (const id of prSeg.keys()) {
      if (!prArea.has(id)) {
        throw new MetricsInputError(
          where,
          "prediction",
          `segment ${id} is in segments_info but not in the mask`,
        );
      }
    }
    for (const id of gtArea.keys()) {
      if (id !== 0 && !gtSeg.has(id)) {
        throw new MetricsInputError(
          where,
          "ground truth",
          `segment ${id} is in the mask but not in segments_info`,
        );
      }
    }
    const tm = this.rules === "torchmetrics";
    const gtMatched = new Set<number>(), prMatched = new Set<number>();
    for (const [key, n] of inter) {
      const g = Math.floor(key / OFFSET), p = key - g * OFFSET;
      const gs = gtSeg.get(g), ps = prSeg.get(p);
      if (!gs || !ps || gs.iscrowd || gs.category_id !== ps.category_id) continue;
      let union = prArea.get(p)! + gtArea.get(g)! - n - (inter.get(0 * OFFSET + p) ?? 0);
      if (tm) union -= inter.get(g * OFFSET + 0) ?? 0;
      const iou = n / union;
      if (iou > 0.5) {
        const st = this.stats.get(gs.category_id)!;
        st.tp++;
        st.iou += iou;
        gtMatched.add(g);
        prMatched.add(p);
      }
    }
    const crowdByCat = new Map<number, number>();
    for (const [g, gs] of gtSeg) {
      if (gtMatched.has(g)) continue;
      if (gs.iscrowd) {
        crowdByCat.set(gs.category_id, g);
        continue;
      }
      const area = gtArea.get(g) ?? 0;
      if (tm && area > 0 && (inter.get(g * OFFSET + 0) ?? 0) / area > 0.5) continue;
      this.stats.get(gs.category_id)!.fn++;
    }
    for (const [p, ps] of prSeg) {
      if (prMatched.has(p)) continue;
      let onVoid = inter.get(0 * OFFSET + p) ?? 0;
      const crowd = crowdByCat.get(ps.category_id);
      if (crowd !== undefined) onVoid += inter.get(crowd * OFFSET + p) ?? 0;
      if (onVoid / prArea.get(p)! > 0.5) continue;
      this.stats.get(ps.category_id)!.fp++;
    }
  }

  private segmentMap(segs: SegmentInfo[], where: string, what: string) {
    const m = new Map<number, SegmentInfo>();
    for (const s of segs) {
      if (!this.cats.has(s.category_id)) {
        throw new MetricsInputError(
          where,
          what,
          `segment ${s.id} has unknown category ${s.category_id}`,
        );
      }
      if (s.id === 0) continue; // id 0 is void by definition
      if (m.has(s.id)) throw new MetricsInputError(where, what, `segment id ${s.id} appears twice`);
      m.set(s.id, s);
    }
    return m;
  }

  /** PQ/SQ/RQ overall, for things, for stuff, and per category. */
  result(): PanopticResult {
    const perClass: Record<string, PqClass> = {};
    const sums = { all: [0, 0, 0, 0], things: [0, 0, 0, 0], stuff: [0, 0, 0, 0] };
    const ids = [...this.cats.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const st = this.stats.get(id)!, cat = this.cats.get(id)!;
      const denom = st.tp + 0.5 * st.fp + 0.5 * st.fn;
      const pq = denom > 0 ? st.iou / denom : 0;
      const sq = st.tp > 0 ? st.iou / st.tp : 0;
      const rq = denom > 0 ? st.tp / denom : 0;
      perClass[String(id)] = {
        pq,
        sq,
        rq,
        tp: st.tp,
        fp: st.fp,
        fn: st.fn,
        iouSum: st.iou,
        isthing: cat.isthing,
      };
      if (st.tp + st.fp + st.fn === 0) continue;
      for (const group of [sums.all, cat.isthing ? sums.things : sums.stuff]) {
        group[0] += pq;
        group[1] += sq;
        group[2] += rq;
        group[3]++;
      }
    }
    const avg = ([pq, sq, rq, n]: number[]): PqSummary =>
      n === 0 ? { pq: NaN, sq: NaN, rq: NaN, n } : { pq: pq / n, sq: sq / n, rq: rq / n, n };
    return { all: avg(sums.all), things: avg(sums.things), stuff: avg(sums.stuff), perClass };
  }
}

/**
 * Converts (category, instance) pixel pairs, torchmetrics' input format, into segment ids and
 * segments_info: stuff instances collapse to one segment per category, and pixels of unknown
 * categories become void.
 */
export function segmentsFromCategoryInstance(
  categoryIds: ArrayLike<number>,
  instanceIds: ArrayLike<number>,
  categories: PanopticCategory[],
): { ids: Int32Array; segments: SegmentInfo[] } {
  const cat = new Map(categories.map((c) => [c.id, c]));
  const key = new Map<string, number>();
  const ids = new Int32Array(categoryIds.length);
  const segments: SegmentInfo[] = [];
  for (let i = 0; i < categoryIds.length; i++) {
    const c = cat.get(categoryIds[i]);
    if (!c) continue; // void
    const k = `${c.id}:${c.isthing ? instanceIds[i] : 0}`;
    let id = key.get(k);
    if (id === undefined) {
      id = segments.length + 1;
      key.set(k, id);
      segments.push({ id, category_id: c.id, iscrowd: 0 });
    }
    ids[i] = id;
  }
  return { ids, segments };
}
