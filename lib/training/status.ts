/**
 * Run statuses, labels and formatting: what the islands need of a run, without zod, so pages
 * that only show runs do not ship a validation library. The schemas are in schemas.ts; types.ts
 * re-exports both.
 */
import type { RunRecord } from "./schemas.ts";

/** Where a run is in its life, as the app shows it. */
export const RUN_STATUSES = [
  "launching",
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
] as const;
export type RunStatus = typeof RUN_STATUSES[number];

/** Statuses that never change again. */
export const TERMINAL: ReadonlySet<RunStatus> = new Set(["succeeded", "failed", "cancelled"]);

/** The longest run name, in characters (the form, the API and the CLI refuse longer ones). */
export const MAX_RUN_NAME = 120;

/** How the job is spread over GPUs. */
export const DISTRIBUTIONS = ["local", "single", "torchrun", "distributor"] as const;
export type Distribution = typeof DISTRIBUTIONS[number];

/** Labels for each distribution mode. */
export const DISTRIBUTION_LABELS: Record<Distribution, string> = {
  local: "local subprocess",
  single: "single GPU",
  torchrun: "all GPUs on one node (torchrun)",
  distributor: "several nodes (TorchDistributor)",
};

/** Human labels for the job's phases (status.json `phase`) and the app's own. */
export const PHASE_LABELS: Record<string, string> = {
  launching: "launching",
  uploading_code: "uploading code",
  queued: "queued",
  cluster_starting: "cluster starting",
  starting: "starting",
  loading_data: "loading data",
  building_model: "building model",
  training: "training",
  evaluating: "evaluating",
  exporting: "exporting",
  predicting: "writing predictions",
  succeeded: "done",
  failed: "failed",
  cancelled: "cancelled",
};

/** The metric each task's runs are ranked by. */
export const PRIMARY_METRIC: Record<string, string> = {
  detection: "eval_map",
  instance_segmentation: "eval_map",
  classification: "eval_accuracy",
  semantic_segmentation: "eval_miou",
  panoptic_segmentation: "eval_pq",
};

/** The run's primary metric and its latest value, when logged. */
export function primaryMetric(run: RunRecord): { name: string; value: number | null } {
  const name = PRIMARY_METRIC[run.config.task] ?? "eval_loss";
  return { name, value: run.lastMetrics[name] ?? null };
}

/** A metric point as streamed to the browser. */
export interface MetricPointLite {
  name: string;
  step: number;
  value: number;
  ts: number;
}

/** Formats seconds as `1 h 02 min`, `3 min 05 s` or `12 s`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}
