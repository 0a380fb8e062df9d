/**
 * Keeping run records true: each refresh asks the workspace for the job's state (Jobs
 * `runs/get`, or the local process by pid + start time), reads the job's status.json and
 * metrics, and merges them. A run can therefore never show "running" forever: a lost local
 * process or a dead cluster ends as failed with the reason. While the workspace does not
 * answer, the last known state stays and the record says since when it is stale.
 *
 * A background loop refreshes every active run; pages watching one run refresh it faster.
 */
import { logActivity } from "@/lib/store/activity.ts";
import { getKv } from "@/lib/store/kv.ts";
import type { JobRun, Workspace, WorkspaceTraits } from "@/lib/workspace/types.ts";
import { listRuns, updateRun } from "./records.ts";
import { type JobStatus, latestValues, readJobStatus, readMetrics } from "./run_files.ts";
import { type RunRecord, type RunStatus, TERMINAL } from "./types.ts";

/** A remote run that shows no sign of life for this long gets a warning. */
export const SILENT_WARNING_MS = 20 * 60_000;

const inflight = new Map<string, Promise<RunRecord>>();

/** Refreshes one run (concurrent calls for the same run share one refresh). */
export function refreshRun(ws: Workspace, run: RunRecord): Promise<RunRecord> {
  let p = inflight.get(run.id);
  if (!p) {
    p = doRefresh(ws, run).finally(() => inflight.delete(run.id));
    inflight.set(run.id, p);
  }
  return p;
}

function errorText(e: unknown): string {
  const status = (e as { status?: number }).status;
  const msg = e instanceof Error ? e.message : String(e);
  return status ? `${msg} (HTTP ${status})` : msg;
}

async function doRefresh(ws: Workspace, run: RunRecord): Promise<RunRecord> {
  // Finished: keep reading for a few seconds only, for metrics written at the very end.
  if (TERMINAL.has(run.status) && run.endedAt && !run.stale && Date.now() > run.endedAt + 10_000) {
    return run;
  }
  if (!run.jobRunId && run.status === "launching" && Date.now() - run.createdAt > 120_000) {
    return await updateRun(run.id, () => ({
      status: "failed",
      phase: "failed",
      message: "the launch did not complete (the app stopped while submitting the job)",
      endedAt: Date.now(),
    }));
  }
  let job: JobRun | null = null;
  let failure: string | null = null;
  if (run.jobRunId) {
    try {
      job = await ws.jobs.get(run.jobRunId);
    } catch (e) {
      if ((e as { status?: number }).status === 404) {
        // The workspace no longer knows the job (deleted, or another workspace): it cannot finish.
        job = {
          runId: run.jobRunId,
          name: run.name,
          state: "FAILED",
          message: `the workspace no longer knows job ${run.jobRunId} (${errorText(e)})`,
        };
      } else failure = errorText(e);
    }
  }
  let status: JobStatus | null = null;
  let metrics: Record<string, number> | null = null;
  if (!failure && job && job.state !== "PENDING" && job.state !== "QUEUED") {
    try {
      status = await readJobStatus(ws, run.runDir);
      if (status?.mlflow_run_id && !run.mlflowRunId) {
        run = { ...run, mlflowRunId: status.mlflow_run_id };
      }
      metrics = latestValues(await readMetrics(ws, run));
    } catch (e) {
      failure = errorText(e);
    }
  }
  let before: RunStatus = run.status;
  const updated = await updateRun(run.id, (cur) => {
    before = cur.status;
    if (failure) {
      return { stale: { since: cur.stale?.since ?? Date.now(), error: failure } };
    }
    const patch = merge(cur, job, status, metrics, ws.traits);
    // A job run on this machine names the disk folders it ran in: stored (and shown) as volume
    // paths.
    if (patch.message && ws.hidePaths) patch.message = ws.hidePaths(patch.message);
    if (patch.mlflowError && ws.hidePaths) patch.mlflowError = ws.hidePaths(patch.mlflowError);
    // Nothing new: no write, no event.
    const same = Object.entries(patch).every(([k, v]) =>
      JSON.stringify(v) === JSON.stringify(cur[k as keyof RunRecord])
    );
    return same ? null : patch;
  });
  if (!TERMINAL.has(before) && TERMINAL.has(updated.status)) {
    await logActivity({
      who: updated.createdBy,
      what: updated.status === "succeeded"
        ? "run succeeded"
        : updated.status === "cancelled"
        ? "run cancelled"
        : "run failed",
      subject: `run:${updated.id}`,
      details: {
        config: `${updated.config.name}@v${updated.config.version}`,
        ...(updated.message ? { message: updated.message } : {}),
      },
    }).catch(() => {});
  }
  return updated;
}

/**
 * Merges the job's state, its status.json and metrics into the record. Where jobs run on
 * remote compute (`traits.jobsRunHere` false), a waiting job is its cluster starting, and a
 * running job that stops reporting is warned about (a local process is checked by its pid).
 */
