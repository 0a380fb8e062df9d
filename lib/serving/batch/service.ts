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
 * Deploy) cannot run the app's runner: `BatchContext.appRunner` is false there. Following a
 * batch (its record brought up to date from the runner) is refresh.ts, re-exported here.
 */
import { BadRequestError, ConflictError, errorMessage } from "@/lib/errors.ts";
import { modelNameProblems, normalizeModelName } from "@/lib/registry/names.ts";
import { readManifest, versionDir } from "@/lib/registry/files.ts";
import { logActivity } from "@/lib/store/activity.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { issueDetails, issueMessages } from "../messages.ts";
import { startHere, stopHere } from "./app_runner.ts";
import { createBatch, getBatch, newBatchId, updateBatch } from "./records.ts";
import { refreshBatch } from "./refresh.ts";
import {
  BATCH_TERMINAL,
  type BatchRecord,
  type BatchRequest,
  type BatchRequestParsed,
  BatchRequestSchema,
  type Runner,
} from "./types.ts";

export { listFresh, LOST_AFTER_MS, mergeStatus, refreshBatch, waitForBatch } from "./refresh.ts";

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

/** The request checked by its schema; a 400 listing every problem otherwise. */
export function parseBatchRequest(input: unknown): BatchRequestParsed {
  const p = BatchRequestSchema.safeParse(input);
  if (!p.success) {
    throw new BadRequestError(
      `The batch request is not valid: ${issueMessages(p.error).join("; ")}.`,
      issueDetails(p.error),
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
      // Plus what every run of the staged code needs there (jobs/requirements.txt on Databricks).
      compute: await code.jobCompute(rec.compute),
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
