/**
 * Detection confusion matrix with a background class, at a stated IoU and confidence: each
 * ground truth is paired with at most one detection (highest IoU first, any class), so a row
 * shows what the model said about that class's objects: the right class, another class, or
 * nothing (background column); the background row holds detections with no object under them.
 * Every cell keeps the images behind it so a click can show them.
 */
import type { CocoDetection, CocoGt } from "./coco_types.ts";
import { bboxIou } from "./mask_rle.ts";

/** The matrix; index `catIds.length` is background in both rows and columns. */
export interface DetectionConfusion {
  iouThreshold: number;
  confidence: number;
  catIds: number[];
  labels: string[];
  /** Rows: ground-truth class (last: background), columns: predicted class (last: background). */
  matrix: number[][];
  /** "row,col" -> image ids with at least one event in that cell, ascending. */
  cellImages: Record<string, number[]>;
}

/** Groups annotation/detection indices by image id. */
export function byImage<T extends { image_id: number }>(items: T[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  items.forEach((it, i) => {
    const l = m.get(it.image_id);
    if (l) l.push(i);
    else m.set(it.image_id, [i]);
  });
  return m;
}

/** Builds the matrix; detections below `confidence` are dropped, pairs need IoU >= threshold. */
export function detectionConfusion(
  gt: CocoGt,
  dts: CocoDetection[],
  opts: { iouThreshold?: number; confidence?: number } = {},
): DetectionConfusion {
  const iouThr = opts.iouThreshold ?? 0.5, conf = opts.confidence ?? 0.25;
  const catIds = [...new Set(gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  const names = new Map(gt.categories.map((c) => [c.id, c.name]));
  const ci = new Map(catIds.map((id, i) => [id, i]));
  const BG = catIds.length;
  const matrix = Array.from({ length: BG + 1 }, () => new Array<number>(BG + 1).fill(0));
  const cells = new Map<string, Set<number>>();
  const note = (r: number, c: number, img: number) => {
    matrix[r][c]++;
    const k = `${r},${c}`;
    let s = cells.get(k);
    if (!s) cells.set(k, s = new Set());
    s.add(img);
  };
  const gtBy = byImage(gt.annotations);
  const kept = dts.filter((d) => d.score >= conf && d.bbox && ci.has(d.category_id));
  const dtBy = byImage(kept);
  for (const im of gt.images) {
    const gIdx = (gtBy.get(im.id) ?? []).filter((i) => ci.has(gt.annotations[i].category_id));
    const dIdx = dtBy.get(im.id) ?? [];
    const real = gIdx.filter((i) => !gt.annotations[i].iscrowd);
    const crowd = gIdx.filter((i) => gt.annotations[i].iscrowd);
    const pairs: [number, number, number][] = [];
    for (let a = 0; a < real.length; a++) {
      const g = gt.annotations[real[a]].bbox;
      for (let b = 0; b < dIdx.length; b++) {
        const d = kept[dIdx[b]].bbox!;
        const v = bboxIou(d[0], d[1], d[2], d[3], g[0], g[1], g[2], g[3], false);
        if (v >= iouThr) pairs.push([v, a, b]);
      }
    }
    pairs.sort((x, y) => y[0] - x[0] || x[1] - y[1] || x[2] - y[2]);
    const gUsed = new Uint8Array(real.length), dUsed = new Uint8Array(dIdx.length);
    for (const [, a, b] of pairs) {
      if (gUsed[a] || dUsed[b]) continue;
      gUsed[a] = dUsed[b] = 1;
      note(ci.get(gt.annotations[real[a]].category_id)!, ci.get(kept[dIdx[b]].category_id)!, im.id);
    }
    real.forEach((gi, a) => {
      if (!gUsed[a]) note(ci.get(gt.annotations[gi].category_id)!, BG, im.id);
    });
    dIdx.forEach((di, b) => {
      if (dUsed[b]) return;
      const d = kept[di].bbox!;
      const onCrowd = crowd.some((gi) => {
        const g = gt.annotations[gi].bbox;
        return bboxIou(d[0], d[1], d[2], d[3], g[0], g[1], g[2], g[3], true) >= iouThr;
      });
      if (!onCrowd) note(BG, ci.get(kept[di].category_id)!, im.id);
    });
  }
  const cellImages: Record<string, number[]> = {};
  for (const [k, s] of cells) cellImages[k] = [...s].sort((a, b) => a - b);
  return {
    iouThreshold: iouThr,
    confidence: conf,
    catIds,
    labels: [...catIds.map((id) => names.get(id) ?? String(id)), "background"],
    matrix,
    cellImages,
  };
}