export function merge(
  cur: RunRecord,
  job: JobRun | null,
  st: JobStatus | null,
  metrics: Record<string, number> | null,
  traits: Pick<WorkspaceTraits, "jobsRunHere">,
): Partial<RunRecord> {
  const patch: Partial<RunRecord> = { stale: undefined };
  if (job?.url) patch.url = job.url;
  if (job?.startedAt) patch.startedAt = job.startedAt;
  if (st) {
    if (st.mlflow_run_id) patch.mlflowRunId = st.mlflow_run_id;
    if (st.mlflow_experiment_id) patch.mlflowExperimentId = st.mlflow_experiment_id;
    if (typeof st.mlflow_error === "string" && st.mlflow_error) {
      patch.mlflowError = st.mlflow_error.slice(0, 2000);
    }
    if (typeof st.updated_at === "number") patch.heartbeatAt = st.updated_at;
    if (typeof st.step === "number") {
      patch.progress = {
        step: st.step,
        totalSteps: st.total_steps ?? null,
        epoch: st.epoch ?? 0,
        etaSeconds: st.eta_seconds ?? null,
      };
    }
  }
  if (metrics) {
    // Per-class values stay in the run folder: they would outgrow a KV record (64 KiB).
    const all = { ...cur.lastMetrics, ...metrics, ...(st?.final_metrics ?? {}) };
    patch.lastMetrics = Object.fromEntries(
      Object.entries(all).filter(([k]) => !k.includes("_class_")),
    );
  }
  const phase = st?.phase;
  let status: RunStatus = cur.status;
  let shown = cur.phase;
  let message = cur.message;
  switch (job?.state) {
    case "QUEUED":
      status = "queued";
      shown = "queued";
      message = job.message || undefined;
      break;
    case "PENDING":
      status = "queued";
      shown = traits.jobsRunHere ? "starting" : "cluster_starting";
      message = job.message || undefined;
      break;
    case "RUNNING":
    case "TERMINATING":
      status = "running";
      shown = phase ?? "starting";
      message = st?.message ?? undefined;
      break;
    case "SUCCEEDED":
      status = phase === "failed" ? "failed" : phase === "cancelled" ? "cancelled" : "succeeded";
      shown = status === "succeeded" ? "succeeded" : status;
      message = status === "failed"
        ? st?.error ?? "the job reported a failure"
        : !st
        ? "the job ended without writing status.json or metrics"
        : undefined;
      break;
    case "FAILED":
      status = phase === "cancelled" ? "cancelled" : "failed";
      shown = status;
      message = st?.error || job.message || "the job failed";
      break;
    case "CANCELED":
      status = "cancelled";
      shown = "cancelled";
      message = job.message || undefined;
      break;
  }
  // The job's own terminal phase counts at once (it is written before the process exits).
  if (status === "running" || status === "queued") {
    if (phase === "cancelled") status = shown = "cancelled";
    else if (phase === "failed") {
      status = shown = "failed";
      message = st?.error ?? "the job reported a failure";
    } else if (phase === "succeeded") status = shown = "succeeded";
  }
  if (
    status === "running" && !traits.jobsRunHere && patch.heartbeatAt &&
    Date.now() - patch.heartbeatAt > SILENT_WARNING_MS
  ) {
    message = `no progress reported for ${
      Math.round((Date.now() - patch.heartbeatAt) / 60_000)
    } min (the job may be stuck; cancel it if so)`;
  }
  if (status === "cancelled" && cur.cancelRequestedAt && (!message || /SIGTERM/.test(message))) {
    message = "cancelled on request; Resume continues from the last checkpoint";
  }
  patch.status = status;
  patch.phase = shown;
  patch.message = message;
  if (TERMINAL.has(status)) {
    patch.endedAt = cur.endedAt ?? job?.endedAt ?? st?.ended_at ?? Date.now();
    if (patch.progress) patch.progress = { ...patch.progress, etaSeconds: null };
  }
  return patch;
}

let loop: { stop: () => void; ws: Workspace } | null = null;

/**
 * Starts the background refresh (idempotent per workspace). On start it also re-attaches to
 * local jobs that survived an app restart, or marks them lost, since their first refresh
 * checks the process. The loop ends by itself when the store it started with is replaced.
 */
export function startMonitor(ws: Workspace, intervalMs?: number): void {
  if (loop?.ws === ws) return;
  loop?.stop();
  const every = intervalMs ?? ws.traits.poll.backgroundMs;
  let stopped = false;
  let timer = 0;
  let store: Deno.Kv | null = null;
  const tick = async () => {
    try {
      const kv = await getKv();
      store ??= kv;
      if (kv !== store) stopped = true; // another app (tests) took over the store
      for (const r of stopped ? [] : await listRuns({ status: "active", limit: 200 })) {
        if (stopped) return;
        if (r.status === "launching" && Date.now() - r.createdAt < 60_000) continue;
        await refreshRun(ws, r).catch(() => {});
      }
    } catch { /* the store is closed or busy: try again next tick */ }
    if (!stopped) {
      timer = setTimeout(tick, every) as unknown as number;
      Deno.unrefTimer(timer);
    } else if (loop?.ws === ws) loop = null;
  };
  timer = setTimeout(tick, 0) as unknown as number;
  Deno.unrefTimer(timer);
  loop = {
    ws,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Stops the background refresh (tests). */
export function stopMonitor(): void {
  loop?.stop();
  loop = null;
}
