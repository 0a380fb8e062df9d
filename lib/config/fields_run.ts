/**
 * Field descriptions of the `training`, `mlflow`, `output`, `serving` and `monitoring`
 * sections: how the run goes and what happens to its results. Browser-safe.
 */

import type { SectionSpec } from "./fields.ts";

const UNUSED = "nothing reads it";
const CHECKPOINTS =
  "checkpoints are kept in the run's folder on the volume (runs/<id>/checkpoints)";

export const TRAINING_SECTION: SectionSpec = {
  key: "training",
  title: "Training",
  help: "How long to train, what counts as best, and where checkpoints go.",
  required: false,
  fields: [
    {
      key: "max_epochs",
      label: "Epochs",
      type: "int",
      default: 100,
      min: 1,
      max: 10000,
      help: "Full passes over the training images.",
    },
    {
      key: "early_stopping_patience",
      label: "Early-stopping patience",
      type: "int",
      default: 10,
      min: 0,
      max: 10000,
      help: "Stop after this many evaluations (one per epoch) without improvement.",
    },
    {
      key: "monitor_metric",
      label: "Monitor metric",
      type: "string",
      default: "val_loss",
      help:
        "Metric that picks the best checkpoint and drives early stopping, e.g. val_map (read as eval_map).",
    },
    {
      key: "monitor_mode",
      label: "Monitor mode",
      type: "enum",
      options: ["min", "max"],
      default: "min",
      help: "max when higher is better (mAP, accuracy, mIoU), min for losses.",
    },
    {
      key: "checkpoint_dir",
      label: "Checkpoint folder",
      type: "path",
      pathKind: "scratch",
      default: "/tmp/checkpoints",
      ignored: CHECKPOINTS,
      help: "Scratch folder on the training machine for checkpoint-<step>/ folders.",
    },
    {
      key: "volume_checkpoint_dir",
      label: "Volume checkpoint folder",
      type: "path",
      pathKind: "volume",
      nullable: true,
      ignored: CHECKPOINTS,
      help: "Each checkpoint is copied here so it survives the cluster. Recommended on Databricks.",
    },
    {
      key: "save_top_k",
      label: "Checkpoints kept",
      type: "int",
      default: 3,
      min: 0,
      max: 100,
      help: "Best checkpoints kept on disk (one more is kept as the latest).",
    },
    {
      key: "log_every_n_steps",
      label: "Log every",
      type: "int",
      default: 50,
      min: 1,
      max: 100000,
      help: "Training loss and learning rate are logged every this many steps.",
    },
    {
      key: "max_steps",
      label: "Max steps",
      type: "int",
      nullable: true,
      min: 1,
      help:
        "Optional: stop after this many optimiser steps, whatever the epoch (quick trial runs).",
    },
    {
      key: "gradient_clip_val",
      label: "Gradient clipping",
      type: "number",
      default: 1,
      min: 0,
      step: 0.5,
      help: "Largest gradient norm; 0 turns clipping off.",
    },
    {
      key: "precision",
      label: "Precision",
      type: "enum",
      options: ["auto", "32", "16-mixed", "bf16-mixed"],
      default: "auto",
      help: "auto: bf16 or fp16 mixed precision on GPUs that support it, else 32-bit.",
    },
    {
      key: "seed",
      label: "Seed",
      type: "int",
      default: 42,
      min: 0,
      help: "Random seed for shuffling and initialisation (same seed, same run).",
    },
    {
      key: "eval_every_n_epochs",
      label: "Evaluate every",
      type: "int",
      default: 1,
      min: 1,
      help: "Epochs between evaluations; early-stopping patience counts evaluations.",
    },
    {
      key: "use_gpu",
      label: "Use GPU",
      type: "boolean",
      laxBoolean: true,
      default: true,
      ignored: "GPUs are used whenever present",
      help: "Kept for compatibility.",
    },
  ],
};

