/**
 * New configurations: one starting document per task and model, filled with the model's
 * defaults and the accelerator's placeholder paths, plus dotted-path get/set used by the CLI's
 * `--set` and by the form. Browser-safe.
 */

import { parse as parseYamlValue } from "yaml";
import { getModel, modelsForTask } from "./catalog.ts";
import type { ConfigDoc } from "./schema.ts";
import { type Task, TASK_LABELS, TASK_PRIMARY_MONITOR, TASKS } from "./tasks.ts";
import { isObject } from "./validate.ts";

/** The model each task's built-in template starts from. */
export const DEFAULT_MODEL: Record<Task, string> = {
  detection: "facebook/detr-resnet-50",
  classification: "google/vit-base-patch16-224",
  semantic_segmentation: "nvidia/segformer-b3-finetuned-ade-512-512",
  instance_segmentation: "facebook/mask2former-swin-base-coco-instance",
  panoptic_segmentation: "facebook/mask2former-swin-base-coco-panoptic",
};

/** Where a new config will run: the local workspace (CPU PyTorch + torchvision) or Databricks. */
export type TemplateCompute = "local" | "databricks";

/**
 * The model each task's built-in template starts from on the local workspace: torchvision
 * models that train from random weights on a CPU (no `transformers`, no downloads). Panoptic
 * has none, so its template keeps the Databricks model and says that it cannot run locally.
 */
export const LOCAL_DEFAULT_MODEL: Record<Task, string | null> = {
  detection: "torchvision/fcos_tiny",
  classification: "torchvision/resnet18",
  semantic_segmentation: "torchvision/lraspp_mobilenet_v3_large",
  instance_segmentation: "torchvision/maskrcnn_tiny",
  panoptic_segmentation: null,
};

/** The template model for a task on the given compute (Databricks when not said). */
export function defaultModel(task: Task, compute: TemplateCompute = "databricks"): string {
  return (compute === "local" ? LOCAL_DEFAULT_MODEL[task] : null) ?? DEFAULT_MODEL[task];
}

const DEFAULT_CLASSES: Record<Task, number> = {
  detection: 80,
  classification: 10,
  semantic_segmentation: 150,
  instance_segmentation: 80,
  panoptic_segmentation: 133,
};

export const PLACEHOLDER_VOLUME = "/Volumes/<catalog>/<schema>/<volume>";

export interface NewConfigOptions {
  /** Volume root such as `/Volumes/main/cv/data`; placeholders when absent. */
  volume?: string;
  /** Owner of the MLflow experiment path (`/Users/<email>/...`); else `/Shared/lakevision/...`. */
  email?: string;
  /** The person's preferred experiment folder; beats the two above. */
  experimentRoot?: string;
}

function dataPaths(task: Task, root: string): ConfigDoc {
  const d = root;
  switch (task) {
    case "classification":
      return {
        train_data_path: `${d}/classification/train/`,
        val_data_path: `${d}/classification/val/`,
      };
    case "semantic_segmentation":
      return {
        train_data_path: `${d}/segmentation/train/`,
        val_data_path: `${d}/segmentation/val/`,
      };
    default: {
      const kind = task === "panoptic_segmentation" ? "panoptic" : "instances";
      return {
        train_data_path: `${d}/train2017/`,
        train_annotation_file: `${d}/${kind}_train2017.json`,
        val_data_path: `${d}/val2017/`,
        val_annotation_file: `${d}/${kind}_val2017.json`,
      };
    }
  }
}

/**
 * A complete, valid starting config for a task and catalog model (its image size, batch size,
 * learning rate, monitor metric and mode). Throws on an unknown model or a model that cannot
 * train the task: callers pass catalog choices.
 */
