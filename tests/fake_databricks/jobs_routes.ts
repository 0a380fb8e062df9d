/**
 * Jobs runs for the fake workspace: runs/submit (with idempotency tokens), get, get-output,
 * cancel and list, and a run state machine PENDING → RUNNING → TERMINATED (SUCCESS | FAILED).
 * A `register.py` run does, when it succeeds, what the real job does (see register_job.ts).
 */
import { apiError, badRequest, json, page, readJson } from "./util.ts";
import type { FakeDatabricks } from "./server.ts";
import { isRegisterRun, runRegisterJob } from "./register_job.ts";

export interface FakeRun {
  run_id: number;
  run_name: string;
  life_cycle_state: string;
  result_state?: string;
  state_message: string;
  start_time: number;
  end_time?: number;
  tasks: { task_key: string; run_id: number; [k: string]: unknown }[];
  logs: string;
  error?: string;
  error_trace?: string;
  idempotency_token?: string;
  submitted: Record<string, unknown>;
  /** The simulated job's side effects, running; views wait for them. */
  effect?: Promise<void>;
  /** The side effects ran already. */
  simulated?: boolean;
}

const BASE = /^\/api\/2\.[12]\/jobs\/runs\//;

/** runs/get and runs/list return at most this many tasks per page (Jobs API 2.2). */
export const TASK_PAGE = 100;

/** Fields of SubmitRun and SubmitTask, per the Databricks SDK (databricks/sdk/service/jobs.py). */
const SUBMIT_FIELDS = new Set([
  "access_control_list",
  "budget_policy_id",
  "email_notifications",
  "environment_variables",
  "environments",
  "git_source",
  "health",
  "idempotency_token",
  "notification_settings",
  "performance_target",
  "queue",
  "run_as",
  "run_name",
  "tags",
  "tasks",
  "timeout_seconds",
  "usage_policy_id",
  "webhook_notifications",
]);
const TASK_FIELDS = new Set([
  "task_key",
  "agentic_task",
  "ai_runtime_task",
  "alert_task",
  "clean_rooms_notebook_task",
  "compute",
  "condition_task",
  "dashboard_task",
  "dbt_cloud_task",
  "dbt_platform_task",
  "dbt_task",
  "depends_on",
  "description",
  "disable_auto_optimization",
  "disabled",
  "email_notifications",
  "environment_key",
  "environment_variables_key",
  "existing_cluster_id",
  "for_each_task",
  "gen_ai_compute_task",
  "genie_task",
  "health",
  "libraries",
  "max_retries",
  "min_retry_interval_millis",
  "new_cluster",
  "notebook_task",
  "notification_settings",
  "pipeline_task",
  "power_bi_task",
  "python_operator_task",
  "python_wheel_task",
  "retry_on_timeout",
  "run_if",
  "run_job_task",
  "spark_jar_task",
  "spark_python_task",
  "spark_submit_task",
  "sql_task",
  "timeout_seconds",
  "webhook_notifications",
]);
/** compute.ClusterSpec fields (databricks/sdk/service/compute.py). */
const CLUSTER_FIELDS = new Set([
  "apply_policy_default_values",
  "autoscale",
  "autotermination_minutes",
  "aws_attributes",
  "azure_attributes",
  "cluster_log_conf",
  "cluster_name",
  "custom_tags",
  "data_security_mode",
  "docker_image",
  "driver_instance_pool_id",
  "driver_node_type_id",
  "enable_elastic_disk",
  "enable_local_disk_encryption",
  "gcp_attributes",
  "init_scripts",
  "instance_pool_id",
  "is_single_node",
  "kind",
  "node_type_id",
  "num_workers",
  "policy_id",
  "runtime_engine",
  "single_user_name",
  "spark_conf",
  "spark_env_vars",
  "spark_version",
  "ssh_public_keys",
  "use_ml_runtime",
  "workload_type",
]);
const LIBRARY_KINDS = new Set(["cran", "egg", "jar", "maven", "pypi", "requirements", "whl"]);
/** jobs.SparkPythonTask fields; python_file is required. */
const PYTHON_TASK_FIELDS = new Set(["parameters", "python_file", "source"]);
/** The fields of the libraries given as objects (compute.PythonPyPiLibrary and its kin). */
const LIBRARY_FIELDS: Record<string, { required: string; fields: Set<string> }> = {
  pypi: { required: "package", fields: new Set(["package", "repo"]) },
  cran: { required: "package", fields: new Set(["package", "repo"]) },
  maven: { required: "coordinates", fields: new Set(["coordinates", "exclusions", "repo"]) },
};

