/**
 * The `app` runner: a batch run inside this process, writing the same `status.json` and result
 * rows as jobs/batch_infer.py, so following, cancelling, resuming and reading results do not
 * care which runner ran it. Images are read through the workspace's Files API, predicted one at
 * a time (lib/serving/batch/predictor.ts) and appended as each finishes; a cancel is noticed
 * between images (an abort in this process, or the record's `cancelRequestedAt` set by another
 * process such as the CLI) and the status turns `cancelled` at once.
 */
import { errorMessage, NotFoundError } from "@/lib/errors.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { ImageError, loadPredictor } from "./predictor.ts";
import { getBatch } from "./records.ts";
import { ResultLog, type ResultRow } from "./result_log.ts";
import type { BatchRecord } from "./types.ts";

/** The image files a folder batch reads (as jobs/lakevision_jobs/batch.py IMAGE_EXTS). */
export const IMAGE_RE = /\.(jpe?g|png)$/i;

/** Every JPEG / PNG under `dir` (recursive, hidden entries skipped), sorted by path. */
export async function listImages(ws: Workspace, dir: string): Promise<string[]> {
  const root = dir.replace(/\/+$/, "");
  if (!(await ws.files.stat(root))?.isDirectory) {
    throw new NotFoundError(`The input folder ${root} does not exist.`);
  }
  const out: string[] = [];
  const stack = [root];
  while (stack.length) {
    const d = stack.pop()!;
    for await (const e of ws.files.list(d)) {
      if (e.name.startsWith(".")) continue;
      if (e.isDirectory) stack.push(e.path);
      else if (IMAGE_RE.test(e.name)) out.push(e.path);
    }
  }
  return out.sort();
}

/** status.json as jobs/lakevision_jobs/tracking.py writes it (the fields the app reads). */
export interface BatchStatusFile {
  job: "batch_infer";
  phase: string;
  step: number;
  total_steps: number | null;
  eta_seconds: number | null;
  errors: number;
  skipped: number;
  images_per_second: number | null;
  error: string | null;
  message: string | null;
  runner: "app";
  backend?: string;
  task?: string;
  output?: string;
  pid: number;
  started_at: number;
  updated_at: number;
  ended_at: number | null;
}

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

const running = new Map<string, Running>();
let testDelayMs = 0;

/** Test hook: a pause after each image (to cancel mid-batch); returns the old value. */
export function setImageDelayForTests(ms: number): number {
  const old = testDelayMs;
  testDelayMs = ms;
  return old;
}

/** True while this process runs the batch. */
export function runsHere(id: string): boolean {
  return running.has(id);
}

/** Asks the batch running here to stop; resolves once it has stopped (false if not here). */
export async function stopHere(id: string): Promise<boolean> {
  const r = running.get(id);
  if (!r) return false;
  r.abort.abort();
  await r.done;
  return true;
}

/** Starts the batch in this process; `done` settles when it ends (never rejects). */
export function startHere(
  ws: Workspace,
  rec: BatchRecord,
  opts: { resume: boolean; delayMs?: number },
): Promise<void> {
  const prev = running.get(rec.id);
  if (prev) return prev.done;
  const abort = new AbortController();
  const done = runBatch(ws, rec, { ...opts, signal: abort.signal })
    .catch(() => {})
    .finally(() => running.delete(rec.id));
  running.set(rec.id, { abort, done });
  return done;
}

/** Waits for every batch running here to end (tests, shutdown). */
export async function drainHere(): Promise<void> {
  await Promise.all([...running.values()].map((r) => r.done));
}

/**
 * Runs one batch to its end, writing status.json all along; a failure is recorded in
 * status.json (phase `failed`, `error`), never thrown away.
 */
