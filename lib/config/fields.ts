/**
 * One description of every config field (type, range, default, help with units, which
 * tasks show it, whether the training job ignores it). The zod schema, the form pages and the
 * validator are all built from it, so they cannot drift apart. Browser-safe.
 */

import type { Task } from "./tasks.ts";

export const SECTION_KEYS = [
  "model",
  "data",
  "training",
  "mlflow",
  "output",
  "serving",
  "monitoring",
] as const;
export type SectionKey = typeof SECTION_KEYS[number];

export type FieldType =
  | "string"
  | "path"
  | "int"
  | "number"
  | "boolean"
  | "enum"
  | "image_size"
  | "number_list"
  | "string_list"
  | "string_map"
  | "any";

export interface FieldSpec {
  key: string;
  label: string;
  type: FieldType;
  /** One or two sentences, with units. */
  help: string;
  default?: unknown;
  /** Required always (true) or only for these tasks. */
  required?: boolean | readonly Task[];
  /** `null` is accepted (the accelerator's Optional fields). */
  nullable?: boolean;
  min?: number;
  max?: number;
  /** Step for number inputs. */
  step?: number;
  /** Allowed values for `enum` fields. */
  options?: readonly string[];
  /** Only shown for these tasks. */
  tasks?: readonly Task[];
  /** Set when the training job never reads this field: why. */
  ignored?: string;
  /** Kind of path: data on a volume, scratch space on the cluster, or a workspace path. */
  pathKind?: "volume" | "scratch" | "workspace";
  /** Enum whose other values are accepted (with a warning from the validator). */
  openEnum?: boolean;
  /** Booleans also accept "true"/"false"/"yes"/"no"/"1"/"0" strings (accelerator coercion). */
  laxBoolean?: boolean;
}

export interface SectionSpec {
  key: SectionKey;
  title: string;
  help: string;
  required: boolean;
  fields: readonly FieldSpec[];
}

const DET_SEG: Task[] = [
  "detection",
  "instance_segmentation",
  "panoptic_segmentation",
  "semantic_segmentation",
];
const ANNOTATED: Task[] = ["detection", "instance_segmentation", "panoptic_segmentation"];
const UNUSED = "nothing reads it";