/** Why a task's spark_python_task would be refused, if it would. */
function pythonTaskProblem(t: Record<string, unknown>): string | undefined {
  const py = t.spark_python_task as Record<string, unknown> | undefined;
  if (py === undefined) return undefined;
  for (const k of Object.keys(py)) {
    if (!PYTHON_TASK_FIELDS.has(k)) {
      return `Invalid JSON given in the body of the request - unknown field '${k}' in SparkPythonTask.`;
    }
  }
  if (typeof py.python_file !== "string" || !py.python_file) {
    return `Task ${t.task_key}: spark_python_task.python_file is required.`;
  }
  const params = py.parameters;
  if (
    params !== undefined && (!Array.isArray(params) || params.some((p) => typeof p !== "string"))
  ) {
    return `Task ${t.task_key}: spark_python_task.parameters must be a list of strings.`;
  }
  if (py.source !== undefined && py.source !== "WORKSPACE" && py.source !== "GIT") {
    return `Task ${t.task_key}: spark_python_task.source must be WORKSPACE or GIT.`;
  }
  return undefined;
}

/** Why a library (one kind, already known) would be refused, if it would. */
function libraryProblem(kind: string, value: unknown): string | undefined {
  const spec = LIBRARY_FIELDS[kind];
  if (!spec) {
    return typeof value === "string" && value
      ? undefined
      : `Library ${kind} must be a path (a non-empty string).`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `Library ${kind} must be an object.`;
  }
  for (const k of Object.keys(value)) {
    if (!spec.fields.has(k)) {
      return `Invalid JSON given in the body of the request - unknown field '${k}' in ${kind} library.`;
    }
  }
  const req = (value as Record<string, unknown>)[spec.required];
  return typeof req === "string" && req ? undefined : `Library ${kind} needs '${spec.required}'.`;
}

/**
 * The first field the Jobs API would refuse in a runs/submit body, as its error message: an
 * unknown field (SubmitRun, SubmitTask, ClusterSpec, Library, SparkPythonTask, a library's own
 * object), a missing required one, or a value of the wrong kind.
 */
export function unknownSubmitField(body: Record<string, unknown>): string | undefined {
  const bad = (where: string, k: string) =>
    `Invalid JSON given in the body of the request - unknown field '${k}' in ${where}.`;
  for (const k of Object.keys(body)) if (!SUBMIT_FIELDS.has(k)) return bad("SubmitRun", k);
  for (const t of (body.tasks as Record<string, unknown>[]) ?? []) {
    for (const k of Object.keys(t)) if (!TASK_FIELDS.has(k)) return bad("SubmitTask", k);
    const c = t.new_cluster as Record<string, unknown> | undefined;
    for (const k of Object.keys(c ?? {})) if (!CLUSTER_FIELDS.has(k)) return bad("ClusterSpec", k);
    for (const lib of (t.libraries as Record<string, unknown>[]) ?? []) {
      const kinds = Object.keys(lib);
      if (kinds.length !== 1 || !LIBRARY_KINDS.has(kinds[0])) {
        return bad("Library", kinds.find((k) => !LIBRARY_KINDS.has(k)) ?? kinds.join(","));
      }
      const problem = libraryProblem(kinds[0], lib[kinds[0]]);
      if (problem) return problem;
    }
    const problem = pythonTaskProblem(t);
    if (problem) return problem;
  }
  return undefined;
}

export class FakeJobs {
  readonly runs = new Map<number, FakeRun>();
  #nextId = 1000;
  constructor(readonly fake: FakeDatabricks) {}