export async function runBatch(
  ws: Workspace,
  rec: BatchRecord,
  opts: { resume: boolean; signal?: AbortSignal; delayMs?: number },
): Promise<void> {
  const statusPath = `${rec.runDir}/status.json`;
  const st: BatchStatusFile = {
    job: "batch_infer",
    phase: "starting",
    step: 0,
    total_steps: null,
    eta_seconds: null,
    errors: 0,
    skipped: 0,
    images_per_second: null,
    error: null,
    message: null,
    runner: "app",
    pid: Deno.pid,
    started_at: Date.now(),
    updated_at: Date.now(),
    ended_at: null,
  };
  const write = async (patch: Partial<BatchStatusFile>) => {
    Object.assign(st, patch, { updated_at: Date.now() });
    await ws.files.write(statusPath, JSON.stringify(st, null, 2), { overwrite: true });
  };
  const cancelled = async () => {
    if (opts.signal?.aborted) return true;
    const cur = await getBatch(rec.id).catch(() => null);
    return !!cur?.cancelRequestedAt;
  };
  let predictor;
  try {
    await ws.files.mkdirs(rec.runDir);
    await write({ phase: "building_model", message: rec.modelDir });
    const volume = rec.modelDir.slice(0, -`/models/${rec.model}/${rec.version}`.length);
    predictor = await loadPredictor(ws, volume, rec.model, rec.version);
    await write({ task: predictor.task, backend: predictor.backend, phase: "loading_data" });
    if (rec.input.kind !== "folder" || rec.output.kind !== "file") {
      throw new Error(
        "this app reads image folders and writes JSONL; Delta tables need the job runner",
      );
    }
    if (!rec.output.path.endsWith(".jsonl")) {
      throw new Error(
        "this app writes JSONL only (Parquet needs pyarrow, which the job runner has); " +
          "choose a .jsonl output",
      );
    }
    const images = await listImages(ws, rec.input.path);
    if (!images.length) throw new Error(`no JPEG or PNG images found in ${rec.input.path}`);
    const log = await ResultLog.open(ws, rec.output.path, opts.resume);
    const todo = images.filter((p) => !log.done.has(p));
    const total = images.length;
    const skipped = total - todo.length;
    await write({
      phase: "predicting",
      message: `${todo.length} of ${total} images${skipped ? ` (${skipped} already done)` : ""}`,
      step: skipped,
      total_steps: total,
      errors: log.errors,
      skipped,
      output: rec.output.path,
    });
    const t0 = performance.now();
    let done = skipped;
    for (const path of todo) {
      if (await cancelled()) break;
      const row = await predictOne(ws, predictor, path, rec.params);
      await log.append([row]);
      done++;
      const rate = (done - skipped) / Math.max((performance.now() - t0) / 1000, 1e-9);
      await write({
        step: done,
        errors: log.errors,
        eta_seconds: Math.round(((total - done) / rate) * 10) / 10,
        images_per_second: Math.round(rate * 100) / 100,
      });
      const pause = opts.delayMs ?? testDelayMs;
      if (pause) await new Promise((r) => setTimeout(r, pause));
    }
    await log.flush();
    if (done < total) {
      await write({
        phase: "cancelled",
        message: `stopped on request after ${done} of ${total} images; Resume continues`,
        eta_seconds: null,
        ended_at: Date.now(),
      });
      return;
    }
    await write({ phase: "succeeded", eta_seconds: 0, ended_at: Date.now(), message: null });
  } catch (e) {
    await write({
      phase: "failed",
      error: errorMessage(e),
      eta_seconds: null,
      ended_at: Date.now(),
    }).catch(() => {});
  } finally {
    await predictor?.close().catch(() => {});
  }
}

async function predictOne(
  ws: Workspace,
  predictor: Awaited<ReturnType<typeof loadPredictor>>,
  path: string,
  params: BatchRecord["params"],
): Promise<ResultRow> {
  let bytes: Uint8Array;
  try {
    bytes = await ws.files.readBytes(path);
  } catch (e) {
    return { path, prediction: null, error: `cannot read image: ${errorMessage(e)}` };
  }
  try {
    return { path, prediction: await predictor.predict(bytes, path, params), error: null };
  } catch (e) {
    if (e instanceof ImageError) return { path, prediction: null, error: e.message };
    return { path, prediction: null, error: errorMessage(e) };
  }
}