const MODEL: SectionSpec = {
  key: "model",
  title: "Model",
  help: "Which network to train and its optimiser settings.",
  required: true,
  fields: [
    {
      key: "model_name",
      label: "Model",
      type: "string",
      required: true,
      help:
        "Hugging Face id (facebook/detr-resnet-50) or torchvision/<builder> (torchvision/resnet18).",
    },
    {
      key: "task_type",
      label: "Task",
      type: "string",
      default: "detection",
      help:
        "detection, classification, semantic_segmentation, instance_segmentation or panoptic_segmentation. Accelerator files may say segmentation.",
    },
    {
      key: "num_classes",
      label: "Number of classes",
      type: "int",
      default: 80,
      min: 1,
      max: 100000,
      help: "Classes in your dataset, excluding background (COCO: 80, ADE20K: 150).",
    },
    {
      key: "image_size",
      label: "Image size",
      type: "image_size",
      default: 640,
      min: 32,
      max: 2048,
      step: 32,
      help:
        "Side of the square the images are resized to, in pixels. The model limits what it can take.",
    },
    {
      key: "learning_rate",
      label: "Learning rate",
      type: "number",
      default: 1e-4,
      min: 1e-8,
      max: 1,
      step: 1e-5,
      help: "AdamW learning rate for the head; the backbone gets 0.1×. Typical 1e-5 to 1e-3.",
    },
    {
      key: "weight_decay",
      label: "Weight decay",
      type: "number",
      default: 1e-4,
      min: 0,
      max: 1,
      step: 1e-4,
      help: "AdamW weight decay (L2 factor, unitless).",
    },
    {
      key: "scheduler",
      label: "LR schedule",
      type: "enum",
      options: ["cosine", "none"],
      openEnum: true,
      default: "cosine",
      help:
        "cosine: linear warm-up over the first 10% of steps, then cosine decay to 1e-6. Any other value trains at a constant rate.",
    },
    {
      key: "confidence_threshold",
      label: "Confidence threshold",
      type: "number",
      default: 0.5,
      min: 0,
      max: 1,
      step: 0.05,
      tasks: ANNOTATED,
      help: "Score (0–1) below which predictions are dropped when serving.",
    },
    {
      key: "iou_threshold",
      label: "IoU threshold",
      type: "number",
      default: 0.5,
      min: 0,
      max: 1,
      step: 0.05,
      tasks: ANNOTATED,
      help: "Overlap (0–1) for matching a prediction to a ground-truth box in error analysis.",
    },
    {
      key: "max_detections",
      label: "Max detections",
      type: "int",
      default: 100,
      min: 1,
      max: 1000,
      tasks: ANNOTATED,
      help: "Most objects kept per image.",
    },
    {
      key: "dropout",
      label: "Dropout",
      type: "number",
      default: 0.2,
      min: 0,
      max: 0.95,
      step: 0.05,
      tasks: ["classification"],
      help: "Classifier dropout probability (0–0.95).",
    },
    {
      key: "class_names",
      label: "Class names",
      type: "string_list",
      nullable: true,
      tasks: ["classification"],
      help: "Optional: only these class folders are used, in this order.",
    },
    {
      key: "pretrained",
      label: "Pretrained",
      type: "boolean",
      laxBoolean: true,
      default: true,
      ignored: "weights are always loaded from the model id",
      help: "Kept for compatibility.",
    },
    {
      key: "scheduler_params",
      label: "Scheduler parameters",
      type: "any",
      nullable: true,
      ignored: "T_max and eta_min are fixed by the cosine schedule",
      help: "Kept for compatibility.",
    },
    {
      key: "epochs",
      label: "Epochs (model)",
      type: "int",
      default: 100,
      min: 0,
      ignored: "training.max_epochs sets the number of epochs",
      help: "Kept for compatibility.",
    },
    {
      key: "segmentation_type",
      label: "Segmentation type",
      type: "string",
      nullable: true,
      ignored: "the task decides semantic/instance/panoptic",
      help: "Legacy.",
    },
    {
      key: "mixup_alpha",
      label: "Mixup alpha",
      type: "number",
      default: 0.2,
      min: 0,
      ignored: UNUSED,
      help: "Kept for compatibility.",
    },
    {
      key: "aux_loss_weight",
      label: "Aux loss weight",
      type: "number",
      default: 0.4,
      min: 0,
      ignored: UNUSED,
      help: "Kept for compatibility.",
    },
    {
      key: "mask_threshold",
      label: "Mask threshold",
      type: "number",
      default: 0.5,
      min: 0,
      max: 1,
      ignored: UNUSED,
      help: "Kept for compatibility.",
    },
  ],
};

const DATA: SectionSpec = {
  key: "data",
  title: "Data",
  help:
    "Where the images and labels are. Databricks paths live under /Volumes/<catalog>/<schema>/<volume>/.",
  required: true,
  fields: [
    {
      key: "train_data_path",
      label: "Training images",
      type: "path",
      pathKind: "volume",
      required: true,
      help:
        "Folder of training images (COCO), class-folder root (ImageFolder), or a folder with images/ and masks/.",
    },
    {
      key: "train_annotation_file",
      label: "Training annotations",
      type: "path",
      pathKind: "volume",
      nullable: true,
      required: ANNOTATED,
      tasks: DET_SEG,
      help:
        "COCO JSON for the training images (instances_*.json or panoptic_*.json). Leave empty for images/ + masks/ folders.",
    },
    {
      key: "val_data_path",
      label: "Validation images",
      type: "path",
      pathKind: "volume",
      required: true,
      help: "Folder of validation images, laid out like the training folder.",
    },
    {
      key: "val_annotation_file",
      label: "Validation annotations",
      type: "path",
      pathKind: "volume",
      nullable: true,
      required: ANNOTATED,
      tasks: DET_SEG,
      help: "COCO JSON for the validation images.",
    },
    {
      key: "batch_size",
      label: "Batch size",
      type: "int",
      default: 16,
      min: 1,
      max: 1024,
      help:
        "Images per GPU per step (training and evaluation). Lower it if the GPU runs out of memory.",
    },
    {
      key: "num_workers",
      label: "Loader workers",
      type: "int",
      default: 4,
      min: 0,
      max: 64,
      help: "Processes decoding images in parallel, per GPU. 0 = in the training process.",
    },
    {
      key: "test_data_path",
      label: "Test images",
      type: "path",
      pathKind: "volume",
      nullable: true,
      ignored: "only staged, never read for training or evaluation",
      help: "Optional.",
    },
    {
      key: "test_annotation_file",
      label: "Test annotations",
      type: "path",
      pathKind: "volume",
      nullable: true,
      ignored: "only staged, never read for training or evaluation",
      help: "Optional.",
    },
    {
      key: "model_name",
      label: "Model (data)",
      type: "string",
      ignored: "model.model_name is the one used",
      help: "Kept for compatibility.",
    },
    {
      key: "image_size",
      label: "Image size (data)",
      type: "image_size",
      nullable: true,
      ignored: "model.image_size is the one used",
      help: "Kept for compatibility.",
    },
    {
      key: "normalize_mean",
      label: "Normalise mean",
      type: "number_list",
      nullable: true,
      ignored: "the model's image processor normalises",
      help: "Kept for compatibility.",
    },
    {
      key: "normalize_std",
      label: "Normalise std",
      type: "number_list",
      nullable: true,
      ignored: "the model's image processor normalises",
      help: "Kept for compatibility.",
    },
    {
      key: "augment",
      label: "Augment",
      type: "any",
      ignored: "no augmentation is implemented",
      help: "Kept for compatibility.",
    },
    {
      key: "augmentations",
      label: "Augmentations",
      type: "any",
      nullable: true,
      ignored: "no augmentation is implemented",
      help: "Kept for compatibility.",
    },
  ],
};

