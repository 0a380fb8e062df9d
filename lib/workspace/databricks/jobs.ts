/** Jobs API 2.2 runs: one-time runs (runs/submit), their state, output and cancellation. */
import { z } from "zod";
import { type HttpClient, paginate } from "./http.ts";

const RunStateSchema = z.looseObject({
  life_cycle_state: z.string().optional(),
  result_state: z.string().optional(),
  state_message: z.string().optional(),
  user_cancelled_or_timedout: z.boolean().optional(),
  queue_reason: z.string().optional(),
});

/** One task of a run (its own run_id is what get-output takes). */
export const RunTaskSchema = z.looseObject({
  run_id: z.number(),
  task_key: z.string(),
  state: RunStateSchema.optional(),
  run_page_url: z.string().optional(),
  start_time: z.number().optional(),
  end_time: z.number().optional(),
  spark_python_task: z.looseObject({
    python_file: z.string(),
    parameters: z.array(z.string()).optional(),
  }).optional(),
});

/** A run as runs/get and runs/list return it. */
export const RunSchema = z.looseObject({
  run_id: z.number(),
  run_name: z.string().optional(),
  job_id: z.number().optional(),
  run_type: z.string().optional(),
  state: RunStateSchema,
  status: z.looseObject({
    state: z.string().optional(),
    termination_details: z.looseObject({
      code: z.string().optional(),
      type: z.string().optional(),
      message: z.string().optional(),
    }).optional(),
  }).optional(),
  tasks: z.array(RunTaskSchema).optional().default([]),
  start_time: z.number().optional(),
  end_time: z.number().optional(),
  run_page_url: z.string().optional(),
  has_more: z.boolean().optional(),
  next_page_token: z.string().nullish(),
});
export type Run = z.infer<typeof RunSchema>;

/** The answer of runs/submit. */
export const SubmitAnswerSchema = z.looseObject({ run_id: z.number() });

/** One page of runs/list. */
export const RunListSchema = z.looseObject({
  runs: z.array(RunSchema).optional().default([]),
  has_more: z.boolean().optional(),
  next_page_token: z.string().nullish(),
});

/** The answer of runs/get-output. */
export const RunOutputSchema = z.looseObject({
  logs: z.string().optional(),
  logs_truncated: z.boolean().optional(),
  error: z.string().optional(),
  error_trace: z.string().optional(),
  notebook_output: z.looseObject({ result: z.string().optional() }).optional(),
  metadata: RunSchema.optional(),
});
export type RunOutput = z.infer<typeof RunOutputSchema>;

/** The body of runs/submit (fields per Databricks' SubmitRun; extra fields pass through). */
export interface SubmitRun {
  run_name: string;
  tasks: Record<string, unknown>[];
  idempotency_token?: string;
  timeout_seconds?: number;
  environments?: Record<string, unknown>[];
  [k: string]: unknown;
}

/** Low-level runs calls. */
export class JobsClient {
  constructor(readonly http: HttpClient) {}

  /**
   * Submits a one-time run. With an `idempotency_token` Databricks returns the existing run for a
   * repeated token, so only then may the call be retried after a timeout or 5xx.
   */
  async submit(body: SubmitRun): Promise<number> {
    const r = await this.http.json({
      method: "POST",
      path: "/api/2.2/jobs/runs/submit",
      body,
      idempotent: !!body.idempotency_token,
      what: `Submitting run ${JSON.stringify(body.run_name)}`,
    }, SubmitAnswerSchema);
    return r.run_id;
  }

  /** A run with all its tasks (follows 2.2's task pagination). */
  async get(runId: number): Promise<Run> {
    const first = await this.#getPage(runId);
    let next = first.next_page_token;
    while (first.has_more && next) {
      const more = await this.#getPage(runId, next);
      first.tasks.push(...more.tasks);
      next = more.has_more ? more.next_page_token : undefined;
    }
    return first;
  }

  #getPage(runId: number, pageToken?: string): Promise<Run> {
    return this.http.json({
      method: "GET",
      path: "/api/2.2/jobs/runs/get",
      query: { run_id: runId, page_token: pageToken },
      what: `Reading run ${runId}`,
    }, RunSchema);
  }

  /** Output of one task run (use `tasks[].run_id`, not the parent run id). */
  output(taskRunId: number): Promise<RunOutput> {
    return this.http.json({
      method: "GET",
      path: "/api/2.2/jobs/runs/get-output",
      query: { run_id: taskRunId },
      what: `Reading the output of task run ${taskRunId}`,
    }, RunOutputSchema);
  }

  /** Asks for cancellation (asynchronous); repeating it is harmless. */
  async cancel(runId: number): Promise<void> {
    await this.http.json({
      method: "POST",
      path: "/api/2.2/jobs/runs/cancel",
      body: { run_id: runId },
      idempotent: true,
      what: `Cancelling run ${runId}`,
    }, z.looseObject({}));
  }

  /**
   * One-time runs, newest first, with their tasks (`expand_tasks=true`: without it runs/list
   * returns no `tasks`, so no run directory). Pages follow `next_page_token`, as the SDK does;
   * `pageSize` (1–25) only when the caller wants small pages, e.g. a health check.
   */
  list(opts: { activeOnly?: boolean; pageSize?: number } = {}): AsyncGenerator<Run> {
    return paginate(async (token) => {
      const page = await this.http.json({
        method: "GET",
        path: "/api/2.2/jobs/runs/list",
        query: {
          run_type: "SUBMIT_RUN",
          expand_tasks: true,
          limit: opts.pageSize ? Math.max(1, Math.min(opts.pageSize, 25)) : undefined,
          active_only: opts.activeOnly || undefined,
          page_token: token,
        },
        what: "Listing runs",
      }, RunListSchema);
      return { items: page.runs, next: page.next_page_token || undefined };
    });
  }
}
