/**
 * The images behind a confusion-matrix cell or a gallery, with their ground truth and
 * predictions, so the page can draw both over the picture. Images are served from the volume by
 * /api/data/file; this module only says which file and what to draw.
 */
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { contentHash } from "./cache.ts";
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

/** Ids of the images behind a cell ("row,col" of the matrix), from the cached evaluation. */
export function cellImageIds(ev: CachedEvaluation, row: number, col: number): number[] {
  const n = ev.evaluation.detection?.report.confusion.labels.length ?? 0;
  if (
    !Number.isInteger(row) || !Number.isInteger(col) || row < 0 || col < 0 || row >= n || col >= n
  ) {
    throw new BadRequestError(`row and col must be cell indices below ${n}.`);
  }
  return ev.cells[`${row},${col}`] ?? [];
}

/**
 * Details of some images of a detection run. `minScore` drops weaker predictions (the page passes
 * the confusion matrix's confidence so what is drawn matches what was counted).
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
  const errors = ev.evaluation.detection!.report.errors.detectionErrors;
  const images = new Map(gt.images.map((im) => [im.id, im]));
  const want = new Set(ids);
  const gtBy = new Map<number, DrawnBox[]>();
  const dtBy = new Map<number, DrawnBox[]>();
  gt.annotations.forEach((a) => {
    if (!want.has(a.image_id) || !a.bbox) return;
    const l = gtBy.get(a.image_id) ?? [];
    l.push({
      bbox: a.bbox,
      categoryId: a.category_id,
      label: names.get(a.category_id) ?? String(a.category_id),
      verdict: a.iscrowd ? "crowd" : undefined,
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
      dt: (dtBy.get(id) ?? []).sort((a, b) => (b.score ?? 0) - (a.score ?? 0)).slice(0, 100),
    };
  });
}
