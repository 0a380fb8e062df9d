/** MLflow tracking REST (2.0): experiments, runs, metric history and artifact listings. */
import { z } from "zod";
import { type HttpClient, paginate } from "./http.ts";

const KeyValue = z.looseObject({ key: z.string(), value: z.string().optional().default("") });

/** One logged metric value. */
export const MetricSchema = z.looseObject({
  key: z.string(),
  value: z.number(),
  timestamp: z.number().optional().default(0),
  step: z.number().optional().default(0),
});

/** An MLflow experiment. */
export const ExperimentSchema = z.looseObject({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string().optional(),
  lifecycle_stage: z.string().optional(),
  last_update_time: z.number().optional(),
});

/** An MLflow run with its latest metrics, params and tags. */
export const MlflowRunSchema = z.looseObject({
  info: z.looseObject({
    run_id: z.string(),
    run_name: z.string().optional(),
    experiment_id: z.string(),
    status: z.string().optional().default("UNKNOWN"),
    start_time: z.number().optional(),
    end_time: z.number().optional(),
    artifact_uri: z.string().optional(),
    lifecycle_stage: z.string().optional(),
    user_id: z.string().optional(),
  }),
  data: z.looseObject({
    metrics: z.array(MetricSchema).optional().default([]),
    params: z.array(KeyValue).optional().default([]),
    tags: z.array(KeyValue).optional().default([]),
  }).optional().default({ metrics: [], params: [], tags: [] }),
});
export type MlflowRun = z.infer<typeof MlflowRunSchema>;

/** Low-level MLflow calls. */
export class MlflowClient {
  constructor(readonly http: HttpClient) {}

  /** The experiment with this workspace path, or null when there is none. */
  async experimentByName(name: string): Promise<z.infer<typeof ExperimentSchema> | null> {
    try {
      const r = await this.http.json({
        method: "GET",
        path: "/api/2.0/mlflow/experiments/get-by-name",
        query: { experiment_name: name },
        what: `Looking up experiment ${name}`,
      }, z.looseObject({ experiment: ExperimentSchema }));
      return r.experiment;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw e;
    }
  }

  /** Experiments, optionally filtered (MLflow filter syntax, e.g. `name LIKE '/Users/%'`). */
  experiments(opts: { filter?: string; pageSize?: number } = {}) {
    return paginate(async (token) => {
      const r = await this.http.json(
        {
          method: "POST",
          path: "/api/2.0/mlflow/experiments/search",
          body: { max_results: opts.pageSize ?? 100, filter: opts.filter, page_token: token },
          idempotent: true,
          what: "Listing experiments",
        },
        z.looseObject({
          experiments: z.array(ExperimentSchema).optional().default([]),
          next_page_token: z.string().nullish(),
        }),
      );
      return { items: r.experiments, next: r.next_page_token };
    });
  }

  /** Runs of some experiments, newest first (a read, so safe to retry). */
  searchRuns(
    experimentIds: string[],
    opts: { filter?: string; pageSize?: number; orderBy?: string[] } = {},
  ): AsyncGenerator<MlflowRun> {
    return paginate(async (token) => {
      const r = await this.http.json(
        {
          method: "POST",
          path: "/api/2.0/mlflow/runs/search",
          body: {
            experiment_ids: experimentIds,
            filter: opts.filter,
            run_view_type: "ACTIVE_ONLY",
            max_results: opts.pageSize ?? 100,
            order_by: opts.orderBy ?? ["attributes.start_time DESC"],
            page_token: token,
          },
          idempotent: true,
          what: "Searching MLflow runs",
        },
        z.looseObject({
          runs: z.array(MlflowRunSchema).optional().default([]),
          next_page_token: z.string().nullish(),
        }),
      );
      return { items: r.runs, next: r.next_page_token };
    });
  }

  async getRun(runId: string): Promise<MlflowRun> {
    const r = await this.http.json({
      method: "GET",
      path: "/api/2.0/mlflow/runs/get",
      query: { run_id: runId },
      what: `Reading MLflow run ${runId}`,
    }, z.looseObject({ run: MlflowRunSchema }));
    return r.run;
  }

  /** Every logged value of one metric, all pages. */
  metricHistory(runId: string, key: string) {
    return paginate(async (token) => {
      const r = await this.http.json(
        {
          method: "GET",
          path: "/api/2.0/mlflow/metrics/get-history",
          query: { run_id: runId, metric_key: key, max_results: 25000, page_token: token },
          what: `Reading metric ${key} of run ${runId}`,
        },
        z.looseObject({
          metrics: z.array(MetricSchema).optional().default([]),
          next_page_token: z.string().nullish(),
        }),
      );
      return { items: r.metrics, next: r.next_page_token };
    });
  }

  /** Artifact entries under a path of a run. */
  artifacts(runId: string, path?: string) {
    return paginate(async (token) => {
      const r = await this.http.json(
        {
          method: "GET",
          path: "/api/2.0/mlflow/artifacts/list",
          query: { run_id: runId, path, page_token: token },
          what: `Listing artifacts of run ${runId}`,
        },
        z.looseObject({
          files: z.array(z.looseObject({
            path: z.string(),
            is_dir: z.boolean().optional().default(false),
            file_size: z.coerce.number().optional(),
          })).optional().default([]),
          next_page_token: z.string().nullish(),
        }),
      );
      return { items: r.files, next: r.next_page_token };
    });
  }
}
