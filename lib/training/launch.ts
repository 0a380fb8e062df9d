/**
 * Launch, cancel and resume. A launch resolves the config version, makes sure its YAML is in
 * the workspace, stores the run record (claiming the idempotency token first, so a double
 * submit returns the first run), stages the jobs code where the workspace's jobs read it (an
 * upload on Databricks), and submits the job.
 * A failure after the record exists is recorded on the run with the reason, never lost.
 */
import { BadRequestError, ConflictError } from "@/lib/errors.ts";
import { slugifyName } from "@/lib/config/names.ts";
import { parseConfigYaml } from "@/lib/config/yaml_io.ts";
import { logActivity } from "@/lib/store/activity.ts";
import type { ConfigStore, ConfigVersion } from "@/lib/store/configs.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { planJob } from "./compute.ts";
import { createRun, getRun, newRunId, updateRun } from "./records.ts";
import { refreshRun, startMonitor } from "./refresh.ts";
import { MAX_RUN_NAME } from "./status.ts";
import { type LaunchRequest, LaunchRequestSchema, type RunRecord, TERMINAL } from "./types.ts";

/** What launching needs from the request: the workspace, the app volume, who acts. */
export interface TrainingContext {
  workspace: Workspace;
  /** `/Volumes/<catalog>/<schema>/<volume>` where configs and runs live. */
  volume: string;
  user: string;
  configs: ConfigStore;
}

const RESUMED = " (resumed)";

/**
 * A run's name: the one given (trimmed; over MAX_RUN_NAME characters is refused, naming the
 * field), else the config version's. A resumed run keeps its parent's name with "(resumed)"
 * after it, cut so the whole stays within the limit.
 */
export function runName(
  given: string | undefined,
  version: { name: string; version: number },
  parent?: { name: string },
): string {
  const name = checkRunName(given);
  if (name) return name;
  if (!parent) return clip(`${version.name} v${version.version}`, MAX_RUN_NAME);
  // a run resumed again keeps one "(resumed)"
  const base = parent.name.trim().replace(/\s*\(resumed\)$/, "") ||
    `${version.name} v${version.version}`;
  return `${clip(base, MAX_RUN_NAME - RESUMED.length)}${RESUMED}`;
}

