/**
 * Batch inference records and requests: the schemas shared by the store, the API routes, the CLI
 * and the pages (zod only, browser-safe).
 *
 * A batch writes what `jobs/batch_infer.py` writes, wherever it runs: `<run dir>/status.json`
 * (phase, `step` = images done, `total_steps`, `eta_seconds`, `errors`) and one result row per
 * image appended to the output (`{"path", "prediction", "error"}`), so resuming skips the images
 * already written.
 */
import { z } from "zod";
import { choiceField, numberField, patternField, shown, textField } from "../messages.ts";

/** Where a batch is in its life, as the app shows it. */
export const BATCH_STATUSES = [
  "launching",
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
] as const;
export type BatchStatus = typeof BATCH_STATUSES[number];

/** Statuses after which only a resume (a new attempt on the same record) changes anything. */
export const BATCH_TERMINAL: ReadonlySet<BatchStatus> = new Set([
  "succeeded",
  "failed",
  "cancelled",
]);

/**
 * Who runs the images: `app` — this app's process, with the local endpoint's engine (onnxruntime-node,
 * CPU) and its decoding; `job` — `jobs/batch_infer.py` as a workspace job (a Databricks cluster, or a
 * local subprocess when its Python has onnxruntime).
 */
export const RUNNERS = ["app", "job"] as const;
export type Runner = typeof RUNNERS[number];

/** A path in a volume, named `label` in messages. */
const volumePath = (label: string) =>
  textField(label, { min: 1, max: 1000 }).refine((p) => p.startsWith("/Volumes/"), {
    error: (i) =>
      `${label} must be a path in a volume (/Volumes/<catalog>/<schema>/<volume>/...), got ${
        shown(i.input)
      }`,
  }).refine((p) => !p.split("/").includes(".."), {
    error: `${label} must not contain ".." (give the folder's own path)`,
  });

/** Three-level Unity Catalog table name. */
const tableName = (label: string) =>
  patternField(
    label,
    /^[A-Za-z0-9_`-]+\.[A-Za-z0-9_`-]+\.[A-Za-z0-9_`-]+$/,
    "a table name catalog.schema.table",
  );

/** What a person asks for. */
export const BatchRequestSchema = z.object({
  /** A registered version, or the endpoint whose (first) served version to use. */
  model: textField("model", { min: 3, max: 255 }).optional(),
  version: patternField("version", /^\d{1,9}$/, "a version number such as 3").optional(),
  endpoint: textField("endpoint", { min: 1, max: 63 }).optional(),
  input: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("folder"), path: volumePath("input folder") }),
    z.object({
      kind: z.literal("table"),
      table: tableName("input table"),
      pathColumn: textField("path column", { min: 1, max: 128 }).default("path"),
      /** A binary column with the image bytes (else the path column is read). */
      contentColumn: textField("bytes column", { max: 128 }).optional(),
    }),
  ], {
    error: 'input must be a volume folder {"kind": "folder", "path"} or a Delta table ' +
      '{"kind": "table", "table"}',
  }),
  output: z.discriminatedUnion("kind", [
    z.object({
      kind: z.literal("file"),
      path: volumePath("output file").refine((p) => /\.(jsonl|parquet)$/.test(p), {
        error: (i) => `output file must end in .jsonl or .parquet, got ${shown(i.input)}`,
      }),
    }),
    z.object({ kind: z.literal("table"), table: tableName("output table") }),
  ], {
    error: 'output must be a file {"kind": "file", "path"} or a Delta table ' +
      '{"kind": "table", "table"}',
  }).optional(),
  runner: choiceField("runner", ["auto", ...RUNNERS]).default("auto"),
  params: z.object({
    confidence_threshold: numberField("confidence threshold", 0, 1).optional(),
    max_detections: numberField("max detections", 1, 1000, { int: true }).optional(),
    top_k: numberField("top-k", 1, 1000, { int: true }).optional(),
  }, { error: "params must be an object" }).default({}),
  /** Databricks job runner: an existing cluster, or a node type + runtime for a job cluster. */
  cluster: z.object({
    existingClusterId: textField("cluster id", { max: 100 }).optional(),
    nodeType: textField("node type", { max: 100 }).optional(),
    runtime: textField("runtime", { max: 100 }).optional(),
  }, { error: "cluster must be an object" }).default({}),
  name: textField("batch name", { max: 120 }).optional(),
  idempotencyToken: patternField(
    "idempotency token",
    /^[A-Za-z0-9_-]{8,64}$/,
    "8 to 64 letters, digits, - or _",
  ).optional(),
}, { error: "the request must be a JSON object" });
export type BatchRequest = z.input<typeof BatchRequestSchema>;
export type BatchRequestParsed = z.output<typeof BatchRequestSchema>;

/** Images done of the total, with the pace and time left. */
export const BatchProgressSchema = z.object({
  done: z.number(),
  total: z.number().nullable(),
  errors: z.number(),
  /** Images already in the output when this attempt started (resumed). */
  skipped: z.number().default(0),
  imagesPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
});
export type BatchProgress = z.infer<typeof BatchProgressSchema>;

/** One batch as the app keeps it (KV). */
export const BatchRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
  model: z.string(),
  version: z.string(),
  /** Set when the batch was started from an endpoint. */
  endpoint: z.string().optional(),
  task: z.string().optional(),
  /** The version's folder (model.onnx, model.json, manifest.json). */
  modelDir: z.string(),
  input: BatchRequestSchema.shape.input,
  output: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("file"), path: z.string() }),
    z.object({ kind: z.literal("table"), table: z.string() }),
  ]),
  runner: z.enum(RUNNERS),
  params: BatchRequestSchema.shape.params,
  runDir: z.string(),
  status: z.enum(BATCH_STATUSES),
  phase: z.string(),
  message: z.string().optional(),
  /** The workspace job (job runner); each resume submits a new one. */
  jobRunId: z.string().optional(),
  url: z.string().optional(),
  /** The job spec's compute (job runner), kept so a resume runs on the same compute. */
  compute: z.record(z.string(), z.unknown()).optional(),
  command: z.array(z.string()).default([]),
  /** Attempts so far (1 + resumes). */
  attempt: z.number().int().default(1),
  progress: BatchProgressSchema.nullable(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  cancelRequestedAt: z.number().optional(),
  /** The last time the runner reported (status.json `updated_at`). */
  heartbeatAt: z.number().optional(),
  updatedAt: z.number(),
  idempotencyToken: z.string(),
});
export type BatchRecord = z.infer<typeof BatchRecordSchema>;

/** Human labels for phases. */
export const BATCH_PHASE_LABELS: Record<string, string> = {
  launching: "launching",
  uploading_code: "uploading code",
  queued: "queued",
  cluster_starting: "cluster starting",
  starting: "starting",
  building_model: "loading the model",
  loading_data: "listing images",
  predicting: "predicting",
  succeeded: "done",
  failed: "failed",
  cancelled: "cancelled",
};

/** "3 min 20 s" from seconds. */
export function formatEta(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return "—";
  if (s < 60) return `${Math.max(0, Math.round(s))} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
