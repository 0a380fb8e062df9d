/**
 * Detection confusion matrix with a background class, at a stated IoU and confidence: each
 * ground truth is paired with at most one detection (highest IoU first, any class; at equal IoU
 * the higher score wins), so a row shows what the model said about that class's objects: the
 * right class, another class, or nothing (background column); the background row holds
 * detections paired with no object. Of those, the ones lying on an object that another box
 * already claimed (IoU >= threshold) are duplicates, counted apart in `duplicates`, so an extra
 * box on a real object is not read as a box on nothing. Every cell keeps the images behind it.
 */
import type { CocoAnnotation, CocoDetection, CocoGt } from "./coco_types.ts";
import { bboxIou } from "./mask_rle.ts";

/** The matrix; index `catIds.length` is background in both rows and columns. */
export interface DetectionConfusion {
  iouThreshold: number;
  confidence: number;
  catIds: number[];
  labels: string[];
  /**
   * Rows: ground-truth class (last: background), columns: predicted class (last: background).
   * The background row counts every detection paired with no object, duplicates included.
   */
  matrix: number[][];
  /**
   * Per predicted class (last: 0): the background row's detections that overlap, at IoU >=
   * threshold, an object another detection was paired with.
   */
  duplicates: number[];
  /**
   * "row,col" of `confusionRows` -> image ids with at least one event in that cell, ascending.
   * Row `catIds.length` holds detections on nothing, row `catIds.length + 1` duplicates.
   */
  cellImages: Record<string, number[]>;
}

/** The table people read: the background row split into "nothing there" and "duplicate". */
export interface ConfusionRows {
  /** Row labels: the classes, "background", "duplicate". */
  rows: string[];
  /** Column labels: the classes, "background". */
  cols: string[];
  /** rows.length x cols.length. */
  matrix: number[][];
}

