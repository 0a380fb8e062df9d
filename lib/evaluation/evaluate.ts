/**
 * A run's evaluation, assembled on the server: the ground truth and predictions are read through
 * the Workspace files API (local disk or a Databricks volume alike), every number is computed by
 * lib/metrics, and the result is cached in KV under the files' content hash, so reopening a run
 * costs a hash, and a rewritten predictions file is never answered from a stale cache.
 */
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import {
  type CocoDetection,
  type CocoGt,
  confusionRows,
  detectionReport,
  type ImageTally,
  MetricsInputError,
  parseCocoGt,
  parseCocoResults,
} from "@/lib/metrics/mod.ts";
import { getKv } from "@/lib/store/kv.ts";
import { readMetrics } from "@/lib/training/run_files.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { contentHash, readCached, writeCached } from "./cache.ts";
import { evaluateClassificationRun, evaluateMaskRun } from "./evaluate_other.ts";
import { detectionHeadline, loggedHeadline, noThresholdReason } from "./headline.ts";
import { evalInputs, findEvalRun, labelsOfRunDir, taskOfRunDir } from "./sources.ts";
import { saveRecommendedThreshold } from "./threshold.ts";
import type { EvalInputs, HistorySeries, RunEvaluation, WorstImage } from "./types.ts";

/** What is cached: the evaluation and the confusion matrix's image lists (served on click). */
export interface CachedEvaluation {
  evaluation: RunEvaluation;
  cells: Record<string, number[]>;
}

/**
 * The detection cache key: the files' hash and the shape of what is cached, so an evaluation
 * cached before the page learned a new view (duplicates, tallies at the threshold) is recomputed.
 */
const DETECTION_FORMAT = 2;
const cacheKey = (hash: string) => `${hash}:d${DETECTION_FORMAT}`;

/** Number of images the worst-images list keeps. */
const WORST = 24;

/**
 * The worst images at the matrix's confidence: most false positives plus misses first, then most
 * misses, then the loosest matched box (an image without a match last among equals).
 */
export function worstImages(
  perImage: Record<string, ImageTally>,
  names: Map<number, string>,
): WorstImage[] {
  const loosest = (w: WorstImage) => w.minIou ?? Infinity;
  return Object.entries(perImage)
    .map(([id, t]) => ({ id: Number(id), fileName: names.get(Number(id)) ?? id, ...t }))
    .filter((w) => w.fp + w.missed > 0)
    .sort((a, b) =>
      b.fp + b.missed - (a.fp + a.missed) || b.missed - a.missed ||
      loosest(a) - loosest(b) || a.id - b.id
    )
    .slice(0, WORST);
}

/** Reads a volume file's bytes; a missing file is a clear 404 naming what it is. */
export async function readInput(ws: Workspace, path: string, what: string): Promise<Uint8Array> {
  try {
    return await ws.files.readBytes(path);
  } catch (e) {
    if (e instanceof NotFoundError || (e as { status?: number }).status === 404) {
      throw new NotFoundError(`The ${what} ${path} does not exist.`);
    }
    throw e;
  }
}

function parseJsonBytes(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new BadRequestError(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** Parsed detection inputs, kept for the last few hashes (clicks on cells and galleries). */
const parsed = new Map<string, { gt: CocoGt; dts: CocoDetection[] }>();

/** Parses (or reuses) a run's detection ground truth and predictions. */
export function parseDetection(
  gtBytes: Uint8Array,
  dtBytes: Uint8Array,
  inputs: EvalInputs,
  hash: string,
): { gt: CocoGt; dts: CocoDetection[] } {
  const hit = parsed.get(hash);
  if (hit) return hit;
  try {
    const gt = parseCocoGt(parseJsonBytes(gtBytes, inputs.groundTruth!), inputs.groundTruth!);
    const dts = parseCocoResults(
      parseJsonBytes(dtBytes, inputs.predictions),
      gt,
      inputs.predictions,
    );
    parsed.set(hash, { gt, dts });
    while (parsed.size > 4) parsed.delete(parsed.keys().next().value!);
    return { gt, dts };
  } catch (e) {
    if (e instanceof MetricsInputError) throw new BadRequestError(e.message);
    throw e;
  }
}

/** The run's metric history (logged by the job), one series per metric. */
async function history(
  ws: Workspace,
  found: Awaited<ReturnType<typeof findEvalRun>>,
): Promise<{ series: HistorySeries[]; logged: Record<string, number> }> {
  let points: { name: string; step: number; value: number; ts: number }[] = [];
  if (found.record) points = await readMetrics(ws, found.record).catch(() => []);
  else if (found.tracking) {
    const names = Object.keys(found.tracking.metrics).filter((n) => !n.includes("_class_"));
    for (const n of names) {
      const h = await ws.tracking.metricHistory(found.tracking.runId, n).catch(() => []);
      points.push(...h);
    }
  }
  const by = new Map<string, Map<number, number>>();
  const logged: Record<string, number> = {};
  const lastStep: Record<string, number> = {};
  for (const p of points) {
    if (!Number.isFinite(p.value)) continue;
    let m = by.get(p.name);
    if (!m) by.set(p.name, m = new Map());
    m.set(p.step, p.value);
    if (!(p.name in lastStep) || p.step >= lastStep[p.name]) {
      lastStep[p.name] = p.step;
      logged[p.name] = p.value;
    }
  }
  const series = [...by].filter(([n]) => !n.includes("_class_")).map(([name, m]) => ({
    name,
    points: [...m].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y })),
  }));
  if (found.tracking) Object.assign(logged, found.tracking.metrics, logged);
  return { series, logged };
}

