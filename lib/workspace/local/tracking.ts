/**
 * Local tracking: the run folders under `<volume>/runs/<run id>/` are the experiment store.
 * `status.json` gives a run's state, `metrics.jsonl` its metric history (the same files the
 * job writes on Databricks, so one reader serves both).
 */
import { NotFoundError } from "@/lib/errors.ts";
import type { MetricPoint, TrackingApi, TrackingRun } from "../types.ts";
import type { LocalFiles } from "./files.ts";

const STATUS_OF_PHASE: Record<string, string> = {
  succeeded: "FINISHED",
  failed: "FAILED",
  cancelled: "KILLED",
};

/** Parses metrics.jsonl text; malformed lines (a line being written) are skipped. */
export function parseMetricsJsonl(text: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line);
      if (typeof m.name !== "string" || typeof m.value !== "number") continue;
      out.push({
        name: m.name,
        value: m.value,
        step: Number(m.step) || 0,
        epoch: typeof m.epoch === "number" ? m.epoch : undefined,
        ts: Number(m.ts) || 0,
      });
    } catch { /* partial line */ }
  }
  return out;
}

/** TrackingApi over `<volume>/runs/`. */
export class LocalTracking implements TrackingApi {
  constructor(private readonly files: LocalFiles, private readonly volume: string) {}

  get runsRoot(): string {
    return `${this.volume.replace(/\/+$/, "")}/runs`;
  }

  async *listRuns(opts: { experiment?: string; limit?: number } = {}): AsyncIterable<TrackingRun> {
    const names: string[] = [];
    try {
      for await (const e of this.files.list(this.runsRoot)) if (e.isDirectory) names.push(e.name);
    } catch (e) {
      if (e instanceof NotFoundError) return;
      throw e;
    }
    names.sort().reverse();
    let n = 0;
    for (const name of names) {
      const run = await this.getRun(name).catch(() => null);
      if (!run || (opts.experiment && run.experiment !== opts.experiment)) continue;
      yield run;
      if (++n >= (opts.limit ?? Infinity)) return;
    }
  }

  async getRun(runId: string): Promise<TrackingRun> {
    const dir = `${this.runsRoot}/${runId}`;
    if (!/^[\w.-]+$/.test(runId) || !(await this.files.stat(dir))) {
      throw new NotFoundError(`No local run "${runId}" under ${this.runsRoot}.`);
    }
    const status = await this.#json(`${dir}/status.json`);
    const resolved = await this.#json(`${dir}/config.resolved.json`);
    const metrics: Record<string, number> = {};
    for (const p of await this.#points(dir)) metrics[p.name] = p.value;
    const cfg = (resolved?.config ?? {}) as Record<string, Record<string, unknown>>;
    const params: Record<string, string> = {};
    if (cfg.task) params.task_type = String(cfg.task);
    for (const [k, v] of Object.entries(cfg.model ?? {})) {
      if (v !== null && typeof v !== "object") params[k] = String(v);
    }
    const phase = String(status?.phase ?? "unknown");
    return {
      runId,
      experiment: "local",
      name: runId,
      status: STATUS_OF_PHASE[phase] ?? (status ? "RUNNING" : "SCHEDULED"),
      startedAt: num(status?.started_at),
      endedAt: num(status?.ended_at),
      params,
      tags: { "lakevision.run_dir": dir, "lakevision.phase": phase },
      metrics,
      artifactUri: dir,
    };
  }

  async metricHistory(runId: string, metric: string): Promise<MetricPoint[]> {
    const dir = `${this.runsRoot}/${runId}`;
    return (await this.#points(dir)).filter((p) => p.name === metric);
  }

  async #points(dir: string): Promise<MetricPoint[]> {
    try {
      return parseMetricsJsonl(await this.files.readText(`${dir}/metrics.jsonl`));
    } catch (e) {
      if (e instanceof NotFoundError) return [];
      throw e;
    }
  }

  async #json(path: string): Promise<Record<string, unknown> | null> {
    try {
      return JSON.parse(await this.files.readText(path));
    } catch {
      return null;
    }
  }
}

function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}