/** The given name trimmed; BadRequestError when it is over MAX_RUN_NAME characters. */
export function checkRunName(given: string | undefined): string {
  const name = given?.trim() ?? "";
  if (name.length > MAX_RUN_NAME) {
    throw new BadRequestError(`Run name: at most ${MAX_RUN_NAME} characters, got ${name.length}.`);
  }
  return name;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1).trimEnd()}…`;
}

/** A random idempotency token (for callers that do not bring one). */
export function newToken(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/** The config version a launch uses: a stored version, an imported YAML file, or the active one. */
export async function resolveConfig(
  ctx: TrainingContext,
  req: Pick<LaunchRequest, "config" | "configPath">,
): Promise<ConfigVersion> {
  const store = ctx.configs;
  if (req.configPath) {
    const text = await ctx.workspace.files.readText(req.configPath);
    const parsed = parseConfigYaml(text);
    if (!parsed.ok) {
      throw new BadRequestError(`${req.configPath}: ${parsed.error.message}`);
    }
    const stem = req.configPath.split("/").pop()!.replace(/\.ya?ml$/i, "");
    const name = slugifyName(stem);
    const latest = await store.latest(name).catch(() => null);
    if (latest && JSON.stringify(latest.doc) === JSON.stringify(parsed.doc)) return latest;
    const saved = await store.save(name, parsed.doc, {
      author: ctx.user,
      source: "import",
      sourceYaml: text,
      message: `Imported from ${req.configPath} to launch a run`,
    });
    return saved.version;
  }
  if (req.config) {
    return req.config.version
      ? await store.getVersion(req.config.name, req.config.version)
      : await store.latest(req.config.name);
  }
  const active = await store.activeVersion();
  if (!active) {
    throw new BadRequestError(
      "No config chosen and no active config: pick a config version (or activate one on Config Setup).",
    );
  }
  return active;
}

/** Writes the version's YAML to the workspace when it is not there yet; returns its path. */
async function ensureConfigFile(ctx: TrainingContext, v: ConfigVersion): Promise<string> {
  const path = ctx.configs.filePath(v.name, v.version, v.doc) ??
    `${ctx.volume}/configs/${v.name}/v${v.version}.yaml`;
  const there = await ctx.workspace.files.stat(path);
  if (!there) await ctx.workspace.files.write(path, v.yaml, { overwrite: true });
  return path;
}

/** Launches a run; returns it (the existing one when the token was used before). */
export async function launchRun(
  ctx: TrainingContext,
  input: LaunchRequest,
  parent?: RunRecord,
): Promise<{ run: RunRecord; existing: boolean }> {
  checkRunName(input.name); // before the schema, so the message names the limit in words
  const req = LaunchRequestSchema.parse(input);
  if (req.compute.kind !== ctx.workspace.traits.computeKind) {
    throw new BadRequestError(
      `This app is connected to the ${ctx.workspace.kind} workspace; it cannot launch on ` +
        `${req.compute.kind} compute.`,
    );
  }
  const version = await resolveConfig(ctx, req);
  const configPath = await ensureConfigFile(ctx, version);
  const id = newRunId();
  const runDir = `${ctx.volume.replace(/\/+$/, "")}/runs/${id}`;
  let plan;
  try {
    plan = planJob({
      choice: req.compute,
      configPath,
      runDir,
      maxSteps: req.maxSteps,
      maxEpochs: req.maxEpochs,
      resumeFrom: parent?.runDir,
    });
  } catch (e) {
    throw new BadRequestError(`Cannot launch: ${(e as Error).message}.`);
  }
  const now = Date.now();
  const record: RunRecord = {
    id,
    name: runName(req.name, version, parent),
    createdAt: now,
    createdBy: ctx.user,
    config: {
      name: version.name,
      version: version.version,
      task: version.task,
      model: version.model,
    },
    compute: req.compute,
    distribution: plan.distribution,
    status: "launching",
    phase: "launching",
    runDir,
    configPath,
    command: plan.command,
    clusterSpec: plan.compute,
    idempotencyToken: req.idempotencyToken ?? newToken(),
    resumedFrom: parent?.id,
    maxSteps: req.maxSteps,
    maxEpochs: req.maxEpochs,
    updatedAt: now,
    progress: null,
    lastMetrics: {},
  };
  const created = await createRun(record);
  if (created.existing) return { run: await settled(created.run), existing: true };
  startMonitor(ctx.workspace);
  try {
    // TorchDistributor's executors read the code from a volume copy, not the driver's folder.
    const code = await ctx.workspace.jobs.stageCode({
      inVolume: plan.distribution === "distributor" ? ctx.volume : undefined,
      onUpload: () => updateRun(id, () => ({ phase: "uploading_code" })),
    });
    const entrypoint = code.entrypoint(plan.entrypoint);
    if (code.volumeDir) {
      plan.args = [...plan.args.slice(0, 2), "--code-dir", code.volumeDir, ...plan.args.slice(2)];
    }
    plan.compute = await code.jobCompute(plan.compute, { experiment: version.name });
    // e.g. the MLflow experiment on an existing cluster, whose environment a job cannot set
    const extra = await code.jobArgs(plan.compute, { experiment: version.name });
    plan.args = [...plan.args, ...extra];
    const shown = code.dir
      ? planJob({
        choice: req.compute,
        configPath,
        runDir,
        maxSteps: req.maxSteps,
        maxEpochs: req.maxEpochs,
        resumeFrom: parent?.runDir,
        codeDir: code.dir,
      }).command
      : plan.command;
    const command = [...shown, ...extra];
    await ctx.workspace.files.mkdirs(runDir);
    const { runId } = await ctx.workspace.jobs.submit({
      name: `lakevision ${version.name}@v${version.version} ${id}`,
      entrypoint,
      args: plan.args,
      compute: plan.compute,
      idempotencyToken: record.idempotencyToken,
      runDir,
    });
    const run = await updateRun(id, () => ({
      jobRunId: runId,
      command,
      status: "queued",
      // A process here starts at once; a remote job waits in the workspace's queue first.
      phase: ctx.workspace.traits.jobsRunHere ? "starting" : "queued",
      startedAt: Date.now(),
    }));
    await logActivity({
      who: ctx.user,
      what: parent ? "resumed run" : "launched run",
      subject: `run:${id}`,
      details: {
        config: `${version.name}@v${version.version}`,
        compute: req.compute.kind,
        distribution: plan.distribution,
        jobRunId: runId,
        ...(parent ? { resumedFrom: parent.id } : {}),
      },
    });
    return { run: await refreshRun(ctx.workspace, run).catch(() => run), existing: false };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const run = await updateRun(id, () => ({
      status: "failed",
      phase: "failed",
      message: `launch failed: ${message}`,
      endedAt: Date.now(),
    }));
    await logActivity({
      who: ctx.user,
      what: "launch failed",
      subject: `run:${id}`,
      details: { config: `${version.name}@v${version.version}`, message },
    });
    return { run, existing: false };
  }
}

/** Asks the job to stop; the state turns "cancelled" once the job confirms (seconds). */
export async function cancelRun(ctx: TrainingContext, id: string): Promise<RunRecord> {
  const run = await getRun(id);
  if (TERMINAL.has(run.status)) return run;
  if (!run.jobRunId) {
    return await updateRun(id, () => ({
      status: "cancelled",
      phase: "cancelled",
      message: "cancelled before the job was submitted",
      endedAt: Date.now(),
    }));
  }
  await ctx.workspace.jobs.cancel(run.jobRunId);
  const updated = await updateRun(id, () => ({ cancelRequestedAt: Date.now() }));
  await logActivity({
    who: ctx.user,
    what: "cancelled run",
    subject: `run:${id}`,
    details: { config: `${run.config.name}@v${run.config.version}` },
  });
  return updated;
}

/**
 * Starts a new run that continues a cancelled or failed one from its last checkpoint, with the
 * same config version and compute; the new run links back to it.
 */
export async function resumeRun(
  ctx: TrainingContext,
  id: string,
  opts: { idempotencyToken?: string } = {},
): Promise<{ run: RunRecord; existing: boolean }> {
  const parent = await getRun(id);
  if (parent.status !== "cancelled" && parent.status !== "failed") {
    throw new ConflictError(
      `Run ${id} is ${parent.status}; only a cancelled or failed run can be resumed.`,
    );
  }
  // A cancelled job saves its last checkpoint while it exits: wait for the process to end.
  if (parent.jobRunId) {
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      const job = await ctx.workspace.jobs.get(parent.jobRunId).catch(() => null);
      if (!job || !["RUNNING", "TERMINATING", "PENDING", "QUEUED"].includes(job.state)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const ckpt = `${parent.runDir}/checkpoints/last.pt`;
  if (!(await ctx.workspace.files.stat(ckpt))) {
    throw new ConflictError(
      `Run ${id} has no checkpoint to resume from (${ckpt} does not exist): it stopped before ` +
        "its first checkpoint. Launch it again instead.",
    );
  }
  return await launchRun(ctx, {
    name: runName(undefined, parent.config, parent),
    config: { name: parent.config.name, version: parent.config.version },
    compute: parent.compute,
    maxSteps: parent.maxSteps,
    maxEpochs: parent.maxEpochs,
    idempotencyToken: opts.idempotencyToken,
  }, parent);
}

/**
 * A double submit finds the first launch still submitting: wait (briefly) until it has left
 * "launching", so both answers show the same state.
 */
async function settled(run: RunRecord, timeoutMs = 30_000): Promise<RunRecord> {
  const until = Date.now() + timeoutMs;
  let cur = run;
  while (cur.status === "launching" && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    cur = await getRun(run.id).catch(() => cur);
  }
  return cur;
}