const TRAINING: SectionSpec = {
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
      help: "Scratch folder on the training machine for checkpoint-<step>/ folders.",
    },
    {
      key: "volume_checkpoint_dir",
      label: "Volume checkpoint folder",
      type: "path",
      pathKind: "volume",
      nullable: true,
      help: "Each checkpoint is copied here so it survives the cluster. Recommended on Databricks.",
    },
    {
      key: "save_top_k",
      label: "Checkpoints kept",
      type: "int",
      default: 3,
      min: 1,
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

const MLFLOW: SectionSpec = {
  key: "mlflow",
  title: "MLflow",
  help: "Where runs are tracked.",
  required: false,
  fields: [
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

const OUTPUT: SectionSpec = {
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

const SERVING: SectionSpec = {
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

const MONITORING: SectionSpec = {
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

/** The seven sections in form order. */
export const SECTIONS: readonly SectionSpec[] = [
  MODEL,
  DATA,
  TRAINING,
  MLFLOW,
  OUTPUT,
  SERVING,
  MONITORING,
];

/** Deprecated `training` keys the training job silently drops, and what replaced them. */
export const DEPRECATED_TRAINING_KEYS: Record<string, string> = {
  distributed: "distribution is chosen from the GPUs present",
  use_ray: "Ray is no longer used",
  num_workers: "use data.num_workers",
  resources_per_worker: "Ray is no longer used",
  master_port: "distribution is chosen from the GPUs present",
  preferred_strategy: "distribution is chosen from the GPUs present",
  preferred_devices: "distribution is chosen from the GPUs present",
  learning_rate: "use model.learning_rate",
  weight_decay: "use model.weight_decay",
  scheduler: "use model.scheduler",
  scheduler_params: "the schedule's parameters are fixed",
};

/** The section description for a key. */
export function sectionSpec(key: SectionKey): SectionSpec {
  return SECTIONS.find((s) => s.key === key)!;
}

/** A field description by dotted path (`model.image_size`), or undefined. */
export function fieldSpec(path: string): FieldSpec | undefined {
  const [section, key] = path.split(".");
  return SECTIONS.find((s) => s.key === section)?.fields.find((f) => f.key === key);
}

/** Whether a field is required for a task. */
export function isRequired(field: FieldSpec, task: Task | null): boolean {
  if (field.required === true) return true;
  if (!field.required || !task) return false;
  return field.required.includes(task);
}

/** Fields a form shows for a task: used by the training job and relevant to the task. */
export function formFields(section: SectionSpec, task: Task): FieldSpec[] {
  return section.fields.filter((f) => !f.ignored && (!f.tasks || f.tasks.includes(task)));
}