/**
 * Evaluates a run (or returns its cached evaluation). `gt` overrides, for this call only, the
 * ground-truth file the run's config names (or the one chosen with `chooseGroundTruth`); `force`
 * recomputes even when cached.
 */
export async function evaluateRun(
  ws: Workspace,
  runId: string,
  opts: { gt?: string; force?: boolean } = {},
): Promise<CachedEvaluation> {
  const found = await findEvalRun(ws, runId);
  const s = found.summary;
  const base = {
    runId: s.id,
    name: s.name,
    model: s.model,
    source: s.source,
    computedAt: Date.now(),
    seconds: 0,
  };
  const hist = await history(ws, found);
  const runDir = s.runDir;
  const task = s.task !== "unknown" ? s.task : (runDir && await taskOfRunDir(ws, runDir)) || s.task;
  const none = (note: string, inputs: EvalInputs | null = null): CachedEvaluation => ({
    evaluation: {
      ...base,
      task,
      kind: "none",
      note,
      inputs,
      contentHash: "",
      headline: loggedHeadline(task, hist.logged),
      logged: hist.logged,
      history: hist.series,
    },
    cells: {},
  });
  if (!runDir) return none("This run has no run folder, so only its logged metrics are shown.");
  const gtOverride = opts.gt ?? await chosenGroundTruth(s.id);
  const inputs = await evalInputs(ws, runDir, found.record, gtOverride);
  if (!(await ws.files.stat(inputs.predictions))) {
    return none(
      `No predictions yet (${inputs.predictions}); the job writes them when training ends.`,
      inputs,
    );
  }
  if (task === "detection" || task === "instance_segmentation") {
    if (!inputs.groundTruth) {
      return none(
        "The run's config names no validation annotation file (data.val_annotation_file).",
        inputs,
      );
    }
    const [gtBytes, dtBytes] = [
      await readInput(ws, inputs.groundTruth, "ground-truth file"),
      await readInput(ws, inputs.predictions, "predictions file"),
    ];
    const hash = await contentHash([gtBytes, dtBytes]);
    if (!opts.force) {
      const hit = await readCached<CachedEvaluation>(s.id, cacheKey(hash));
      if (hit) return withFresh(hit, { name: base.name, model: base.model }, hist);
    }
    const t0 = performance.now();
    const { gt, dts } = parseDetection(gtBytes, dtBytes, inputs, hash);
    // masks are compared only when the ground truth has them too; otherwise boxes only
    const gtMasks = gt.annotations.every((a) => a.segmentation !== undefined);
    const maskless = !gtMasks && dts.some((d) => d.hasMask);
    let rep;
    try {
      rep = detectionReport(gt, maskless ? dts.map((d) => ({ ...d, hasMask: false })) : dts);
    } catch (e) {
      if (e instanceof MetricsInputError) throw new BadRequestError(e.message);
      throw e;
    }
    const { cellImages, ...counted } = rep.confusion;
    const table = confusionRows(counted);
    const confusion = { ...counted, rowLabels: table.rows, matrix: table.matrix };
    const { imageTallies, ...kept } = rep;
    const names = new Map(gt.images.map((im) => [im.id, im.file_name ?? String(im.id)]));
    const worst = worstImages(imageTallies.perImage, names);
    const evaluation: RunEvaluation = {
      ...base,
      task,
      kind: "detection",
      inputs,
      contentHash: hash,
      seconds: (performance.now() - t0) / 1000,
      headline: detectionHeadline(rep),
      logged: hist.logged,
      history: hist.series,
      detection: {
        report: { ...kept, confusion },
        worst,
        worstAt: { confidence: imageTallies.confidence, iouThreshold: imageTallies.iouThreshold },
      },
    };
    if (maskless) {
      evaluation.note =
        `The predictions have masks but ${inputs.groundTruth} has no segmentation ` +
        "for every object, so only boxes are evaluated.";
    }
    const out = { evaluation, cells: cellImages };
    await writeCached(s.id, cacheKey(hash), out);
    // a run that detects nothing has no threshold worth defaulting deployment to
    if (!noThresholdReason(rep)) {
      await saveRecommendedThreshold({
        runId: s.id,
        threshold: rep.recommendedThreshold,
        precision: rep.sweep.overall.best.precision,
        recall: rep.sweep.overall.best.recall,
        f1: rep.sweep.overall.best.f1,
        iou: rep.sweep.iouThreshold,
        perClass: Object.fromEntries(
          Object.entries(rep.sweep.perClass).map(([k, c]) => [k, c.best.threshold]),
        ),
        contentHash: hash,
        computedAt: Date.now(),
      });
    }
    return out;
  }
  const labels = await labelsOfRunDir(ws, runDir);
  const other = task === "classification"
    ? await evaluateClassificationRun(ws, inputs, labels, s.id, opts.force)
    : task === "semantic_segmentation" || task === "panoptic_segmentation"
    ? await evaluateMaskRun(ws, task, inputs, labels, s.id, opts.force)
    : null;
  if (!other) return none(`Evaluation views for the task "${task}" are not available.`, inputs);
  if (!("kind" in other)) return none(other.note, inputs);
  const evaluation: RunEvaluation = {
    ...base,
    task,
    inputs,
    logged: hist.logged,
    history: hist.series,
    ...other,
  };
  return { evaluation, cells: {} };
}

