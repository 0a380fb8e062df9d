/**
 * The five training tasks, the metrics each one logs, and how an accelerator file's
 * `task_type: segmentation` is read as one of the three segmentation tasks.
 * Browser-safe: no Deno APIs.
 */

export const TASKS = [
  "detection",
  "classification",
  "semantic_segmentation",
  "instance_segmentation",
  "panoptic_segmentation",
] as const;

export type Task = typeof TASKS[number];

/** Human labels for the task picker. */
export const TASK_LABELS: Record<Task, string> = {
  detection: "Object detection",
  classification: "Image classification",
  semantic_segmentation: "Semantic segmentation",
  instance_segmentation: "Instance segmentation",
  panoptic_segmentation: "Panoptic (universal) segmentation",
};

/** Is `value` one of the five task names? */
export function isTask(value: unknown): value is Task {
  return typeof value === "string" && (TASKS as readonly string[]).includes(value);
}

const DETECTION_EVAL = [
  "eval_map",
  "eval_map_50",
  "eval_map_75",
  "eval_map_small",
  "eval_map_medium",
  "eval_map_large",
  "eval_mar_1",
  "eval_mar_10",
  "eval_mar_100",
];
/** Semantic maps are scored by these (panoptic results are also turned into semantic maps). */
const SEGMENTATION_EVAL = ["eval_miou", "eval_pixel_accuracy"];

/**
 * Per-epoch evaluation metrics each task logs (HF Trainer names, `eval_` prefix). These are
 * the only metrics `training.monitor_metric` can select, because early stopping and "best
 * checkpoint" compare evaluation results.
 */
export const TASK_EVAL_METRICS: Record<Task, readonly string[]> = {
  detection: ["eval_loss", ...DETECTION_EVAL],
  classification: ["eval_loss", "eval_accuracy", "eval_precision", "eval_recall", "eval_f1"],
  semantic_segmentation: ["eval_loss", ...SEGMENTATION_EVAL],
  instance_segmentation: ["eval_loss", ...DETECTION_EVAL],
  panoptic_segmentation: ["eval_loss", "eval_pq", "eval_sq", "eval_rq", ...SEGMENTATION_EVAL],
};

/** The metric a task's runs are ranked by, as written in `training.monitor_metric`. */
export const TASK_PRIMARY_MONITOR: Record<Task, { metric: string; mode: "min" | "max" }> = {
  detection: { metric: "val_map", mode: "max" },
  classification: { metric: "val_accuracy", mode: "max" },
  semantic_segmentation: { metric: "val_miou", mode: "max" },
  instance_segmentation: { metric: "val_map", mode: "max" },
  panoptic_segmentation: { metric: "val_pq", mode: "max" },
};

/**
 * The logged metric a `monitor_metric` value selects, as the training job computes it:
 * `"eval_" + value.removeprefix("val_")`.
 */
export function monitorToLoggedMetric(monitor: string): string {
  return "eval_" + (monitor.startsWith("val_") ? monitor.slice(4) : monitor);
}

/** The `val_*` options offered for `monitor_metric` for one task. */
export function monitorOptions(task: Task): string[] {
  return TASK_EVAL_METRICS[task].map((m) => "val_" + m.slice(5));
}

/** Whether a larger value is better for a monitored metric (loss: no; everything else: yes). */
export function metricHigherIsBetter(monitor: string): boolean {
  return !monitorToLoggedMetric(monitor).endsWith("loss");
}

const UNIVERSAL_FAMILIES = ["mask2former", "oneformer", "maskformer"];

/**
 * Segmentation model family by substring of the lower-cased id, first match wins; everything
 * else (SegFormer, UperNet, BEiT, DPT, torchvision heads) trains semantic.
 */
export function segmentationFamily(modelName: string): "universal" | "semantic" {
  const id = modelName.toLowerCase();
  if (UNIVERSAL_FAMILIES.some((f) => id.includes(f))) return "universal";
  return "semantic";
}

/** What kind of COCO file an annotation path names, judged by its file name. */
export function annotationKind(path: unknown): "instances" | "panoptic" | "none" {
  if (typeof path !== "string" || path.trim() === "") return "none";
  const name = path.split("/").pop()!.toLowerCase();
  return name.includes("panoptic") ? "panoptic" : "instances";
}

/** Legacy task names older accelerator configs used, and what they mean now. */
export const LEGACY_TASK_TYPES: Record<string, Task> = {
  universal_segmentation: "panoptic_segmentation",
};

export interface TaskResolution {
  task: Task | null;
  /** Set when the file's `task_type` was mapped (shown as a warning). */
  note?: string;
  /** Set when `task_type` is unknown. */
  error?: string;
}

/**
 * Reads `model.task_type` as one of the five tasks. `segmentation` (the accelerator's only
 * segmentation task) is mapped as the accelerator does: semantic model families always train
 * semantic; universal families (Mask2Former, OneFormer, MaskFormer) follow the annotation file
 * (panoptic JSON → panoptic, instances JSON → instance, none → semantic ADE20K-style masks).
 */
export function resolveTask(
  taskType: unknown,
  modelName: unknown,
  annotationFile: unknown,
): TaskResolution {
  const raw = taskType === undefined || taskType === null ? "detection" : taskType;
  if (typeof raw !== "string") {
    return { task: null, error: `must be one of ${TASKS.join(", ")} (or "segmentation")` };
  }
  if (isTask(raw)) return { task: raw };
  if (raw in LEGACY_TASK_TYPES) {
    const task = LEGACY_TASK_TYPES[raw];
    return { task, note: `legacy task_type "${raw}" is read as "${task}"` };
  }
  if (raw === "segmentation") {
    const name = typeof modelName === "string" ? modelName : "";
    if (segmentationFamily(name) === "semantic") {
      return {
        task: "semantic_segmentation",
        note: `task_type "segmentation" is read as "semantic_segmentation" (${
          name || "the model"
        } is a semantic segmentation family)`,
      };
    }
    const kind = annotationKind(annotationFile);
    const task: Task = kind === "panoptic"
      ? "panoptic_segmentation"
      : kind === "instances"
      ? "instance_segmentation"
      : "semantic_segmentation";
    const why = kind === "none"
      ? "no annotation file, so ADE20K-style images/ + masks/ folders"
      : `the annotation file is a COCO ${kind} JSON`;
    return {
      task,
      note: `task_type "segmentation" is read as "${task}" (universal model family; ${why})`,
    };
  }
  return {
    task: null,
    error: `unknown task_type "${raw}"; use one of ${TASKS.join(", ")} (or "segmentation")`,
  };
}
