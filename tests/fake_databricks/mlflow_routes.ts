/** MLflow tracking for the fake workspace: experiments, runs search/get and metric history. */
import { apiError, badRequest, json, page, readJson } from "./util.ts";
import type { FakeDatabricks } from "./server.ts";

interface Point {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

interface MlflowRun {
  run_id: string;
  run_name: string;
  experiment_id: string;
  status: string;
  start_time: number;
  end_time?: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  history: Point[];
  /** Artifact path → size (directories end with "/"). */
  artifacts: Record<string, number>;
}

export class FakeMlflow {
  readonly experiments = new Map<string, { experiment_id: string; name: string }>();
  readonly runs = new Map<string, MlflowRun>();
  #nextExp = 100;
  constructor(readonly fake: FakeDatabricks) {}

  /** Creates (or finds) an experiment by name and returns its id. */
  experiment(name: string): string {
    for (const e of this.experiments.values()) if (e.name === name) return e.experiment_id;
    const id = String(++this.#nextExp);
    this.experiments.set(id, { experiment_id: id, name });
    return id;
  }

  /** Adds a run with params and a metric history (test setup). */
  addRun(input: {
    experiment: string;
    name?: string;
    status?: string;
    params?: Record<string, string>;
    tags?: Record<string, string>;
    metrics?: { key: string; value: number; step: number; timestamp?: number }[];
    /** Artifact file paths and sizes, e.g. {"model/model.onnx": 1234}. */
    artifacts?: Record<string, number>;
  }): string {
    const id = crypto.randomUUID().replaceAll("-", "");
    const t0 = Date.now() - 3600_000;
    this.runs.set(id, {
      run_id: id,
      run_name: input.name ?? `run-${this.runs.size + 1}`,
      experiment_id: this.experiment(input.experiment),
      status: input.status ?? "FINISHED",
      start_time: t0 + this.runs.size,
      end_time: input.status === "RUNNING" ? undefined : t0 + 1000,
      params: input.params ?? {},
      tags: input.tags ?? {},
      history: (input.metrics ?? []).map((m) => ({ ...m, timestamp: m.timestamp ?? t0 + m.step })),
      artifacts: input.artifacts ?? {},
    });
    return id;
  }

  #view(r: MlflowRun) {
    const latest = new Map<string, Point>();
    for (const p of r.history) {
      const cur = latest.get(p.key);
      if (!cur || p.step >= cur.step) latest.set(p.key, p);
    }
    return {
      info: {
        run_id: r.run_id,
        run_uuid: r.run_id,
        run_name: r.run_name,
        experiment_id: r.experiment_id,
        status: r.status,
        start_time: r.start_time,
        ...(r.end_time ? { end_time: r.end_time } : {}),
        artifact_uri: `dbfs:/databricks/mlflow-tracking/${r.experiment_id}/${r.run_id}/artifacts`,
        lifecycle_stage: "active",
        user_id: "dev@example.com",
      },
      data: {
        metrics: [...latest.values()],
        params: Object.entries(r.params).map(([key, value]) => ({ key, value })),
        tags: Object.entries(r.tags).map(([key, value]) => ({ key, value })),
      },
      inputs: {},
    };
  }

  async route(req: Request, url: URL, path: string): Promise<Response | undefined> {
    if (!path.startsWith("/api/2.0/mlflow/") || path.includes("/unity-catalog/")) return undefined;
    const op = path.slice("/api/2.0/mlflow/".length);
    const q = url.searchParams;
    if (op === "experiments/get-by-name" && req.method === "GET") {
      const name = q.get("experiment_name");
      const e = [...this.experiments.values()].find((e) => e.name === name);
      if (!e) {
        return apiError(
          404,
          "RESOURCE_DOES_NOT_EXIST",
          `Could not find experiment with name ${name}`,
        );
      }
      return json({ experiment: { ...e, lifecycle_stage: "active", tags: [] } });
    }
    if (op === "experiments/search") {
      const body = req.method === "POST" ? await readJson(req) ?? {} : Object.fromEntries(q);
      // Supports the one filter form the client sends: name LIKE '<prefix>%'.
      const like = /^name LIKE '(.*)%'$/.exec(String(body.filter ?? ""))?.[1]?.replaceAll(
        "\\'",
        "'",
      );
      const all = [...this.experiments.values()]
        .filter((e) => like === undefined || e.name.startsWith(like))
        .map((e) => ({ ...e, lifecycle_stage: "active" }));
      const { slice, next } = page(
        all,
        (body.page_token as string) ?? null,
        Number(body.max_results) || 1000,
      );
      return json({ experiments: slice, ...(next ? { next_page_token: next } : {}) });
    }
    if (op === "runs/search" && req.method === "POST") {
      const body = await readJson(req);
      const ids = body?.experiment_ids;
      if (!Array.isArray(ids) || ids.length === 0) {
        return badRequest("experiment_ids must be a non-empty list.");
      }
      const max = Number(body!.max_results ?? 1000);
      if (max > 50000) return badRequest("max_results must be at most 50000.");
      const runs = [...this.runs.values()].filter((r) => ids.includes(r.experiment_id))
        .sort((a, b) => b.start_time - a.start_time);
      const { slice, next } = page(
        runs.map((r) => this.#view(r)),
        (body!.page_token as string) ?? null,
        max,
      );
      return json({ runs: slice, ...(next ? { next_page_token: next } : {}) });
    }
    if (op === "runs/get" && req.method === "GET") {
      const r = this.runs.get(q.get("run_id") ?? "");
      if (!r) {
        return apiError(404, "RESOURCE_DOES_NOT_EXIST", `Run '${q.get("run_id")}' not found.`);
      }
      return json({ run: this.#view(r) });
    }
    if (op === "metrics/get-history" && req.method === "GET") {
      const r = this.runs.get(q.get("run_id") ?? "");
      if (!r) {
        return apiError(404, "RESOURCE_DOES_NOT_EXIST", `Run '${q.get("run_id")}' not found.`);
      }
      const pts = r.history.filter((p) => p.key === q.get("metric_key"));
      const { slice, next } = page(pts, q.get("page_token"), Number(q.get("max_results")) || 25000);
      return json({ metrics: slice, ...(next ? { next_page_token: next } : {}) });
    }
    if (op === "artifacts/list" && req.method === "GET") {
      const r = this.runs.get(q.get("run_id") ?? "");
      if (!r) {
        return apiError(404, "RESOURCE_DOES_NOT_EXIST", `Run '${q.get("run_id")}' not found.`);
      }
      const dir = (q.get("path") ?? "").replace(/\/+$/, "");
      const prefix = dir ? `${dir}/` : "";
      const seen = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
      for (const [p, size] of Object.entries(r.artifacts)) {
        if (!p.startsWith(prefix)) continue;
        const [head, ...more] = p.slice(prefix.length).split("/");
        const path = prefix + head;
        seen.set(
          path,
          more.length ? { path, is_dir: true } : { path, is_dir: false, file_size: size },
        );
      }
      return json({
        root_uri: `dbfs:/databricks/mlflow-tracking/${r.experiment_id}/${r.run_id}/artifacts`,
        files: [...seen.values()],
      });
    }
    return undefined;
  }
}
