/**
 * Training run records and launch requests: the schemas shared by the store, the API routes,
 * the CLI and the islands (browser-safe: zod only).
 */
import { z } from "zod";

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

/** The compute a person picked on the launch page. */
export const ComputeChoiceSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("local"),
    /** `auto` uses CUDA when the local torch has it. */
    device: z.enum(["auto", "cpu", "cuda"]).default("auto"),
  }),
  z.object({
    kind: z.literal("databricks"),
    /** GPU node type id from list-node-types (ignored with an existing cluster). */
    nodeType: z.string().max(100).optional(),
    /** GPUs on that node type (from list-node-types). */
    gpusPerNode: z.number().int().min(0).max(64).default(1),
    /** ML GPU runtime key from spark-versions. */
    runtime: z.string().max(100).optional(),
    /** GPU nodes: 1 = single node; more = workers for TorchDistributor. */
    nodes: z.number().int().min(1).max(64).default(1),
    existingClusterId: z.string().max(100).optional(),
    spot: z.boolean().default(false),
    /** Stop the run (and its job cluster) after this many minutes; 0 = no limit. */
    timeoutMinutes: z.number().int().min(0).max(7 * 24 * 60).default(0),
    /** Override the automatic choice. */
    distribution: z.enum(["auto", "single", "torchrun", "distributor"]).default("auto"),
    /** Addresses mailed on success / failure (Jobs API email_notifications). */
    emails: z.array(z.string().email()).max(10).default([]),
  }),
]);
export type ComputeChoice = z.infer<typeof ComputeChoiceSchema>;

/** What to launch: a stored config version, or a YAML file in a volume. */
export const LaunchRequestSchema = z.object({
  config: z.object({ name: z.string().min(1), version: z.number().int().min(1).optional() })
    .optional(),
  /** A config YAML in a volume; it is imported as a config version first. */
  configPath: z.string().startsWith("/Volumes/").optional(),
  compute: ComputeChoiceSchema,
  /** Stop after this many optimizer steps (quick trials). */
  maxSteps: z.number().int().min(1).max(10_000_000).optional(),
  maxEpochs: z.number().int().min(1).max(100_000).optional(),
  /** Guards against double submission: the same token never starts two runs. */
  idempotencyToken: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional(),
  name: z.string().max(120).optional(),
});
export type LaunchRequest = z.infer<typeof LaunchRequestSchema>;

/** Where training is: optimizer steps done of the total, epoch (1-based), time left. */
export const ProgressSchema = z.object({
  step: z.number(),
  totalSteps: z.number().nullable(),
  epoch: z.number(),
  etaSeconds: z.number().nullable(),
});
export type Progress = z.infer<typeof ProgressSchema>;

/** One training run as the app keeps it (KV), whatever compute it ran on. */
export const RunRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
  config: z.object({
    name: z.string(),
    version: z.number(),
    task: z.string(),
    model: z.string(),
  }),
  compute: ComputeChoiceSchema,
  distribution: z.enum(DISTRIBUTIONS),
  status: z.enum(RUN_STATUSES),
  /** The job's own phase (status.json), or the app's (launching, queued, cluster_starting). */
  phase: z.string(),
  message: z.string().optional(),
  /** The workspace's id for the job (Databricks run id, local job id). */
  jobRunId: z.string().optional(),
  /** The run's page in the workspace UI. */
  url: z.string().optional(),
  runDir: z.string(),
  configPath: z.string(),
  /** What runs, as an argv. */
  command: z.array(z.string()),
  /** The cluster JSON sent with runs/submit. */
  clusterSpec: z.record(z.string(), z.unknown()).optional(),
  idempotencyToken: z.string(),
  resumedFrom: z.string().optional(),
  maxSteps: z.number().optional(),
  maxEpochs: z.number().optional(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  updatedAt: z.number(),
  progress: ProgressSchema.nullable().default(null),
  /** Latest value of each metric. */
  lastMetrics: z.record(z.string(), z.number()).default({}),
  mlflowRunId: z.string().optional(),
  mlflowExperimentId: z.string().optional(),
  cancelRequestedAt: z.number().optional(),
  /** Set while the workspace does not answer: the state shown is the last known one. */
  stale: z.object({ since: z.number(), error: z.string() }).optional(),
  /** When the job last showed a sign of life (status.json updated_at). */
  heartbeatAt: z.number().optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

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