/** What the confusion matching made of one image's boxes. */
export interface ImageConfusion {
  /** Annotation index (into gt.annotations) -> its cell "row,col" of `confusionRows`. */
  gt: Map<number, string>;
  /** Detection index (into the list given) -> its cell "row,col" of `confusionRows`. */
  dt: Map<number, string>;
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

const iouOf = (d: number[], g: number[], crowd: boolean) =>
  bboxIou(d[0], d[1], d[2], d[3], g[0], g[1], g[2], g[3], crowd);

/**
 * Matches one image: `gIdx` index `anns`, `dIdx` index `dts` (already cut at the confidence and
 * limited to known classes); `ci` maps a category id to its row/column. Returns each counted
 * ground truth's and detection's cell; crowd-covered detections are in neither.
 */
function matchOne(
  anns: CocoAnnotation[],
  gIdx: number[],
  dts: CocoDetection[],
  dIdx: number[],
  ci: Map<number, number>,
  iouThr: number,
): ImageConfusion {
  const BG = ci.size, DUP = BG + 1;
  const real = gIdx.filter((i) => !anns[i].iscrowd && ci.has(anns[i].category_id));
  const crowd = gIdx.filter((i) => anns[i].iscrowd && ci.has(anns[i].category_id));
  const pairs: [number, number, number][] = [];
  for (let a = 0; a < real.length; a++) {
    const g = anns[real[a]].bbox;
    for (let b = 0; b < dIdx.length; b++) {
      const v = iouOf(dts[dIdx[b]].bbox!, g, false);
      if (v >= iouThr) pairs.push([v, a, b]);
    }
  }
  const score = (b: number) => dts[dIdx[b]].score;
  pairs.sort((x, y) => y[0] - x[0] || score(y[2]) - score(x[2]) || x[1] - y[1] || x[2] - y[2]);
  const gUsed = new Uint8Array(real.length), dUsed = new Uint8Array(dIdx.length);
  const out: ImageConfusion = { gt: new Map(), dt: new Map() };
  for (const [, a, b] of pairs) {
    if (gUsed[a] || dUsed[b]) continue;
    gUsed[a] = dUsed[b] = 1;
    const cell = `${ci.get(anns[real[a]].category_id)},${ci.get(dts[dIdx[b]].category_id)}`;
    out.gt.set(real[a], cell);
    out.dt.set(dIdx[b], cell);
  }
  real.forEach((gi, a) => {
    if (!gUsed[a]) out.gt.set(gi, `${ci.get(anns[gi].category_id)},${BG}`);
  });
  dIdx.forEach((di, b) => {
    if (dUsed[b]) return;
    const d = dts[di].bbox!;
    if (crowd.some((gi) => iouOf(d, anns[gi].bbox, true) >= iouThr)) return;
    // any object it lies on is already paired: were it free, the greedy pass would have taken it
    const onObject = real.some((gi) => iouOf(d, anns[gi].bbox, false) >= iouThr);
    out.dt.set(di, `${onObject ? DUP : BG},${ci.get(dts[di].category_id)}`);
  });
  return out;
}

/** Category id -> row/column index (ids ascending), as the matrix orders them. */
function categoryIndex(gt: CocoGt): { catIds: number[]; ci: Map<number, number> } {
  const catIds = [...new Set(gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  return { catIds, ci: new Map(catIds.map((id, i) => [id, i])) };
}

/** Builds the matrix; detections below `confidence` are dropped, pairs need IoU >= threshold. */
export function detectionConfusion(
  gt: CocoGt,
  dts: CocoDetection[],
  opts: { iouThreshold?: number; confidence?: number } = {},
): DetectionConfusion {
  const iouThr = opts.iouThreshold ?? 0.5, conf = opts.confidence ?? 0.25;
  const { catIds, ci } = categoryIndex(gt);
  const names = new Map(gt.categories.map((c) => [c.id, c.name]));
  const BG = catIds.length, DUP = BG + 1;
  const matrix = Array.from({ length: BG + 1 }, () => new Array<number>(BG + 1).fill(0));
  const duplicates = new Array<number>(BG + 1).fill(0);
  const cells = new Map<string, Set<number>>();
  const note = (cell: string, img: number) => {
    const [r, c] = cell.split(",").map(Number);
    if (r === DUP) {
      duplicates[c]++;
      matrix[BG][c]++;
    } else matrix[r][c]++;
    let s = cells.get(cell);
    if (!s) cells.set(cell, s = new Set());
    s.add(img);
  };
  const gtBy = byImage(gt.annotations);
  const kept = dts.filter((d) => d.score >= conf && d.bbox && ci.has(d.category_id));
  const dtBy = byImage(kept);
  for (const im of gt.images) {
    const m = matchOne(
      gt.annotations,
      gtBy.get(im.id) ?? [],
      kept,
      dtBy.get(im.id) ?? [],
      ci,
      iouThr,
    );
    for (const cell of m.gt.values()) note(cell, im.id);
    // a paired detection was counted with its ground truth; the rest are rows BG and DUP
    for (const cell of m.dt.values()) if (Number(cell.split(",")[0]) >= BG) note(cell, im.id);
  }
  const cellImages: Record<string, number[]> = {};
  for (const [k, s] of cells) cellImages[k] = [...s].sort((a, b) => a - b);
  return {
    iouThreshold: iouThr,
    confidence: conf,
    catIds,
    labels: [...catIds.map((id) => names.get(id) ?? String(id)), "background"],
    matrix,
    duplicates,
    cellImages,
  };
}

/** The rows the page shows: classes, background (nothing there), duplicate. */
export function confusionRows(
  c: Pick<DetectionConfusion, "labels" | "matrix" | "duplicates">,
): ConfusionRows {
  const BG = c.labels.length - 1;
  const dup = c.duplicates ?? new Array<number>(BG + 1).fill(0);
  return {
    rows: [...c.labels, "duplicate"],
    cols: c.labels,
    matrix: [
      ...c.matrix.slice(0, BG),
      c.matrix[BG].map((v, j) => v - dup[j]),
      [...dup],
    ],
  };
}

/**
 * The confusion matching of some images only (for drawing them), at the matrix's IoU and
 * confidence: which cell each ground truth and each detection (index into `dts`) was counted in.
 */
export function imageConfusion(
  gt: CocoGt,
  dts: CocoDetection[],
  imageIds: Iterable<number>,
  opts: { iouThreshold: number; confidence: number },
): Map<number, ImageConfusion> {
  const { ci } = categoryIndex(gt);
  const want = new Set(imageIds);
  const gtBy = new Map<number, number[]>(), dtBy = new Map<number, number[]>();
  const add = (m: Map<number, number[]>, id: number, i: number) => {
    const l = m.get(id);
    if (l) l.push(i);
    else m.set(id, [i]);
  };
  gt.annotations.forEach((a, i) => want.has(a.image_id) && add(gtBy, a.image_id, i));
  dts.forEach((d, i) => {
    if (!want.has(d.image_id) || d.score < opts.confidence || !d.bbox) return;
    if (ci.has(d.category_id)) add(dtBy, d.image_id, i);
  });
  const out = new Map<number, ImageConfusion>();
  for (const id of want) {
    out.set(
      id,
      matchOne(gt.annotations, gtBy.get(id) ?? [], dts, dtBy.get(id) ?? [], ci, opts.iouThreshold),
    );
  }
  return out;
}
