/**
 * Evaluations of classification, semantic and panoptic runs. Every input is read through the
 * workspace's files (local disk or a remote volume alike, nothing copied or written), masks are
 * decoded into label maps off the request thread, and the next masks are read while the current
 * ones are scored, within one budget of decoded bytes for the whole server. Results are cached
 * like detection's.
 */
import * as posix from "node:path/posix";
import {
  classificationMetrics,
  evaluatePanopticFiles,
  evaluateSemsegFiles,
  MetricsInputError,
} from "@/lib/metrics/mod.ts";
import {
  ByteBudget,
  type EvalSource,
  parseClassification,
  parseJsonBytes,
} from "@/lib/metrics/eval_files.ts";
import { classMapOffThread, panopticMapOffThread } from "@/lib/image/decode_pool.ts";
import type { FilesApi, Workspace } from "@/lib/workspace/types.ts";
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import { contentHash, readCached, writeCached } from "./cache.ts";
import { classificationHeadline, panopticHeadline, semsegHeadline } from "./headline.ts";
import type { EvalInputs, RunEvaluation } from "./types.ts";

type Part = Pick<
  RunEvaluation,
  | "kind"
  | "headline"
  | "contentHash"
  | "computedAt"
  | "seconds"
  | "classification"
  | "semantic"
  | "panoptic"
  | "note"
>;

/** Masks read ahead of the one being scored: each remote read is a round trip. */
export const MASK_READ_AHEAD = 4;
/**
 * Decoded label maps that mask evaluations may hold at once, all of them together: four pairs
 * of 40-megapixel RGB panoptic masks would be over a gigabyte. A pair larger than this is still
 * evaluated, alone.
 */
export const MASK_READ_AHEAD_BYTES = 256 * 1024 * 1024;

/** The budget every volumeSource shares, so concurrent evaluations do not add up. */
const maskMemory = new ByteBudget(MASK_READ_AHEAD_BYTES);

const isMissing = (e: unknown) =>
  e instanceof NotFoundError || (e as { status?: number })?.status === 404;

/**
 * Evaluation inputs from a workspace's volumes: a missing file or folder is a MetricsInputError
 * naming its volume path; PNGs decode into label maps through the pool (over the pixel budget:
 * refused from the header). `known` holds bytes already read, so they are not fetched twice;
 * `memory` is the read-ahead's byte budget (default: the one every evaluation shares).
 */
export function volumeSource(
  files: FilesApi,
  known: ReadonlyMap<string, Uint8Array> = new Map(),
  memory: ByteBudget = maskMemory,
): EvalSource {
  return {
    async readBytes(path) {
      const hit = known.get(path);
      if (hit) return hit;
      try {
        return await files.readBytes(path);
      } catch (e) {
        if (isMissing(e)) throw new MetricsInputError(path, "", "file not found");
        throw e;
      }
    },
    async stat(path) {
      const st = await files.stat(path);
      if (!st) throw new MetricsInputError(path, "", "file not found");
      return st;
    },
    async listPngs(dir) {
      const out: string[] = [];
      try {
        for await (const e of files.list(dir)) {
          if (!e.isDirectory && posix.extname(e.name).toLowerCase() === ".png") out.push(e.name);
        }
      } catch (e) {
        if (isMissing(e)) throw new MetricsInputError(dir, "", "folder not found");
        throw e;
      }
      return out.sort();
    },
    classMap: (bytes) => classMapOffThread(bytes, "this PNG"),
    panopticMap: (bytes) => panopticMapOffThread(bytes, "this PNG"),
    path: posix,
    readAhead: MASK_READ_AHEAD,
    memory,
  };
}

function inputError(e: unknown): never {
  if (e instanceof MetricsInputError) throw new BadRequestError(e.message);
  throw e;
}

/**
 * A listing fingerprint (names, sizes, times) of a folder and, `depth` levels down, its
 * subfolders, for the cache key.
 */
async function listingBytes(ws: Workspace, dir: string, depth = 0): Promise<Uint8Array> {
  const rows: string[] = [];
  const walk = async (d: string, left: number, prefix: string) => {
    try {
      for await (const e of ws.files.list(d)) {
        rows.push(`${prefix}${e.name}:${e.size}:${e.modifiedAt}`);
        if (e.isDirectory && left > 0) await walk(e.path, left - 1, `${prefix}${e.name}/`);
      }
    } catch { /* missing: an empty fingerprint, the evaluation reports it */ }
  };
  await walk(dir, depth, "");
  return new TextEncoder().encode(rows.sort().join("\n"));
}

