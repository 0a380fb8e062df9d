/**
 * Evaluations of classification, semantic and panoptic runs. lib/metrics reads these inputs
 * from local files (many PNGs), so volume files are used in place on the local workspace and
 * copied to a temporary folder from a remote one. Results are cached like detection's.
 */
import { dirname, join } from "node:path";
import {
  classificationMetrics,
  evaluatePanopticFiles,
  evaluateSemsegFiles,
  loadClassification,
  MetricsInputError,
} from "@/lib/metrics/mod.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
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

/** A local path for a volume file or folder: the file itself locally, a temp copy otherwise. */
async function localPath(ws: Workspace, path: string, tmp: () => Promise<string>): Promise<string> {
  const files = ws.files as { resolve?: (p: string) => Promise<{ disk: string }> };
  if (files.resolve) return (await files.resolve(path)).disk;
  const st = await ws.files.stat(path);
  if (!st) throw new NotFoundError(`${path} does not exist.`);
  const dest = join(await tmp(), path.replace(/^\/+/, ""));
  const copy = async (src: string, to: string, dir: boolean) => {
    if (!dir) {
      await Deno.mkdir(dirname(to), { recursive: true });
      await Deno.writeFile(to, await ws.files.readBytes(src));
      return;
    }
    for await (const e of ws.files.list(src)) await copy(e.path, join(to, e.name), e.isDirectory);
  };
  await copy(path, dest, st.isDirectory);
  return dest;
}

function inputError(e: unknown): never {
  if (e instanceof MetricsInputError) throw new BadRequestError(e.message);
  throw e;
}

/** A listing fingerprint (names, sizes, times) of a folder, for the cache key. */
async function listingBytes(ws: Workspace, dir: string): Promise<Uint8Array> {
  const rows: string[] = [];
  try {
    for await (const e of ws.files.list(dir)) rows.push(`${e.name}:${e.size}:${e.modifiedAt}`);
  } catch { /* missing: an empty fingerprint, the evaluation reports it */ }
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
  const tmp = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeFile(tmp, bytes);
    const { samples, names } = await loadClassification(tmp).catch((e) => {
      if (e instanceof MetricsInputError) {
        throw new BadRequestError(e.message.replaceAll(tmp, inputs.predictions));
      }
      throw e;
    });
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
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
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
  const gtJsonBytes = semantic ? new Uint8Array() : await ws.files.readBytes(inputs.groundTruth!);
  const hash = await contentHash([predBytes, gtJsonBytes, await listingBytes(ws, gtDir!)]);
  if (!force) {
    const hit = await readCached<Part>(runId, hash);
    if (hit) return hit;
  }
  let tmpDir: string | undefined;
  const tmp = async () => (tmpDir ??= await Deno.makeTempDir({ prefix: "lakevision-eval-" }));
  const t0 = performance.now();
  try {
    const predDir = await localPath(ws, `${inputs.runDir}/predictions`, tmp);
    const predJson = join(predDir, "val.json");
    let part: Part;
    if (semantic) {
      const gt = await localPath(ws, gtDir!, tmp);
      const numClasses = labels.length;
      const r = await evaluateSemsegFiles(predJson, gt, { numClasses, ignoreIndex: 255 })
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
      const gtJson = await localPath(ws, inputs.groundTruth!, tmp);
      const gtPngs = await localPath(ws, gtDir!, tmp);
      const r = await evaluatePanopticFiles(gtJson, gtPngs, predJson, predDir).catch(inputError);
      const cats = (JSON.parse(new TextDecoder().decode(gtJsonBytes)).categories ?? []) as {
        id: number;
        name?: string;
      }[];
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
  } finally {
    if (tmpDir) await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
  }
}
