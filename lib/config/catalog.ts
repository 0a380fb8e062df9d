/**
 * The model catalog: which models each task can train, what image sizes they take, what
 * data they need, and the defaults a new configuration starts from. Browser-safe.
 */

import { MODEL_SEEDS, type Seed } from "./catalog_models.ts";
import { type Task, TASK_PRIMARY_MONITOR } from "./tasks.ts";

export type SizeClass = "Small" | "Medium" | "Large";

/** Dataset layouts the training job reads (see the data section help). */
export type DataFormat = "coco_instances" | "coco_panoptic" | "imagefolder" | "mask_folder";

export const DATA_FORMAT_LABELS: Record<DataFormat, string> = {
  coco_instances: "COCO instances JSON (images/ + instances_*.json)",
  coco_panoptic: "COCO panoptic JSON + PNG folder named after the JSON",
  imagefolder: "ImageFolder (one sub-folder per class)",
  mask_folder: "ADE20K-style images/ + masks/ (PNG, pixel = class id)",
};

/** Which image sizes (pixels, square side) a model accepts. */
export interface ImageSizeRule {
  default: number;
  min: number;
  max: number;
  /** Sizes must be a multiple of this (the backbone's stride or patch size). */
  multipleOf?: number;
  /** When set, only these sizes work. */
  allowed?: number[];
  /** Why the rule exists, shown with the error. */
  reason?: string;
}

export interface ModelDefaults {
  /** Images per GPU. */
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  maxEpochs: number;
  monitorMetric: string;
  monitorMode: "min" | "max";
}

export interface ModelSpec {
  /** Hugging Face id, or `torchvision/<builder>`. */
  id: string;
  displayName: string;
  /** Tasks it can train; the first is what its pretrained head was made for. */
  tasks: Task[];
  family: string;
  sizeClass: SizeClass;
  /** Parameter count, for display. */
  params: string;
  imageSize: ImageSizeRule;
  dataFormat: DataFormat;
  defaults: ModelDefaults;
  /** True when it trains on a laptop CPU without downloading weights (torchvision). */
  runsLocally: boolean;
  source: "huggingface" | "torchvision";
}

export const HF_RUNTIME_NOTE = "needs a Databricks GPU cluster (or a local transformers install)";
export const LOCAL_RUNTIME_NOTE = "runs locally (torchvision, no downloaded weights)";

const SIZE_DEFAULTS: Record<SizeClass, { batchSize: number; learningRate: number }> = {
  Small: { batchSize: 32, learningRate: 2e-4 },
  Medium: { batchSize: 16, learningRate: 1e-4 },
  Large: { batchSize: 8, learningRate: 5e-5 },
};

function build(s: Seed): ModelSpec {
  const task = s.tasks[0];
  const source = s.id.startsWith("torchvision/") ? "torchvision" : "huggingface";
  const monitor = TASK_PRIMARY_MONITOR[task];
  const sized = SIZE_DEFAULTS[s.size];
  const format: DataFormat = s.format ??
    (task === "classification"
      ? "imagefolder"
      : task === "panoptic_segmentation"
      ? "coco_panoptic"
      : task === "semantic_segmentation"
      ? "mask_folder"
      : "coco_instances");
  return {
    id: s.id,
    displayName: s.name,
    tasks: s.tasks,
    family: s.family,
    sizeClass: s.size,
    params: s.params,
    imageSize: s.image,
    dataFormat: format,
    runsLocally: source === "torchvision",
    source,
    defaults: {
      batchSize: sized.batchSize,
      learningRate: sized.learningRate,
      weightDecay: 1e-4,
      maxEpochs: task === "classification" ? 20 : 50,
      monitorMetric: monitor.metric,
      monitorMode: monitor.mode,
      ...s.over,
    },
  };
}

/** Every catalog model, in display order. */
export const MODEL_CATALOG: readonly ModelSpec[] = MODEL_SEEDS.map(build);

const BY_ID = new Map(MODEL_CATALOG.map((m) => [m.id, m]));

/** The catalog entry for an id (exact match), or undefined for models outside the catalog. */
export function getModel(id: string): ModelSpec | undefined {
  return BY_ID.get(id);
}

/** Models offered for a task: those pretrained for it first, then those that can be re-headed. */
export function modelsForTask(task: Task): ModelSpec[] {
  const primary = MODEL_CATALOG.filter((m) => m.tasks[0] === task);
  const other = MODEL_CATALOG.filter((m) => m.tasks[0] !== task && m.tasks.includes(task));
  return [...primary, ...other];
}

/** The runtime note shown beside a model. */
export function runtimeNote(model: ModelSpec): string {
  return model.runsLocally ? LOCAL_RUNTIME_NOTE : HF_RUNTIME_NOTE;
}

/**
 * Checks one image size against a model's rule; returns the problem in words, or null.
 * Sizes are pixels of a square side, as `model.image_size` is read.
 */
export function imageSizeProblem(model: ModelSpec, size: number): string | null {
  const r = model.imageSize;
  if (r.allowed && !r.allowed.includes(size)) {
    return `${model.displayName} only takes ${r.allowed.join(" or ")} px, not ${size}` +
      (r.reason ? ` (${r.reason})` : "");
  }
  if (size < r.min || size > r.max) {
    return `${model.displayName} takes ${r.min}–${r.max} px, not ${size}`;
  }
  if (r.multipleOf && size % r.multipleOf !== 0) {
    return `${model.displayName} needs a multiple of ${r.multipleOf} px (its stride), not ${size}`;
  }
  return null;
}