  /** Moves a run to a state (test driver). RUNNING, or a result: SUCCESS / FAILED / CANCELED. */
  set(
    runId: number | string,
    to: "RUNNING" | "SUCCESS" | "FAILED" | "CANCELED" | "INTERNAL_ERROR",
    extra: { logs?: string; error?: string; message?: string } = {},
  ): void {
    const r = this.runs.get(Number(runId));
    if (!r) throw new Error(`no run ${runId}`);
    if (extra.logs !== undefined) r.logs = extra.logs;
    if (extra.error !== undefined) r.error = extra.error;
    if (to === "RUNNING") {
      r.life_cycle_state = "RUNNING";
      r.state_message = extra.message ?? "";
      return;
    }
    r.life_cycle_state = to === "INTERNAL_ERROR" ? "INTERNAL_ERROR" : "TERMINATED";
    r.result_state = to === "INTERNAL_ERROR" ? "FAILED" : to;
    r.state_message = extra.message ??
      (to === "SUCCESS" ? "" : to === "CANCELED" ? "Run cancelled." : "Task failed with an error.");
    r.end_time = Date.now();
    if (to === "SUCCESS" && !r.simulated && isRegisterRun(r)) {
      r.simulated = true;
      r.effect = runRegisterJob(this.fake, r).catch((e) => {
        this.set(r.run_id, "FAILED", { error: `fake register.py crashed: ${e}` });
      });
    }
  }

  /** Waits until a run's simulated side effects are done (tests that look at the fake's state). */
  async settled(runId: number | string): Promise<void> {
    await this.runs.get(Number(runId))?.effect;
  }

