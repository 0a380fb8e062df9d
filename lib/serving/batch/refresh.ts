/**
 * Following a batch: its record brought up to date from the runner that runs it (the job's
 * state, or whether this process still runs it) and the status.json it writes, until it ends.
 */
import { errorMessage } from "@/lib/errors.ts";
import { readJobStatus } from "@/lib/training/run_files.ts";
import type { JobRun, Workspace } from "@/lib/workspace/types.ts";
import { runsHere } from "./app_runner.ts";
import { getBatch, listBatches, updateBatch } from "./records.ts";
import { BATCH_TERMINAL, type BatchRecord, type BatchStatus } from "./types.ts";

/** An app-run batch whose status.json is older than this, with no runner alive, was lost. */
export const LOST_AFTER_MS = 30_000;

/** The status.json fields a batch writes beyond training's. */
interface BatchJobStatus {
  phase?: string;
  step?: number;
  total_steps?: number | null;
  eta_seconds?: number | null;
  errors?: number;
  skipped?: number;
  images_per_second?: number | null;
  error?: string | null;
  message?: string | null;
  task?: string;
  updated_at?: number;
  ended_at?: number | null;
}

/**
 * Brings a record up to date from its runner: the job's state (job runner) or whether the
 * batch still runs here, plus status.json. An app-run batch nobody runs any more (the app or
 * the CLI process that ran it stopped) ends as failed, and Resume continues it.
 */
export async function refreshBatch(ws: Workspace, rec: BatchRecord): Promise<BatchRecord> {
  if (BATCH_TERMINAL.has(rec.status) && rec.endedAt && Date.now() > rec.endedAt + 5_000) {
    return rec;
  }
  let job: JobRun | null = null;
  if (rec.jobRunId) {
    try {
      job = await ws.jobs.get(rec.jobRunId);
    } catch (e) {
      if ((e as { status?: number }).status !== 404) return rec; // try again later
      job = { runId: rec.jobRunId, name: rec.name, state: "FAILED", message: errorMessage(e) };
    }
  }
  const st = await readJobStatus(ws, rec.runDir).catch(() => null) as BatchJobStatus | null;
  return await updateBatch(rec.id, (cur) => {
    if (cur.attempt !== rec.attempt) return null; // a resume started meanwhile
    const patch = mergeStatus(cur, job, st);
    const same = Object.entries(patch).every(([k, v]) =>
      JSON.stringify(v) === JSON.stringify(cur[k as keyof BatchRecord])
    );
    return same ? null : patch;
  });
}

/** Merges the runner's state and status.json into the record. */
export function mergeStatus(
  cur: BatchRecord,
  job: JobRun | null,
  st: BatchJobStatus | null,
): Partial<BatchRecord> {
  const patch: Partial<BatchRecord> = {};
  // A status.json from before this attempt (a resume not yet started) says nothing new.
  const fresh = st && (st.updated_at ?? 0) >= (cur.startedAt ?? 0) ? st : null;
  if (fresh) {
    if (fresh.task) patch.task = fresh.task;
    if (typeof fresh.updated_at === "number") patch.heartbeatAt = fresh.updated_at;
    if (typeof fresh.step === "number") {
      patch.progress = {
        done: fresh.step,
        total: fresh.total_steps ?? null,
        errors: fresh.errors ?? 0,
        skipped: fresh.skipped ?? 0,
        imagesPerSecond: fresh.images_per_second ?? null,
        etaSeconds: fresh.eta_seconds ?? null,
      };
    }
  }
  if (job?.url) patch.url = job.url;
  const phase = fresh?.phase;
  let status: BatchStatus = cur.status;
  let shown = phase ?? cur.phase;
  let message = fresh?.message ?? cur.message;
  if (job) {
    switch (job.state) {
      case "QUEUED":
      case "PENDING":
        status = "queued";
        shown = job.state === "QUEUED" ? "queued" : "cluster_starting";
        message = job.message || undefined;
        break;
      case "RUNNING":
      case "TERMINATING":
        status = "running";
        break;
      case "SUCCEEDED":
        status = phase === "failed" ? "failed" : phase === "cancelled" ? "cancelled" : "succeeded";
        if (status === "succeeded" && !fresh) {
          message = "the job ended without writing status.json";
        }
        break;
      case "FAILED":
        status = phase === "cancelled" ? "cancelled" : "failed";
        message = fresh?.error || job.message || "the job failed";
        break;
      case "CANCELED":
        status = "cancelled";
        break;
    }
  } else if (cur.runner === "app" && !BATCH_TERMINAL.has(cur.status)) {
    status = "running";
    const beat = fresh?.updated_at ?? cur.startedAt ?? cur.createdAt;
    if (!runsHere(cur.id) && Date.now() - beat > LOST_AFTER_MS && !isEnd(phase)) {
      status = "failed";
      shown = "failed";
      message = "the process running this batch stopped (the app or the CLI was closed); " +
        "Resume continues from the last image written";
    }
  }
  if (phase === "cancelled") status = "cancelled";
  else if (phase === "failed") {
    status = "failed";
    message = fresh?.error ?? "the batch failed";
  } else if (phase === "succeeded" && (!job || job.state !== "FAILED")) status = "succeeded";
  if (status === "cancelled") {
    shown = "cancelled";
    message = "cancelled; Resume continues from the last image written";
  }
  if (status === "succeeded") {
    shown = "succeeded";
    if (fresh) message = undefined;
  }
  if (status === "failed") shown = "failed";
  patch.status = status;
  patch.phase = shown;
  patch.message = message ?? undefined;
  if (BATCH_TERMINAL.has(status)) {
    patch.endedAt = cur.endedAt ?? fresh?.ended_at ?? job?.endedAt ?? Date.now();
    if (patch.progress) patch.progress = { ...patch.progress, etaSeconds: null };
  }
  return patch;
}

function isEnd(phase?: string): boolean {
  return phase === "succeeded" || phase === "failed" || phase === "cancelled";
}

/** Refreshes until the batch ends (CLI `--wait`, tests); `onUpdate` sees each new record. */
export async function waitForBatch(
  ws: Workspace,
  id: string,
  opts: { everyMs?: number; timeoutMs?: number; onUpdate?: (r: BatchRecord) => void } = {},
): Promise<BatchRecord> {
  const end = Date.now() + (opts.timeoutMs ?? 24 * 3600_000);
  let last = "";
  while (true) {
    const rec = await refreshBatch(ws, await getBatch(id));
    const key = JSON.stringify([rec.status, rec.phase, rec.progress?.done]);
    if (key !== last) {
      last = key;
      opts.onUpdate?.(rec);
    }
    if (BATCH_TERMINAL.has(rec.status) && (!rec.jobRunId || rec.endedAt)) return rec;
    if (Date.now() > end) return rec;
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 500));
  }
}

/** Batches, newest first, the active ones refreshed first. */
export async function listFresh(
  ctx: { ws: Workspace },
  limit = 100,
): Promise<BatchRecord[]> {
  const all = await listBatches({ limit });
  return await Promise.all(
    all.map((b) => BATCH_TERMINAL.has(b.status) ? b : refreshBatch(ctx.ws, b).catch(() => b)),
  );
}