/** Classification from predictions/val.json rows (top-k with the true label). */
export async function evaluateClassificationRun(
  ws: Workspace,
  inputs: EvalInputs,
  labels: string[],
  runId: string,
  force?: boolean,
): Promise<Part> {
  const bytes = await ws.files.readBytes(inputs.predictions);
  const hash = await contentHash([bytes]);
  if (!force) {
    const hit = await readCached<Part>(runId, hash);
    if (hit) return hit;
  }
  const t0 = performance.now();
  const { samples, names } = (() => {
    try {
      return parseClassification(parseJsonBytes(bytes, inputs.predictions), inputs.predictions);
    } catch (e) {
      return inputError(e);
    }
  })();
  // the model's labels fix the class count; a label past them is an error, not a new class
  const n = labels.length || Math.max(
    ...samples.map((s) => Math.max(s.label, ...s.topK.map((p) => p.label)) + 1),
  );
  let r;
  try {
    r = classificationMetrics(samples, n, [1, 5]);
  } catch (e) {
    if (e instanceof MetricsInputError) {
      throw new BadRequestError(
        `${inputs.predictions}: ${e.message} (model.json lists ${labels.length} labels)`,
      );
    }
    throw e;
  }
  const all = Array.from({ length: n }, (_, i) => labels[i] ?? names.get(i) ?? String(i));
  const part: Part = {
    kind: "classification",
    headline: classificationHeadline(r),
    contentHash: hash,
    computedAt: Date.now(),
    seconds: (performance.now() - t0) / 1000,
    classification: { ...r, labels: all },
  };
  await writeCached(runId, hash, part);
  return part;
}

/** Semantic (class-index PNGs against data/masks) and panoptic (COCO panoptic) runs. */
export async function evaluateMaskRun(
  ws: Workspace,
  task: string,
  inputs: EvalInputs,
  labels: string[],
  runId: string,
  force?: boolean,
): Promise<Part | { note: string }> {
  const predBytes = await ws.files.readBytes(inputs.predictions);
  const semantic = task === "semantic_segmentation" && !inputs.groundTruth?.endsWith(".json");
  const gtDir = semantic
    ? `${inputs.imageDir}/masks`
    : inputs.groundTruth
    ? inputs.groundTruth.replace(/\.json$/i, "")
    : undefined;
  if (!inputs.imageDir && semantic) {
    return { note: "The run's config names no validation folder (data.val_data_path)." };
  }
  if (semantic && labels.length === 0) {
    return { note: "The run's model.json lists no class labels, so the class count is unknown." };
  }
  if (!semantic && !inputs.groundTruth) {
    return {
      note: "The run's config names no panoptic annotation file (data.val_annotation_file).",
    };
  }
  const known = new Map([[inputs.predictions, predBytes]]);
  const src = volumeSource(ws.files, known);
  const gtJsonBytes = semantic
    ? new Uint8Array()
    : await src.readBytes(inputs.groundTruth!).catch(inputError);
  if (!semantic) known.set(inputs.groundTruth!, gtJsonBytes);
  // the masks are not in val.json: a retrained model rewrites them under the same names
  const hash = await contentHash([
    predBytes,
    gtJsonBytes,
    await listingBytes(ws, gtDir!),
    await listingBytes(ws, posix.dirname(inputs.predictions), 1),
  ]);
  if (!force) {
    const hit = await readCached<Part>(runId, hash);
    if (hit) return hit;
  }
  const t0 = performance.now();
  const predJson = inputs.predictions;
  let part: Part;
  if (semantic) {
    const numClasses = labels.length;
    const r = await evaluateSemsegFiles(predJson, gtDir!, { numClasses, ignoreIndex: 255 }, src)
      .catch(inputError);
    part = {
      kind: "semantic",
      headline: semsegHeadline(r),
      contentHash: hash,
      computedAt: Date.now(),
      seconds: 0,
      semantic: {
        ...r,
        labels: Array.from({ length: numClasses }, (_, i) => labels[i] ?? `${i}`),
      },
    };
  } else {
    const gtJson = inputs.groundTruth!;
    const r = await evaluatePanopticFiles(gtJson, gtDir!, predJson, posix.dirname(predJson), src)
      .catch(inputError);
    const cats = ((parseJsonBytes(gtJsonBytes, gtJson) as { categories?: unknown }).categories ??
      []) as { id: number; name?: string }[];
    part = {
      kind: "panoptic",
      headline: panopticHeadline(r),
      contentHash: hash,
      computedAt: Date.now(),
      seconds: 0,
      panoptic: {
        ...r,
        labels: Object.fromEntries(cats.map((c) => [c.id, c.name ?? `${c.id}`])),
      },
    };
  }
  const missing = part.semantic?.missing ?? part.panoptic?.missing ?? 0;
  if (missing > 0) {
    part.note = `${missing} ground-truth image${
      missing === 1 ? " has" : "s have"
    } no prediction; each counts as entirely missed.`;
  }
  part.seconds = (performance.now() - t0) / 1000;
  await writeCached(runId, hash, part);
  return part;
}
