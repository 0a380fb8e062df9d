/**
 * The Workspace port's jobs part on top of the Jobs API: the runs/submit body for a `jobs/`
 * entrypoint, and Databricks run states mapped to the port's.
 */
import { BadRequestError } from "@/lib/errors.ts";
import type { JobRun, JobsApi, JobSpec, JobState } from "../types.ts";
import type { JobsClient, Run, SubmitRun } from "./jobs.ts";

/** Maps a run's life-cycle and result states to the port's JobState. */
export function jobStateOf(run: Pick<Run, "state">): JobState {
  const { life_cycle_state: lc, result_state: rs } = run.state;
  switch (lc) {
    case "QUEUED":
      return "QUEUED";
    case "PENDING":
    case "BLOCKED":
    case "WAITING_FOR_RETRY":
      return "PENDING";
    case "RUNNING":
      return "RUNNING";
    case "TERMINATING":
      return "TERMINATING";
    case "SKIPPED":
      return "CANCELED";
    case "TERMINATED":
      if (rs === "SUCCESS" || rs === "SUCCESS_WITH_FAILURES") return "SUCCEEDED";
      if (rs === "CANCELED" || rs === "UPSTREAM_CANCELED" || rs === "EXCLUDED") return "CANCELED";
      return "FAILED";
    default:
      return "FAILED";
  }
}

function argAfter(args: string[] | undefined, flag: string): string | undefined {
  const i = args?.indexOf(flag) ?? -1;
  return i >= 0
    ? args![i + 1]
    : args?.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

/** A run as the port describes it. */
export function jobRunOf(run: Run): JobRun {
  const task = run.tasks[0];
  return {
    runId: String(run.run_id),
    name: run.run_name ?? `run ${run.run_id}`,
    state: jobStateOf(run),
    message: run.state.state_message || run.status?.termination_details?.message || undefined,
    startedAt: run.start_time || undefined,
    endedAt: run.end_time || undefined,
    url: run.run_page_url,
    runDir: argAfter(task?.spark_python_task?.parameters, "--run-dir"),
  };
}

/** Builds the runs/submit body for a `jobs/` entrypoint on the given compute. */
export function submitBody(
  spec: JobSpec,
  jobsDir: string,
  fallback?: Record<string, unknown>,
): SubmitRun {
  const entry = spec.entrypoint.replace(/^\.?\/+/, "");
  if (!/^[\w./-]+\.py$/.test(entry) || entry.split("/").includes("..")) {
    throw new BadRequestError(
      `Entrypoint ${
        JSON.stringify(spec.entrypoint)
      } must be a .py file inside jobs/ (e.g. train.py).`,
    );
  }
  const compute = spec.compute ?? fallback;
  if (!compute) {
    throw new BadRequestError(
      "No compute given for a Databricks run: pass a cluster spec (node type with GPUs and an ML GPU runtime).",
    );
  }
  const params = [...spec.args];
  if (spec.runDir && argAfter(params, "--run-dir") === undefined) {
    params.push("--run-dir", spec.runDir);
  }
  const task: Record<string, unknown> = {
    task_key: "main",
    spark_python_task: {
      python_file: `${jobsDir.replace(/\/+$/, "")}/${entry}`,
      parameters: params,
    },
  };
  const body: SubmitRun = { run_name: spec.name, tasks: [task] };
  const { environments, libraries, timeout_seconds, ...cluster } = compute as Record<
    string,
    unknown
  >;
  if (libraries) task.libraries = libraries;
  if (environments) body.environments = environments as Record<string, unknown>[];
  if (timeout_seconds) body.timeout_seconds = Number(timeout_seconds);
  if (
    "new_cluster" in cluster || "existing_cluster_id" in cluster || "environment_key" in cluster
  ) {
    Object.assign(task, cluster);
  } else if (Object.keys(cluster).length) {
    task.new_cluster = cluster;
  }
  if (spec.idempotencyToken) {
    if (spec.idempotencyToken.length > 64) {
      throw new BadRequestError("idempotencyToken must be at most 64 characters.");
    }
    body.idempotency_token = spec.idempotencyToken;
  }
  return body;
}

function runIdNum(runId: string): number {
  if (!/^\d+$/.test(runId)) {
    throw new BadRequestError(`${JSON.stringify(runId)} is not a Databricks run id.`);
  }
  return Number(runId);
}

/** Jobs part of the port. */
export function jobsApi(
  jobs: JobsClient,
  jobsDir: string,
  defaultCompute: Record<string, unknown> | undefined,
  /** Runs before each submit (uploads the jobs/ code once per process). */
  beforeSubmit: () => Promise<void>,
  /** Uploads the app's jobs/ code per content (see code_staging.ts). */
  stageCode: JobsApi["stageCode"],
): JobsApi {
  return {
    stageCode,
    async submit(spec) {
      const body = submitBody(spec, jobsDir, defaultCompute);
      await beforeSubmit();
      const runId = await jobs.submit(body);
      return { runId: String(runId) };
    },
    async get(runId) {
      return jobRunOf(await jobs.get(runIdNum(runId)));
    },
    async cancel(runId) {
      await jobs.cancel(runIdNum(runId));
    },
    async *list(opts = {}) {
      let n = 0;
      const limit = opts.limit ?? Infinity;
      if (limit <= 0) return;
      for await (const r of jobs.list({ pageSize: limit < 25 ? limit : undefined })) {
        yield jobRunOf(r);
        if (++n >= limit) return;
      }
    },
    async logs(runId, opts = {}) {
      const run = await jobs.get(runIdNum(runId));
      const task = run.tasks[0];
      if (!task) return "";
      const out = await jobs.output(task.run_id);
      let text = out.logs ?? "";
      if (out.error) {
        text += `${text && !text.endsWith("\n") ? "\n" : ""}${out.error_trace ?? out.error}\n`;
      }
      return tailBytes(text, opts.maxBytes ?? 64 * 1024);
    },
  };
}

/** The last `max` bytes of a string, cut at a character boundary. */
export function tailBytes(text: string, max: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= max) return text;
  return new TextDecoder().decode(bytes.subarray(bytes.length - max)).replace(/^\uFFFD+/, "");
}
