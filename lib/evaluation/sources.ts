/**
 * Which runs can be evaluated and where their inputs are. A run is either one the app launched
 * (a KV record from lib/training) or one only the tracking server knows (an MLflow run, or a run
 * folder on the local workspace); both lead to a run folder holding predictions/val.json. The
 * ground truth is the config's `data.val_annotation_file` (the config the run was launched
 * with, else the run's config.resolved.json).
 */
import { parse as parseYaml } from "yaml";
import { NotFoundError } from "@/lib/errors.ts";
import { getRun, listRuns } from "@/lib/training/records.ts";
import { PRIMARY_METRIC, type RunRecord } from "@/lib/training/types.ts";
import type { TrackingRun, Workspace } from "@/lib/workspace/types.ts";
import type { EvalInputs, EvalRunSummary } from "./types.ts";

const TASK_OF_PARAM: Record<string, string> = { segmentation: "semantic_segmentation" };

function fromRecord(r: RunRecord): EvalRunSummary {
  const name = PRIMARY_METRIC[r.config.task] ?? "eval_loss";
  return {
    id: r.id,
    name: r.name,
    task: r.config.task,
    model: r.config.model,
    status: r.status,
    source: "app",
    createdAt: r.createdAt,
    runDir: r.runDir,
    primary: { name, value: r.lastMetrics[name] ?? null },
  };
}

function fromTracking(t: TrackingRun): EvalRunSummary {
  const raw = t.params.task_type ?? t.params.task ?? t.tags["lakevision.task"] ?? "";
  const task = TASK_OF_PARAM[raw] ?? raw;
  const name = PRIMARY_METRIC[task] ?? "eval_loss";
  return {
    id: t.runId,
    name: t.name ?? t.runId,
    task: task || "unknown",
    model: t.params.model_name ?? "",
    status: t.status,
    source: "tracking",
    createdAt: t.startedAt,
    runDir: t.tags["lakevision.run_dir"],
    primary: { name, value: t.metrics[name] ?? null },
  };
}

/**
 * Runs to pick from, newest first: the app's runs plus tracking runs the app did not launch
 * (matched by run folder or MLflow run id). A tracking server that does not answer leaves the
 * app's runs listed; the error is returned so the page can say so.
 */
export async function listEvalRuns(
  ws: Workspace,
  opts: { limit?: number } = {},
): Promise<{ runs: EvalRunSummary[]; trackingError?: string }> {
  const records = await listRuns({ limit: opts.limit ?? 200 });
  const runs = records.map(fromRecord);
  const dirs = new Set(records.map((r) => r.runDir));
  const ids = new Set(records.flatMap((r) => [r.id, r.mlflowRunId ?? ""]));
  let trackingError: string | undefined;
  try {
    for await (const t of ws.tracking.listRuns({ limit: opts.limit ?? 200 })) {
      const dir = t.tags["lakevision.run_dir"];
      if (ids.has(t.runId) || (dir && dirs.has(dir))) continue;
      runs.push(fromTracking(t));
    }
  } catch (e) {
    trackingError = (e as Error).message;
  }
  runs.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  return { runs, trackingError };
}

/** One run by id: the app's record first, then the tracking server. */
export async function findEvalRun(
  ws: Workspace,
  id: string,
): Promise<{ summary: EvalRunSummary; record?: RunRecord; tracking?: TrackingRun }> {
  // Run ids are short; a longer one names no run (and would not fit in a KV key).
  if (new TextEncoder().encode(id).byteLength > 512) {
    throw new NotFoundError(`No run "${id.slice(0, 80)}…" in the app or the tracking server.`);
  }
  const record = await getRun(id).catch((e) => {
    if (e instanceof NotFoundError) return null;
    throw e;
  });
  if (record) return { summary: fromRecord(record), record };
  let tracking: TrackingRun;
  try {
    tracking = await ws.tracking.getRun(id);
  } catch (e) {
    if (e instanceof NotFoundError || (e as { status?: number }).status === 404) {
      throw new NotFoundError(`No run "${id}" in the app or the tracking server.`);
    }
    throw e;
  }
  return { summary: fromTracking(tracking), tracking };
}

async function readJson(ws: Workspace, path: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await ws.files.readText(path));
  } catch {
    return null;
  }
}

/** A disk path a local job wrote (its config maps volumes to disk) back to its volume path. */
function toVolumePath(ws: Workspace, p: string | undefined): string | undefined {
  if (!p) return undefined;
  if (p.startsWith("/Volumes/")) return p.replace(/\/+$/, "");
  return ws.files.volumePathOf?.(p);
}

/**
 * The data section of the run's config: the launch config's values first, then the job's
 * config.resolved.json for what the launch config left out.
 */
async function dataSection(
  ws: Workspace,
  runDir: string,
  record?: RunRecord,
): Promise<Record<string, unknown>> {
  const resolved = await readJson(ws, `${runDir}/config.resolved.json`);
  const cfg = resolved?.config as Record<string, unknown> | undefined;
  const fromJob = (cfg?.data as Record<string, unknown>) ?? {};
  if (record?.configPath) {
    try {
      const doc = parseYaml(await ws.files.readText(record.configPath)) as Record<string, unknown>;
      if (doc?.data && typeof doc.data === "object") {
        const launched = Object.fromEntries(
          Object.entries(doc.data as Record<string, unknown>).filter(([, v]) => v !== null),
        );
        return { ...fromJob, ...launched };
      }
    } catch { /* the config file is gone: the job's copy is all there is */ }
  }
  return fromJob;
}

/**
 * The volume paths of a run's predictions and ground truth; `overrideGt` replaces the
 * config's annotation file (for runs whose config pointed somewhere else).
 */
export async function evalInputs(
  ws: Workspace,
  runDir: string,
  record?: RunRecord,
  overrideGt?: string,
): Promise<EvalInputs> {
  const data = await dataSection(ws, runDir, record);
  const str = (k: string) => (typeof data[k] === "string" ? data[k] as string : undefined);
  return {
    runDir,
    predictions: `${runDir}/predictions/val.json`,
    groundTruth: overrideGt ?? toVolumePath(ws, str("val_annotation_file")),
    imageDir: toVolumePath(ws, str("val_data_path")),
  };
}

/** The task of a run folder from model.json or config.resolved.json, when the record lacks it. */
export async function taskOfRunDir(ws: Workspace, runDir: string): Promise<string | undefined> {
  const model = await readJson(ws, `${runDir}/model.json`);
  if (typeof model?.task === "string") return model.task;
  const resolved = await readJson(ws, `${runDir}/config.resolved.json`);
  const task = (resolved?.config as Record<string, unknown> | undefined)?.task;
  return typeof task === "string" ? task : undefined;
}

/** Class names from the run's model.json (index order), when it has them. */
export async function labelsOfRunDir(ws: Workspace, runDir: string): Promise<string[]> {
  const model = await readJson(ws, `${runDir}/model.json`);
  return Array.isArray(model?.labels) ? (model.labels as unknown[]).map(String) : [];
}