/** Longest ground-truth path accepted (well under a KV key's and a file name's limits). */
export const MAX_GT_PATH = 1000;

/**
 * Chooses the ground-truth file for a run whose config points elsewhere, after checking it: a
 * `/Volumes/` path that exists and that the run evaluates with (a COCO file for detection).
 * Only then is it remembered, so later requests (cells, galleries, reports) use it too.
 * Called only from same-origin POSTs; a GET never changes which file a run is judged by.
 */
export async function chooseGroundTruth(
  ws: Workspace,
  runId: string,
  gt: string,
): Promise<CachedEvaluation> {
  const problem = groundTruthPathProblem(gt);
  if (problem) throw new BadRequestError(`The ground-truth file ${problem}.`);
  const found = await findEvalRun(ws, runId);
  const info = await ws.files.stat(gt);
  if (!info) throw new NotFoundError(`The ground-truth file ${gt} does not exist.`);
  if (info.isDirectory) throw new BadRequestError(`The ground-truth file ${gt} is a folder.`);
  const out = await evaluateRun(ws, found.summary.id, { gt });
  const kv = await getKv();
  await kv.set(["evaluation", "gt", found.summary.id], gt);
  return out;
}

/** Why `gt` cannot be a ground-truth path, or null when it can. */
export function groundTruthPathProblem(gt: string): string | null {
  if (!gt.startsWith("/Volumes/")) return "must be a /Volumes/ path";
  if (gt.length > MAX_GT_PATH) return `path must be at most ${MAX_GT_PATH} characters`;
  if (gt.split("/").some((p) => p === ".." || p === ".") || /\p{Cc}/u.test(gt)) {
    return "path must not contain . or .. segments or control characters";
  }
  return null;
}

/** The ground-truth file chosen for a run with `chooseGroundTruth`, if any. */
async function chosenGroundTruth(runId: string): Promise<string | undefined> {
  const kv = await getKv();
  return (await kv.get<string>(["evaluation", "gt", runId])).value ?? undefined;
}

function withFresh(
  hit: CachedEvaluation,
  base: { name: string; model: string },
  hist: { series: HistorySeries[]; logged: Record<string, number> },
): CachedEvaluation {
  // the metric history and names may have grown since the cache was written
  return {
    ...hit,
    evaluation: { ...hit.evaluation, ...base, history: hist.series, logged: hist.logged },
  };
}
