/**
 * Batch inference as pages, the API and the CLI use it: start (a registered version or an
 * endpoint's served version, a volume folder or — with the job runner — a Delta table, a JSONL /
 * Parquet file or a Delta table out), follow, cancel and resume from where it stopped.
 *
 * Where it runs (`runner`): on a workspace whose jobs run on this machine (`traits.jobsRunHere`)
 * the app runs the batch itself — the same onnxruntime decoding as the local endpoint,
 * and no onnxruntime needed in the local Python, which Debian does not package. Otherwise
 * `jobs/batch_infer.py` runs as a workspace job (a Databricks cluster; onnxruntime is installed
 * on the job cluster as a library). Both write the same status.json and result rows, so the
 * rest of this module does not care which ran. A host that cannot load native modules (Deno
 * Deploy) cannot run the app's runner: `BatchContext.appRunner` is false there.
 */
import { BadRequestError, ConflictError, errorMessage } from "@/lib/errors.ts";
import { modelNameProblems, normalizeModelName } from "@/lib/registry/names.ts";
import { readManifest, versionDir } from "@/lib/registry/files.ts";
import { logActivity } from "@/lib/store/activity.ts";
import { readJobStatus } from "@/lib/training/run_files.ts";
import type { JobRun, Workspace } from "@/lib/workspace/types.ts";
import { runsHere, startHere, stopHere } from "./app_runner.ts";
import { createBatch, getBatch, listBatches, newBatchId, updateBatch } from "./records.ts";
import {
  BATCH_TERMINAL,
  type BatchRecord,
  type BatchRequest,
  type BatchRequestParsed,
  BatchRequestSchema,
  type BatchStatus,
  type Runner,
} from "./types.ts";

/** What a batch call needs: the workspace, the app's volume and the acting person. */
export interface BatchContext {
  ws: Workspace;
  volume: string;
  user: string;
  /**
   * Whether this host can run a batch in the app's own process (`runner: "app"`, which loads
   * onnxruntime-node); false on Deno Deploy (`settings.deploy`). Default true.
   */
  appRunner?: boolean;
}

/** Why `runner: "app"` is not offered where `BatchContext.appRunner` is false. */
export const APP_RUNNER_UNAVAILABLE =
  "On Deno Deploy the app cannot load onnxruntime-node (no native modules), so batches run " +
  "as workspace jobs.";

/** The 400 for `runner: "app"` where the host cannot run it. */
function appRunnerRefused(): BadRequestError {
  return new BadRequestError(
    `runner "app" is not available here. ${APP_RUNNER_UNAVAILABLE} Choose runner "job".`,
    [
      { path: "runner", message: 'not available on this host; use "job"' },
    ],
  );
}

/** An app-run batch whose status.json is older than this, with no runner alive, was lost. */
export const LOST_AFTER_MS = 30_000;

