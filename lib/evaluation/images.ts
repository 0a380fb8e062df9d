/**
 * The images behind a confusion-matrix cell or a gallery, with their ground truth and
 * predictions, so the page can draw both over the picture. Images are served from the volume by
 * /api/data/file; this module only says which file and what to draw.
 */
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { contentHash } from "./cache.ts";
import { imageConfusion } from "@/lib/metrics/mod.ts";
import { type CachedEvaluation, evaluateRun, parseDetection, readInput } from "./evaluate.ts";

/** A box to draw: `[x, y, w, h]` in the image's pixels. */
export interface DrawnBox {
  bbox: number[];
  categoryId: number;
  label: string;
  /** Predictions only. */
  score?: number;
  /** Predictions only: TIDE's verdict (tp when it matched), ground truth: found / missed. */
  verdict?: string;
  /**
   * Where the confusion matrix counted it (boxes at or above the matrix's confidence): its cell
   * "row,col" and what that cell means for it (predictions: tp, cls, bkg, dupe; ground truth:
   * found, missed).
   */
  confusion?: { cell: string; verdict: string };
}

/** One image with what to draw on it. */
export interface ImageDetail {
  id: number;
  fileName: string;
  /** Volume path of the image file (served by /api/data/file?path=...). */
  path: string | null;
  width: number;
  height: number;
  gt: DrawnBox[];
  dt: DrawnBox[];
}

/**
 * Ids of the images behind a cell ("row,col" of the rows the page shows: the classes,
 * background, then duplicates), from the cached evaluation.
 */
export function cellImageIds(ev: CachedEvaluation, row: number, col: number): number[] {
  const c = ev.evaluation.detection?.report.confusion;
  const n = c?.labels.length ?? 0, rows = c?.matrix.length ?? 0;
  if (
    !Number.isInteger(row) || !Number.isInteger(col) || row < 0 || col < 0 || row >= rows ||
    col >= n
  ) {
    throw new BadRequestError(
      `row must be a cell index below ${rows} and col one below ${n}.`,
    );
  }
  return ev.cells[`${row},${col}`] ?? [];
}

/** What a confusion cell says about a prediction (`dt`) or a ground truth in it. */
export function cellVerdict(cell: string, background: number, dt: boolean): string {
  const [r, c] = cell.split(",").map(Number);
  if (!dt) return c === background ? "missed" : "found";
  if (r === background) return "bkg";
  if (r > background) return "dupe";
  return r === c ? "tp" : "cls";
}

/**
 * Details of some images of a detection run. `minScore` drops weaker predictions (the page passes
 * the confusion matrix's confidence so what is drawn matches what was counted); every box the
 * matrix counted carries its cell.
 */
export async function imageDetails(
  ws: Workspace,
  runId: string,
  ids: number[],
  opts: { minScore?: number; cached?: CachedEvaluation } = {},
): Promise<ImageDetail[]> {
  const ev = opts.cached ?? await evaluateRun(ws, runId);
  const inputs = ev.evaluation.inputs;
  if (ev.evaluation.kind !== "detection" || !inputs?.groundTruth) {
    throw new BadRequestError(`Run ${runId} is not a detection run with predictions.`);
  }
  const gtBytes = await readInput(ws, inputs.groundTruth, "ground-truth file");
  const dtBytes = await readInput(ws, inputs.predictions, "predictions file");
  const hash = await contentHash([gtBytes, dtBytes]);
  const { gt, dts } = parseDetection(gtBytes, dtBytes, inputs, hash);
  const names = new Map(gt.categories.map((c) => [c.id, c.name]));
  const det = ev.evaluation.detection!.report;
  const errors = det.errors.detectionErrors;
  const conf = det.confusion, BG = conf.labels.length - 1;
  const matched = imageConfusion(gt, dts, ids, {
    iouThreshold: conf.iouThreshold,
    confidence: conf.confidence,
  });
  const where = (id: number, i: number, dt: boolean) => {
    const m = matched.get(id);
    const cell = dt ? m?.dt.get(i) : m?.gt.get(i);
    return cell ? { confusion: { cell, verdict: cellVerdict(cell, BG, dt) } } : {};
  };
  const images = new Map(gt.images.map((im) => [im.id, im]));
  const want = new Set(ids);
  const gtBy = new Map<number, DrawnBox[]>();
  const dtBy = new Map<number, DrawnBox[]>();
  gt.annotations.forEach((a, i) => {
    if (!want.has(a.image_id) || !a.bbox) return;
    const l = gtBy.get(a.image_id) ?? [];
    l.push({
      bbox: a.bbox,
      categoryId: a.category_id,
      label: names.get(a.category_id) ?? String(a.category_id),
      verdict: a.iscrowd ? "crowd" : undefined,
      ...where(a.image_id, i, false),
    });
    gtBy.set(a.image_id, l);
  });
  const minScore = opts.minScore ?? 0;
  dts.forEach((d, i) => {
    if (!want.has(d.image_id) || !d.bbox || d.score < minScore) return;
    const l = dtBy.get(d.image_id) ?? [];
    const verdict = errors[String(i)] ?? "tp";
    l.push({
      bbox: d.bbox,
      categoryId: d.category_id,
      label: names.get(d.category_id) ?? String(d.category_id),
      score: d.score,
      verdict,
      ...where(d.image_id, i, true),
    });
    dtBy.set(d.image_id, l);
  });
  return ids.map((id) => {
    const im = images.get(id);
    if (!im) throw new NotFoundError(`Image ${id} is not in ${inputs.groundTruth}.`);
    const fileName = im.file_name ?? String(id);
    return {
      id,
      fileName,
      path: inputs.imageDir && im.file_name ? `${inputs.imageDir}/${im.file_name}` : null,
      width: im.width,
      height: im.height,
      gt: gtBy.get(id) ?? [],
      dt: drawnPredictions(dtBy.get(id) ?? []),
    };
  });
}

/** Predictions to draw, best first: the 100 best, and every one the confusion matrix counted. */
function drawnPredictions(dts: DrawnBox[]): DrawnBox[] {
  dts.sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  return dts.filter((d, i) => i < 100 || d.confusion);
}