export const MLFLOW_SECTION: SectionSpec = {
  key: "mlflow",
  title: "MLflow",
  help: "Where runs are tracked.",
  required: false,
  fields: [
    {
      key: "enabled",
      label: "Track with MLflow",
      type: "enum",
      options: ["auto", "true", "false"],
      default: "auto",
      help:
        "auto: log to MLflow when the training machine has it; metrics are always kept with the run.",
    },
    {
      key: "experiment_name",
      label: "Experiment",
      type: "path",
      pathKind: "workspace",
      default: "cv_training",
      help: "On Databricks an absolute workspace path, e.g. /Users/you@example.com/cv_detection.",
    },
    {
      key: "run_name",
      label: "Run name",
      type: "string",
      default: "default_run",
      help: "Name shown for the run in MLflow.",
    },
    {
      key: "log_model",
      label: "Log the model",
      type: "boolean",
      laxBoolean: true,
      default: true,
      help: "Save the trained model to MLflow at the end (needed to register it).",
    },
    {
      key: "tags",
      label: "Tags",
      type: "string_map",
      default: {},
      help: "key: value labels on the run, e.g. framework: hf_trainer.",
    },
  ],
};

export const OUTPUT_SECTION: SectionSpec = {
  key: "output",
  title: "Output",
  help: "Where evaluation writes its results.",
  required: false,
  fields: [
    {
      key: "results_dir",
      label: "Results folder",
      type: "path",
      pathKind: "volume",
      default: "/tmp/results",
      help: "Evaluation writes its JSON files here.",
    },
    {
      key: "save_predictions",
      label: "Save predictions",
      type: "boolean",
      laxBoolean: true,
      default: true,
      ignored: UNUSED,
      help: "Kept for compatibility.",
    },
    {
      key: "visualization",
      label: "Visualisation",
      type: "any",
      nullable: true,
      ignored: UNUSED,
      help: "Kept for compatibility.",
    },
  ],
};

export const SERVING_SECTION: SectionSpec = {
  key: "serving",
  title: "Serving",
  help: "Where the model is registered and served after training.",
  required: false,
  fields: [
    {
      key: "registered_model_name",
      label: "Registered model",
      type: "string",
      nullable: true,
      help: "Unity Catalog name catalog.schema.model.",
    },
    {
      key: "endpoint_name",
      label: "Endpoint",
      type: "string",
      nullable: true,
      help: "Serving endpoint name: letters, digits, - and _, at most 63 characters.",
    },
    {
      key: "workload_size",
      label: "Workload size",
      type: "enum",
      options: ["Small", "Medium", "Large"],
      default: "Small",
      help: "Provisioned concurrency: Small up to 4, Medium 8–16, Large 16–64 requests at once.",
    },
    {
      key: "scale_to_zero",
      label: "Scale to zero",
      type: "boolean",
      laxBoolean: true,
      default: true,
      help: "Stop the endpoint when idle (first request then waits for a cold start).",
    },
  ],
};

export const MONITORING_SECTION: SectionSpec = {
  key: "monitoring",
  title: "Monitoring",
  help: "Alert thresholds for the deployed endpoint.",
  required: false,
  fields: [
    {
      key: "drift_threshold",
      label: "Drift threshold",
      type: "number",
      default: 0.1,
      min: 0,
      max: 1,
      step: 0.01,
      help: "Alert when the prediction distribution moves by more than this (0–1).",
    },
    {
      key: "error_rate_threshold",
      label: "Error-rate threshold",
      type: "number",
      default: 0.05,
      min: 0,
      max: 1,
      step: 0.01,
      help: "Alert when this fraction of requests fails (0–1).",
    },
    {
      key: "latency_p95_threshold_ms",
      label: "p95 latency threshold",
      type: "number",
      default: 500,
      min: 1,
      max: 600000,
      step: 10,
      help: "Alert when the 95th-percentile latency exceeds this, in milliseconds.",
    },
  ],
};