  #advance(r: FakeRun): void {
    if (r.life_cycle_state === "PENDING") this.set(r.run_id, "RUNNING");
    else if (r.life_cycle_state === "RUNNING") {
      this.set(r.run_id, "SUCCESS", { logs: r.logs || `training ${r.run_name}\ndone\n` });
    }
  }

  /** A run as runs/get shows it; `tasks` = false leaves them out (runs/list without expand_tasks). */
  #view(r: FakeRun, tasks: boolean | { from: number } = { from: 0 }) {
    const from = typeof tasks === "object" ? tasks.from : 0;
    const page = r.tasks.slice(from, from + TASK_PAGE);
    const more = from + TASK_PAGE < r.tasks.length;
    return {
      run_id: r.run_id,
      run_name: r.run_name,
      run_type: "SUBMIT_RUN",
      creator_user_name: "dev@example.com",
      state: {
        life_cycle_state: r.life_cycle_state,
        ...(r.result_state ? { result_state: r.result_state } : {}),
        state_message: r.state_message,
        user_cancelled_or_timedout: r.result_state === "CANCELED",
      },
      start_time: r.start_time,
      ...(r.end_time ? { end_time: r.end_time } : {}),
      run_page_url: `${this.fake.url}/#job/runs/${r.run_id}`,
      ...(tasks === false ? {} : {
        tasks: page.map((t) => ({
          ...t,
          state: { life_cycle_state: r.life_cycle_state, result_state: r.result_state },
        })),
      }),
      ...(tasks !== false && typeof tasks === "object"
        ? { has_more: more, ...(more ? { next_page_token: btoa(String(from + TASK_PAGE)) } : {}) }
        : {}),
    };
  }

  async route(req: Request, url: URL, path: string): Promise<Response | undefined> {
    if (!BASE.test(path)) return undefined;
    const op = path.replace(BASE, "");
    const q = url.searchParams;
    if (op === "submit" && req.method === "POST") {
      const body = await readJson(req);
      if (!body) return apiError(400, "MALFORMED_REQUEST", "Could not parse request object.");
      const tasks = body.tasks as Record<string, unknown>[] | undefined;
      if (!Array.isArray(tasks) || tasks.length === 0) {
        return badRequest("At least one task is required.");
      }
      const unknown = unknownSubmitField(body);
      if (unknown) return badRequest(unknown);
      for (const t of tasks) {
        if (typeof t.task_key !== "string") return badRequest("Task key must be specified.");
        if (!t.new_cluster && !t.existing_cluster_id && !t.environment_key) {
          return badRequest(`Task ${t.task_key} needs a cluster or an environment.`);
        }
      }
      const token = body.idempotency_token as string | undefined;
      if (token) {
        for (const r of this.runs.values()) {
          if (r.idempotency_token === token) return json({ run_id: r.run_id });
        }
      }
      const id = ++this.#nextId;
      this.runs.set(id, {
        run_id: id,
        run_name: String(body.run_name ?? "Untitled"),
        life_cycle_state: "PENDING",
        state_message: "Waiting for cluster",
        start_time: Date.now(),
        tasks: tasks.map((t, i) => ({ ...t, task_key: String(t.task_key), run_id: id * 10 + i })),
        logs: "",
        idempotency_token: token,
        submitted: body,
      });
      return json({ run_id: id });
    }
    await Promise.all([...this.runs.values()].map((r) => r.effect));
    if (op === "get" && req.method === "GET") {
      const r = this.#find(q.get("run_id"));
      if (r instanceof Response) return r;
      const token = q.get("page_token");
      const from = token ? Number(atob(token)) : 0;
      if (!Number.isInteger(from) || from < 0) return badRequest(`Invalid page_token '${token}'.`);
      const view = this.#view(r, { from });
      if (this.fake.autoAdvance) this.#advance(r);
      return json(view);
    }
    if (op === "get-output" && req.method === "GET") {
      const taskRunId = Number(q.get("run_id"));
      const r = [...this.runs.values()].find((r) => r.tasks.some((t) => t.run_id === taskRunId));
      if (!r) {
        if (this.runs.has(taskRunId)) {
          return badRequest(
            "Retrieving the output of runs with multiple tasks is not supported. Please retrieve the " +
              "output of each individual task run instead.",
          );
        }
        return apiError(404, "RESOURCE_DOES_NOT_EXIST", `Run ${q.get("run_id")} does not exist.`);
      }
      return json({
        metadata: this.#view(r),
        logs: r.logs,
        logs_truncated: false,
        ...(r.error ? { error: r.error, error_trace: r.error_trace ?? r.error } : {}),
      });
    }
    if (op === "cancel" && req.method === "POST") {
      const body = await readJson(req);
      const r = this.#find(String(body?.run_id ?? ""));
      if (r instanceof Response) return r;
      if (r.life_cycle_state !== "TERMINATED") this.set(r.run_id, "CANCELED");
      return json({});
    }
    if (op === "list" && req.method === "GET") {
      // SDK: "greater than 0 and less than 25", default 20; 0 means the maximum.
      const limit = q.has("limit") ? Number(q.get("limit")) || 25 : 20;
      if (limit > 25 || limit < 0) return badRequest("limit must be between 1 and 25.");
      if (q.has("offset")) return badRequest("offset is deprecated; use page_token.");
      const expand = q.get("expand_tasks") === "true";
      let runs = [...this.runs.values()].sort((a, b) => b.run_id - a.run_id);
      if (q.get("active_only") === "true") {
        runs = runs.filter((r) => r.life_cycle_state !== "TERMINATED");
      }
      // Tasks only with expand_tasks=true (and then at most the first 100, unpaged).
      const views = runs.map((r) => {
        const v = this.#view(r, expand);
        if (expand) v.tasks = v.tasks!.slice(0, TASK_PAGE);
        return v;
      });
      const { slice, next } = page(views, q.get("page_token"), limit);
      return json({ runs: slice, has_more: !!next, ...(next ? { next_page_token: next } : {}) });
    }
    return undefined;
  }

  #find(id: string | null): FakeRun | Response {
    if (!id || !/^\d+$/.test(id)) return badRequest(`Invalid run_id '${id}'.`);
    const r = this.runs.get(Number(id));
    return r ?? apiError(404, "RESOURCE_DOES_NOT_EXIST", `Run ${id} does not exist.`);
  }
}
