/**
 * Training run records and launch requests: the zod schemas shared by the store, the API
 * routes and the CLI. The launch form checks only the compute choice (compute_choice.ts), so it
 * never loads this module.
 */
import { z } from "zod";
import { ComputeChoiceSchema } from "./compute_choice.ts";
import { DISTRIBUTIONS, MAX_RUN_NAME, RUN_STATUSES } from "./status.ts";

// One compute schema (zod/mini, browser-safe) embedded in the classic ones below, so the form,
// the API, the CLI and the stored run records all check a compute choice the same way.
export { type ComputeChoice, ComputeChoiceSchema } from "./compute_choice.ts";

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
  name: z.string().max(MAX_RUN_NAME).optional(),
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
  /** Why MLflow tracking failed for this run (status.json `mlflow_error`); training went on. */
  mlflowError: z.string().max(2000).optional(),
  cancelRequestedAt: z.number().optional(),
  /** Set while the workspace does not answer: the state shown is the last known one. */
  stale: z.object({ since: z.number(), error: z.string() }).optional(),
  /** When the job last showed a sign of life (status.json updated_at). */
  heartbeatAt: z.number().optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;