/** The request checked by its schema; a 400 listing every problem otherwise. */
export function parseBatchRequest(input: unknown): BatchRequestParsed {
  const p = BatchRequestSchema.safeParse(input);
  if (!p.success) {
    throw new BadRequestError(
      "The batch request is not valid: " +
        p.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
      p.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  return p.data;
}

/**
 * The runner `auto` picks: the app where jobs run on this machine (and the host can run it),
 * else a workspace job.
 */
export function defaultRunner(
  ctx: Pick<BatchContext, "ws" | "appRunner">,
  req: BatchRequestParsed,
): Runner {
  if (req.input.kind === "table" || req.output?.kind === "table") return "job";
  if (req.output?.kind === "file" && req.output.path.endsWith(".parquet")) return "job";
  return ctx.ws.traits.jobsRunHere && ctx.appRunner !== false ? "app" : "job";
}

/** Which version a request means: its model + version, or the endpoint's main served version. */
async function resolveVersion(
  ctx: BatchContext,
  req: BatchRequestParsed,
): Promise<{ model: string; version: string; endpoint?: string }> {
  if (req.endpoint) {
    const ep = await ctx.ws.serving.get(req.endpoint);
    const main = [...ep.entities].sort((a, b) =>
      (b.trafficPercent ?? 0) - (a.trafficPercent ?? 0)
    )[0];
    if (!main) throw new ConflictError(`Endpoint ${req.endpoint} serves no model version.`);
    return { model: main.model, version: main.version, endpoint: req.endpoint };
  }
  if (!req.model || !req.version) {
    throw new BadRequestError("Choose a model and version (or an endpoint).", [
      { path: req.model ? "version" : "model", message: "required" },
    ]);
  }
  const problems = modelNameProblems(req.model);
  if (problems.length) {
    throw new BadRequestError(`Model name: ${problems.join("; ")}`, [
      { path: "model", message: problems.join("; ") },
    ]);
  }
  const model = normalizeModelName(req.model);
  const v = await ctx.ws.registry.getVersion(model, req.version);
  if (v.status !== "READY") {
    throw new ConflictError(`${model} version ${req.version} is ${v.status}, not READY.`);
  }
  return { model, version: req.version };
}

/** Starts a batch; returns it (the existing one when the token was used before). */
export async function startBatch(
  ctx: BatchContext,
  input: BatchRequest,
): Promise<{ batch: BatchRecord; existing: boolean }> {
  const req = parseBatchRequest(input);
  if (req.runner === "app" && ctx.appRunner === false) throw appRunnerRefused();
  const { model, version, endpoint } = await resolveVersion(ctx, req);
  const modelDir = versionDir(ctx.volume, model, version);
  if (!(await readManifest(ctx.ws, modelDir))) {
    throw new ConflictError(
      `The files of ${model} version ${version} are not in ${modelDir} (no manifest.json): ` +
        "register the version again from this app.",
    );
  }
  const runner = req.runner === "auto" ? defaultRunner(ctx, req) : req.runner;
  if (req.input.kind === "folder") {
    const st = await ctx.ws.files.stat(req.input.path);
    if (!st?.isDirectory) {
      throw new BadRequestError(`The input folder ${req.input.path} does not exist.`, [
        { path: "input.path", message: "no such folder" },
      ]);
    }
  }
  if (runner === "app") {
    if (req.input.kind === "table" || req.output?.kind === "table") {
      throw new BadRequestError(
        "Delta tables are read and written by jobs/batch_infer.py on a Databricks cluster; " +
          "this app reads volume folders.",
      );
    }
    if (req.output?.kind === "file" && !req.output.path.endsWith(".jsonl")) {
      throw new BadRequestError(
        "This app writes JSONL (it has no Parquet writer); Parquet is written by the job " +
          "runner where pyarrow is installed. Choose a .jsonl output.",
        [{ path: "output.path", message: "must end in .jsonl here" }],
      );
    }
  }
  const id = newBatchId();
  const runDir = `${ctx.volume.replace(/\/+$/, "")}/batch/${id}`;
  const output = req.output ?? { kind: "file" as const, path: `${runDir}/results.jsonl` };
  const now = Date.now();
  const rec: BatchRecord = {
    id,
    name: req.name ||
      `${model} v${version} on ${
        req.input.kind === "folder" ? req.input.path.split("/").pop() : req.input.table
      }`,
    createdAt: now,
    createdBy: ctx.user,
    model,
    version,
    endpoint,
    modelDir,
    input: req.input,
    output,
    runner,
    params: req.params,
    runDir,
    status: "launching",
    phase: "launching",
    command: [],
    attempt: 1,
    progress: null,
    updatedAt: now,
    idempotencyToken: req.idempotencyToken ?? crypto.randomUUID().replaceAll("-", ""),
  };
  if (runner === "job") rec.compute = jobCompute(req);
  const created = await createBatch(rec);
  if (created.existing) return created;
  const batch = await launch(ctx, created.batch, false);
  await logActivity({
    who: ctx.user,
    what: "started batch inference",
    subject: `batch:${id}`,
    details: { model: `${model}@v${version}`, runner, input: describeInput(rec) },
  }).catch(() => {});
  return { batch, existing: false };
}

/** Human text for a batch's input. */
export function describeInput(rec: Pick<BatchRecord, "input">): string {
  return rec.input.kind === "folder" ? rec.input.path : `table ${rec.input.table}`;
}

/** Human text for a batch's output. */
export function describeOutput(rec: Pick<BatchRecord, "output">): string {
  return rec.output.kind === "file" ? rec.output.path : `table ${rec.output.table}`;
}

function jobCompute(req: BatchRequestParsed): Record<string, unknown> | undefined {
  const c = req.cluster;
  // jobs/batch_infer.py runs model.onnx with onnxruntime: installed on the cluster for the task.
  const libraries = [{ pypi: { package: "onnxruntime" } }];
  if (c.existingClusterId) return { existing_cluster_id: c.existingClusterId, libraries };
  if (c.nodeType && c.runtime) {
    return {
      new_cluster: {
        spark_version: c.runtime,
        node_type_id: c.nodeType,
        num_workers: 0,
        spark_conf: {
          "spark.databricks.cluster.profile": "singleNode",
          "spark.master": "local[*, 4]",
        },
        custom_tags: { ResourceClass: "SingleNode", lakevision: "batch" },
        data_security_mode: "SINGLE_USER",
      },
      libraries,
    };
  }
  return undefined;
}

/** The batch_infer.py arguments of a batch. */
export function jobArgs(rec: BatchRecord, resume: boolean): string[] {
  const args = ["--model", rec.modelDir];
  if (rec.input.kind === "folder") {
    // --path-root=... stays one argument, so results name images by their volume path even
    // where the job reads a local copy of the folder.
    args.push("--input", rec.input.path, `--path-root=${rec.input.path}`);
  } else {
    args.push("--input-table", rec.input.table, "--path-column", rec.input.pathColumn);
    if (rec.input.contentColumn) args.push("--content-column", rec.input.contentColumn);
  }
  if (rec.output.kind === "file") args.push("--output", rec.output.path);
  else args.push("--output-table", rec.output.table);
  args.push("--run-dir", rec.runDir);
  const p = rec.params;
  if (p.confidence_threshold !== undefined) {
    args.push("--confidence-threshold", String(p.confidence_threshold));
  }
  if (p.max_detections !== undefined) args.push("--max-detections", String(p.max_detections));
  if (p.top_k !== undefined) args.push("--top-k", String(p.top_k));
  if (resume) args.push("--resume");
  return args;
}

/** Starts (or resumes) the work of a stored batch on its runner; failures land on the record. */
async function launch(ctx: BatchContext, rec: BatchRecord, resume: boolean): Promise<BatchRecord> {
  try {
    await ctx.ws.files.mkdirs(rec.runDir);
    if (rec.runner === "app") {
      const started = await updateBatch(rec.id, () => ({
        status: "running",
        phase: "starting",
        startedAt: Date.now(),
        command: ["(in the app)", "batch", rec.modelDir, describeInput(rec), describeOutput(rec)],
      }));
      startHere(ctx.ws, started, { resume });
      return started;
    }
    const args = jobArgs(rec, resume);
    if (!ctx.ws.traits.jobsRunHere && !rec.compute) {
      throw new BadRequestError(
        "A Databricks batch needs compute: an existing cluster id, or a node type and runtime.",
      );
    }
    const code = await ctx.ws.jobs.stageCode({
      onUpload: () => updateBatch(rec.id, () => ({ phase: "uploading_code" })),
    });
    const entrypoint = code.entrypoint("batch_infer.py");
    const shown = `${code.dir ?? "jobs"}/batch_infer.py`;
    const { runId } = await ctx.ws.jobs.submit({
      name: `lakevision batch ${rec.model}@v${rec.version} ${rec.id}`,
      entrypoint,
      args,
      compute: rec.compute,
      idempotencyToken: `${rec.idempotencyToken.slice(0, 56)}-${rec.attempt}`,
      runDir: rec.runDir,
    });
    const updated = await updateBatch(rec.id, () => ({
      jobRunId: runId,
      status: "queued",
      phase: "queued",
      startedAt: Date.now(),
      command: ["python", shown, ...args],
    }));
    return await refreshBatch(ctx.ws, updated).catch(() => updated);
  } catch (e) {
    return await updateBatch(rec.id, () => ({
      status: "failed",
      phase: "failed",
      message: `launch failed: ${errorMessage(e)}`,
      endedAt: Date.now(),
    }));
  }
}

/** Asks the batch to stop; it reads `cancelled` within seconds, and Resume continues it. */
export async function cancelBatch(ctx: BatchContext, id: string): Promise<BatchRecord> {
  const rec = await getBatch(id);
  if (BATCH_TERMINAL.has(rec.status)) return rec;
  await updateBatch(id, () => ({ cancelRequestedAt: Date.now() }));
  if (rec.runner === "app") await stopHere(id);
  else if (rec.jobRunId) await ctx.ws.jobs.cancel(rec.jobRunId);
  await logActivity({
    who: ctx.user,
    what: "cancelled batch inference",
    subject: `batch:${id}`,
    details: { model: `${rec.model}@v${rec.version}` },
  }).catch(() => {});
  return await refreshBatch(ctx.ws, await getBatch(id));
}

/**
 * Continues a cancelled or failed batch on the same record: the rows already in the output
 * stay, their images are skipped, the rest are predicted and appended.
 */
export async function resumeBatch(ctx: BatchContext, id: string): Promise<BatchRecord> {
  let rec = await refreshBatch(ctx.ws, await getBatch(id));
  if (rec.status !== "cancelled" && rec.status !== "failed") {
    throw new ConflictError(
      `Batch ${id} is ${rec.status}; only a cancelled or failed batch can be resumed.`,
    );
  }
  if (rec.runner === "app" && ctx.appRunner === false) throw appRunnerRefused();
  // A cancelled job writes its last rows while it exits: wait for it to end.
  if (rec.jobRunId) {
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      const job = await ctx.ws.jobs.get(rec.jobRunId).catch(() => null);
      if (!job || !["RUNNING", "TERMINATING", "PENDING", "QUEUED"].includes(job.state)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  if (rec.runner === "app") await stopHere(id);
  // The last attempt's status.json must not speak for the new one (its phase is "cancelled").
  await ctx.ws.files.delete(`${rec.runDir}/status.json`).catch(() => {});
  rec = await updateBatch(id, (cur) => ({
    reopen: true,
    status: "launching",
    phase: "launching",
    message: undefined,
    endedAt: undefined,
    cancelRequestedAt: undefined,
    jobRunId: undefined,
    attempt: cur.attempt + 1,
  }));
  await logActivity({
    who: ctx.user,
    what: "resumed batch inference",
    subject: `batch:${id}`,
    details: { model: `${rec.model}@v${rec.version}`, attempt: rec.attempt },
  }).catch(() => {});
  return await launch(ctx, rec, true);
}

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

/** The context for a request's state (or the CLI's equivalent). */
export function batchContext(state: {
  workspace: Workspace;
  settings: { volume: string; deploy?: boolean };
  user: { name: string };
}): BatchContext {
  return {
    ws: state.workspace,
    volume: state.settings.volume.replace(/\/+$/, ""),
    user: state.user.name,
    appRunner: !state.settings.deploy,
  };
}

/** Batches, newest first, the active ones refreshed first. */
export async function listFresh(ctx: BatchContext, limit = 100): Promise<BatchRecord[]> {
  const all = await listBatches({ limit });
  return await Promise.all(
    all.map((b) => BATCH_TERMINAL.has(b.status) ? b : refreshBatch(ctx.ws, b).catch(() => b)),
  );
}
