/**
 * Reading what a job writes while it runs: `status.json` and the metric history. Metrics come
 * from the run's own MLflow run (the one named in its status.json, never "the latest run"),
 * falling back to `metrics.jsonl` in the run folder. metrics.jsonl is read incrementally where
 * the workspace reads a file from an offset (`FilesApi.readFrom`: a seek on the local disk, a
 * ranged download on Databricks), so a new line reaches the page within a poll interval and a
 * long run's history is not read again on every poll.
 */
import { NotFoundError } from "@/lib/errors.ts";
import { parseMetricsJsonl } from "@/lib/workspace/local/tracking.ts";
import type { FilesApi, Workspace } from "@/lib/workspace/types.ts";
import type { MetricPointLite, RunRecord } from "./types.ts";

/** The fields of status.json the app uses (written by jobs/lakevision_jobs/tracking.py). */
export interface JobStatus {
  phase?: string;
  epoch?: number;
  step?: number;
  total_steps?: number | null;
  eta_seconds?: number | null;
  error?: string | null;
  message?: string | null;
  mlflow_run_id?: string | null;
  mlflow_experiment_id?: string | null;
  /** Why MLflow tracking failed (the job goes on without it). */
  mlflow_error?: string | null;
  pid?: number;
  started_at?: number;
  updated_at?: number;
  ended_at?: number | null;
  final_metrics?: Record<string, number>;
  resumed_from_step?: number;
}

/** status.json of a run, or null when the job has not written it (yet). */
export async function readJobStatus(ws: Workspace, runDir: string): Promise<JobStatus | null> {
  try {
    return JSON.parse(await ws.files.readText(`${runDir}/status.json`)) as JobStatus;
  } catch (e) {
    if (e instanceof NotFoundError || e instanceof SyntaxError) return null;
    if ((e as { status?: number }).status === 404) return null;
    throw e;
  }
}

interface Cache {
  points: MetricPointLite[];
  seen: Set<string>;
  /** Bytes of metrics.jsonl consumed: every complete line before it has been parsed. */
  offset: number;
  source: "none" | "jsonl" | "mlflow";
}

const caches = new Map<string, Cache>();

/** Forgets cached metrics of a run (tests, deleted runs). */
export function dropMetricsCache(runId: string): void {
  caches.delete(runId);
}

function add(c: Cache, pts: MetricPointLite[]): void {
  for (const p of pts) {
    const k = `${p.name}@${p.step}@${p.ts}`;
    if (c.seen.has(k)) continue;
    c.seen.add(k);
    c.points.push(p);
  }
}

/**
 * All metric points of a run known so far, in arrival order (new points are appended, so a
 * reader can send only those past the count it has already sent).
 */
export async function readMetrics(ws: Workspace, run: RunRecord): Promise<MetricPointLite[]> {
  let c = caches.get(run.id);
  if (!c) {
    c = { points: [], seen: new Set(), offset: 0, source: "none" };
    caches.set(run.id, c);
  }
  if (run.mlflowRunId) {
    try {
      const tr = await ws.tracking.getRun(run.mlflowRunId);
      const names = Object.keys(tr.metrics).filter((n) => !n.includes("_class_"));
      for (const name of names) {
        const hist = await ws.tracking.metricHistory(run.mlflowRunId, name);
        add(c, hist.map((p) => ({ name: p.name, step: p.step, value: p.value, ts: p.ts })));
      }
      c.source = "mlflow";
      return c.points;
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
      // The MLflow run is gone or not visible: fall through to the run folder.
    }
  }
  try {
    await readJsonlIncrement(ws.files, `${run.runDir}/metrics.jsonl`, c);
  } catch (e) {
    if (!(e instanceof NotFoundError) && (e as { status?: number }).status !== 404) throw e;
  }
  return c.points;
}

function lite(p: { name: string; step: number; value: number; ts: number }): MetricPointLite {
  return { name: p.name, step: p.step, value: p.value, ts: p.ts };
}

const NEWLINE = 0x0a;

/**
 * Parses the complete lines of metrics.jsonl past `c.offset` and moves the offset to the end of
 * the last one; a line still being written is read again, whole, next time. A file shorter than
 * the offset was rewritten: it is read again from the start (points already seen are skipped).
 */
async function readJsonlIncrement(files: FilesApi, path: string, c: Cache): Promise<void> {
  let { bytes, size } = await readFrom(files, path, c.offset);
  if (size < c.offset) {
    c.offset = 0;
    ({ bytes } = await readFrom(files, path, 0));
  }
  const end = bytes.lastIndexOf(NEWLINE) + 1;
  if (end === 0) return;
  add(c, parseMetricsJsonl(new TextDecoder().decode(bytes.subarray(0, end))).map(lite));
  c.offset += end;
  c.source = "jsonl";
}

/** `files.readFrom`, or the whole file cut at `offset` where the store has no offset reads. */
async function readFrom(
  files: FilesApi,
  path: string,
  offset: number,
): Promise<{ bytes: Uint8Array; size: number }> {
  if (files.readFrom) return await files.readFrom(path, offset);
  const all = await files.readBytes(path);
  return { bytes: all.subarray(Math.min(offset, all.length)), size: all.length };
}

/** Latest value of each metric name (by step, then time). */
export function latestValues(points: MetricPointLite[]): Record<string, number> {
  const best = new Map<string, MetricPointLite>();
  for (const p of points) {
    const cur = best.get(p.name);
    if (!cur || p.step > cur.step || (p.step === cur.step && p.ts >= cur.ts)) best.set(p.name, p);
  }
  return Object.fromEntries([...best].map(([k, p]) => [k, p.value]));
}

/**
 * The last lines of the run's output (local: output.log; Databricks: the task's logs), with the
 * folders of this machine written as volume paths where the workspace says how (a local job
 * prints the disk paths it was given).
 */
export async function readLogTail(
  ws: Workspace,
  run: RunRecord,
  maxBytes = 16_384,
): Promise<string> {
  const shown = (text: string) => ws.hidePaths?.(text) ?? text;
  if (run.jobRunId) {
    try {
      const text = await ws.jobs.logs(run.jobRunId, { maxBytes });
      if (text) return shown(text);
    } catch { /* fall back to the run folder */ }
  }
  try {
    const text = await ws.files.readText(`${run.runDir}/output.log`);
    return shown(text.length > maxBytes ? text.slice(text.length - maxBytes) : text);
  } catch {
    return "";
  }
}