export function newConfig(task: Task, modelId: string, opts: NewConfigOptions = {}): ConfigDoc {
  const model = getModel(modelId);
  if (!model) throw new Error(`unknown model "${modelId}"; see the catalog`);
  if (!model.tasks.includes(task)) {
    throw new Error(`${model.displayName} cannot train ${TASK_LABELS[task].toLowerCase()}`);
  }
  const root = (opts.volume ?? PLACEHOLDER_VOLUME).replace(/\/+$/, "");
  const family = model.family.replace(/-/g, "_");
  const slug = `${family}_${task}`;
  const d = model.defaults;
  const annotated = task !== "classification" && task !== "semantic_segmentation";
  return {
    model: {
      model_name: model.id,
      task_type: task,
      num_classes: DEFAULT_CLASSES[task],
      image_size: model.imageSize.default,
      learning_rate: d.learningRate,
      weight_decay: d.weightDecay,
      scheduler: "cosine",
      ...(annotated ? { confidence_threshold: 0.5, iou_threshold: 0.5, max_detections: 100 } : {}),
      ...(task === "classification" ? { dropout: 0.1 } : {}),
    },
    data: { ...dataPaths(task, root), batch_size: d.batchSize, num_workers: 4 },
    training: {
      max_epochs: d.maxEpochs,
      early_stopping_patience: 10,
      // The model's defaults describe its own task; a re-headed model follows the chosen task.
      monitor_metric: task === model.tasks[0] ? d.monitorMetric : TASK_PRIMARY_MONITOR[task].metric,
      monitor_mode: task === model.tasks[0] ? d.monitorMode : TASK_PRIMARY_MONITOR[task].mode,
      save_top_k: 3,
      log_every_n_steps: 50,
    },
    mlflow: {
      experiment_name: `${experimentRoot(opts)}/cv_${task}_${family}`,
      run_name: `${family}_run1`,
      log_model: true,
      tags: {
        framework: model.source === "torchvision" ? "torchvision" : "hf_trainer",
        model: model.family,
        task,
      },
    },
    output: { results_dir: `${root}/results/${slug}` },
    serving: {
      registered_model_name: `${
        root === PLACEHOLDER_VOLUME ? "<catalog>.<schema>" : ucPrefix(root)
      }.${slug}`,
      endpoint_name: `${model.family}-${task.replace(/_/g, "-")}-endpoint`.slice(0, 63),
      workload_size: "Small",
      scale_to_zero: true,
    },
    monitoring: { drift_threshold: 0.1, error_rate_threshold: 0.05, latency_p95_threshold_ms: 500 },
  };
}

/** `/Users/<email>` when known; a shared folder for a real volume; else the placeholder. */
function experimentRoot(opts: NewConfigOptions): string {
  if (opts.experimentRoot) return opts.experimentRoot.replace(/\/+$/, "");
  if (opts.email) return `/Users/${opts.email}`;
  return opts.volume ? "/Shared/lakevision" : "/Users/<your.email@databricks.com>";
}

function ucPrefix(volumeRoot: string): string {
  const [, , catalog, schema] = volumeRoot.split("/");
  return `${catalog}.${schema}`;
}

export interface Template {
  id: string;
  name: string;
  task: Task;
  description: string;
  doc: ConfigDoc;
  builtin: boolean;
  /** False for a built-in template that cannot run on the local workspace. */
  localRunnable?: boolean;
}

/**
 * The built-in templates: one per task, with that task's default model for the compute. Local
 * templates use models that run on the local workspace, from random weights (it cannot
 * download any); a task with no such model keeps its Databricks model and says so.
 */
export function builtinTemplates(opts: { compute?: TemplateCompute } = {}): Template[] {
  const compute = opts.compute ?? "databricks";
  return TASKS.map((task) => {
    const id = defaultModel(task, compute);
    const model = getModel(id)!;
    let doc = newConfig(task, id);
    const runsHere = compute !== "local" || LOCAL_DEFAULT_MODEL[task] !== null;
    if (compute === "local" && runsHere) doc = setPath(doc, "model.pretrained", false);
    return {
      id: `builtin-${task.replace(/_/g, "-")}`,
      name: `${TASK_LABELS[task]} (${model.displayName})`,
      task,
      description:
        `Starts ${TASK_LABELS[task].toLowerCase()} with ${model.displayName} and its defaults; ${
          modelsForTask(task).length
        } models available.` +
        (runsHere
          ? compute === "local" ? " Trains from random weights on this machine's CPU." : ""
          : " Not runnable on the local workspace (it needs Hugging Face transformers); run it on Databricks."),
      doc,
      builtin: true,
      ...(runsHere ? {} : { localRunnable: false }),
    };
  });
}

/** Reads a dotted path (`model.image_size`) from a document. */
export function getPath(doc: ConfigDoc, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/**
 * Sets a dotted path, creating sections as needed, and returns a new document. `raw` strings
 * are read as YAML scalars (`640` → number, `true` → boolean, `[800, 800]` → list), so CLI
 * and form values get the types a YAML file would give them.
 */
export function setPath(doc: ConfigDoc, path: string, value: unknown, raw = false): ConfigDoc {
  const parts = path.split(".");
  if (
    parts.some((p) => p === "" || p === "__proto__" || p === "constructor" || p === "prototype")
  ) {
    throw new Error(`invalid key path "${path}"`);
  }
  const parsed = raw && typeof value === "string" ? readScalar(value) : value;
  const out: ConfigDoc = structuredClone(doc);
  let cur: Record<string, unknown> = out;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(cur[part])) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (parsed === undefined) delete cur[last];
  else cur[last] = parsed;
  return out;
}

/** Reads one value the way YAML would (YAML 1.1, like the training job). */
export function readScalar(text: string): unknown {
  try {
    return parseYamlValue(text, { version: "1.1" }) ?? null;
  } catch {
    return text;
  }
}
