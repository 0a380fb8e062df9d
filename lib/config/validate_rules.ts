/**
 * The cross-field rules of config validation: model ↔ task, image sizes, data layout, the
 * monitored metric, optimiser and augmentation settings, serving names. Each rule reports
 * through the context; `block` problems are warnings while editing and errors when launching.
 * Browser-safe.
 */

import { getModel, imageSizeProblem } from "./catalog.ts";
import { fieldSpec } from "./fields.ts";
import { isObject } from "./object.ts";
import { showValue } from "./schema.ts";
import {
  annotationKind,
  metricHigherIsBetter,
  monitorOptions,
  monitorToLoggedMetric,
  type Task,
  TASK_EVAL_METRICS,
  TASK_LABELS,
} from "./tasks.ts";

type Obj = Record<string, unknown>;
type Report = (path: string, message: string) => void;

export interface RuleContext {
  err: Report;
  warn: Report;
  /** A warning while editing, an error when launching. */
  block: Report;
  /** `model.task_type` as written (`segmentation` for accelerator files). */
  rawTaskType: unknown;
}

const label = (t: Task) => TASK_LABELS[t].toLowerCase();

/** torchvision builder families per task, as the training job accepts them. */
const TORCHVISION_FAMILIES: Partial<Record<Task, string[]>> = {
  detection: ["fasterrcnn", "retinanet", "ssd", "ssdlite", "fcos", "keypointrcnn"],
  semantic_segmentation: ["lraspp", "deeplabv3", "fcn"],
  instance_segmentation: ["maskrcnn"],
};

/** Which torchvision task a builder name belongs to. */
function torchvisionTask(builder: string): Task {
  for (const [task, prefixes] of Object.entries(TORCHVISION_FAMILIES)) {
    if (prefixes.some((p) => builder.startsWith(p))) return task as Task;
  }
  return "classification";
}

/** Model ↔ task, the image size the model can take, optimiser and schedule settings. */
export function checkModel(model: Obj, task: Task, c: RuleContext) {
  const name = model.model_name;
  if (typeof name !== "string" || name.trim() === "") return;
  checkSchedule(model, c);
  const names = model.class_names;
  if (
    Array.isArray(names) && typeof model.num_classes === "number" &&
    names.length !== model.num_classes
  ) {
    c.err(
      "model.class_names",
      `lists ${names.length} classes but num_classes is ${model.num_classes}`,
    );
  }
  const spec = getModel(name);
  if (!spec) {
    if (name.startsWith("torchvision/")) {
      const own = torchvisionTask(name.slice("torchvision/".length));
      if (own !== task) {
        c.err("model.model_name", `${name} is a ${label(own)} builder, not ${label(task)}`);
      }
      return;
    }
    c.warn(
      "model.model_name",
      `"${name}" is not in the catalog: its image sizes and data format cannot be checked`,
    );
    return;
  }
  if (!spec.tasks.includes(task)) {
    c.err(
      "model.model_name",
      `${spec.displayName} trains ${spec.tasks.map(label).join(", ")}, not ${label(task)}`,
    );
  }
  const size = model.image_size;
  if (size === undefined || size === null) {
    c.warn(
      "model.image_size",
      `is not set: the training job falls back to data.image_size or 224 px (the accelerator to 640 px); set it to ${spec.imageSize.default}`,
    );
    return;
  }
  const sizes = Array.isArray(size) ? size : [size];
  for (const [i, s] of sizes.entries()) {
    if (typeof s !== "number" || !Number.isInteger(s)) continue;
    const at = Array.isArray(size) ? `model.image_size[${i}]` : "model.image_size";
    if (ADAPTIVE_POOLING.has(spec.family) && !spec.imageSize.allowed) {
      adaptiveSize(spec.displayName, spec.imageSize, s, at, c);
      continue;
    }
    const problem = imageSizeProblem(spec, s);
    if (problem) c.err(at, problem);
  }
}

/**
 * Classifier families whose head pools adaptively (torchvision ResNet, MobileNet): any input of
 * at least 32 px runs, so only that is an error; other sizes are advice.
 */
const ADAPTIVE_POOLING = new Set(["resnet", "mobilenet"]);

function adaptiveSize(
  name: string,
  rule: { min: number; max: number; multipleOf?: number },
  s: number,
  at: string,
  c: RuleContext,
) {
  if (s < 32) {
    return c.err(at, `${name} needs at least 32 px (five stride-2 stages), not ${s}`);
  }
  // Outside the field's range the range error is the whole story: no advice, no suggestion.
  const field = fieldSpec("model.image_size");
  const lo = field?.min ?? 32, hi = field?.max ?? Infinity;
  if (s < lo || s > hi) return;
  const m = rule.multipleOf ?? 32;
  if (s % m !== 0) {
    const nearest = Math.round(s / m) * m;
    const inRange = [nearest, nearest - m, nearest + m].filter((v) => v >= lo && v <= hi)
      .sort((a, b) => Math.abs(a - s) - Math.abs(b - s))[0];
    c.warn(
      at,
      `${s} px is not a multiple of ${m}: ${name} runs (adaptive pooling) but the last feature map rounds down` +
        (inRange !== undefined ? `; ${inRange} px uses every pixel` : ""),
    );
  }
  if (s > rule.max) c.warn(at, `${s} px is above ${rule.max} px: slower, rarely more accurate`);
}

const SCHEDULER_PARAMS = ["warmup_ratio", "warmup_steps", "eta_min", "step_size", "gamma"];

function checkSchedule(model: Obj, c: RuleContext) {
  const sp = model.scheduler_params;
  if (sp === undefined || sp === null) return;
  if (!isObject(sp)) {
    return c.err("model.scheduler_params", `must be a mapping, got ${showValue(sp)}`);
  }
  for (const [k, v] of Object.entries(sp)) {
    const path = `model.scheduler_params.${k}`;
    if (k === "T_max") {
      c.warn(path, "ignored by the training job: the cosine schedule spans the whole run");
    } else if (!SCHEDULER_PARAMS.includes(k)) {
      c.warn(path, "unknown field: ignored by the training job");
    } else if (typeof v !== "number" || v < 0) {
      c.err(path, `must be a number ≥ 0, got ${showValue(v)}`);
    }
  }
  if (model.hf_config !== undefined && model.hf_config !== null && !isObject(model.hf_config)) {
    c.err("model.hf_config", "must be a mapping of Hugging Face config fields");
  }
}

/** Which dataset layouts each task reads (the training job's rule). */
const TASK_FORMATS: Record<Task, string[]> = {
  detection: ["coco_instances"],
  classification: ["imagefolder"],
  semantic_segmentation: ["mask_folder", "coco_panoptic"],
  instance_segmentation: ["coco_instances"],
  panoptic_segmentation: ["coco_panoptic"],
};

const AUGMENTATIONS = [
  "horizontal_flip",
  "vertical_flip",
  "rotation",
  "brightness_contrast",
  "hue_saturation",
  "color_jitter",
  "random_crop",
  "random_resized_crop",
  "random_resize",
];

/** Annotation files, dataset layout, normalisation and augmentations. */
export function checkData(data: Obj, task: Task, c: RuleContext) {
  for (const key of ["train_annotation_file", "val_annotation_file"]) {
    const v = data[key];
    if (typeof v !== "string" || v.trim() === "") continue;
    if (!v.toLowerCase().endsWith(".json")) {
      c.err(`data.${key}`, `must be a COCO .json file, got "${v}"`);
    } else if (task === "classification") {
      c.warn(`data.${key}`, "classification reads class folders; this annotation file is not used");
    } else if (task === "panoptic_segmentation" && annotationKind(v) !== "panoptic") {
      c.warn(`data.${key}`, "panoptic training expects a COCO panoptic JSON (panoptic_*.json)");
    } else if (task === "instance_segmentation" && annotationKind(v) === "panoptic") {
      c.warn(`data.${key}`, "instance training expects a COCO instances JSON (instances_*.json)");
    } else if (task === "semantic_segmentation" && annotationKind(v) === "instances") {
      c.block(
        `data.${key}`,
        "semantic segmentation reads images/ + masks/ folders or a COCO panoptic JSON, not an instances JSON",
      );
    }
  }
  const format = data.format;
  if (typeof format === "string" && !TASK_FORMATS[task].includes(format)) {
    c.err(
      "data.format",
      `${label(task)} reads ${TASK_FORMATS[task].join(" or ")} data, not ${format}`,
    );
  }
  for (const key of ["normalize_mean", "normalize_std"]) {
    const v = data[key];
    if (Array.isArray(v) && v.length !== 3) {
      c.err(`data.${key}`, `must list 3 numbers (R, G, B), got ${v.length}`);
    }
  }
  const augment = data.augment;
  if (
    augment !== undefined && typeof augment !== "boolean" && typeof augment !== "string" &&
    !isObject(augment)
  ) {
    c.err(
      "data.augment",
      `must be true, false or a mapping of augmentations, got ${showValue(augment)}`,
    );
  }
  const augs = isObject(augment) ? augment : data.augmentations;
  const where = isObject(augment) ? "data.augment" : "data.augmentations";
  if (augs === undefined || augs === null) return;
  if (!isObject(augs)) {
    return c.err(where, `must be a mapping (e.g. horizontal_flip: true), got ${showValue(augs)}`);
  }
  for (const [k, v] of Object.entries(augs)) {
    const path = `${where}.${k}`;
    if (!AUGMENTATIONS.includes(k)) {
      c.err(path, `unknown augmentation; known: ${AUGMENTATIONS.join(", ")}`);
    } else if (k === "rotation" && (typeof v !== "number" || v < 0 || v > 180)) {
      c.err(path, `must be degrees 0–180, got ${showValue(v)}`);
    } else if (
      k === "random_resize" &&
      !(Array.isArray(v) && v.length === 2 && typeof v[0] === "number" &&
        typeof v[1] === "number" && 0 < v[0] &&
        v[0] <= v[1])
    ) c.err(path, `must be [min_scale, max_scale] with 0 < min ≤ max, got ${showValue(v)}`);
  }
}

/** The monitored metric must be one the task logs; its mode should match its direction. */
export function checkMonitor(training: Obj, task: Task, c: RuleContext) {
  const metric = training.monitor_metric ?? "val_loss";
  const mode = training.monitor_mode ?? "min";
  if (typeof metric !== "string" || metric === "") return;
  const options = monitorOptions(task);
  const logged = metric.startsWith("eval_") ? metric : monitorToLoggedMetric(metric);
  if (metric.startsWith("eval_")) {
    c.warn(
      "training.monitor_metric",
      `write "val_${
        metric.slice(5)
      }": the accelerator adds the eval_ prefix itself and would look for "eval_${metric}"`,
    );
  }
  if (!TASK_EVAL_METRICS[task].includes(logged)) {
    const why = `${label(task)} never logs ${logged}; choose one of ${options.join(", ")}`;
    // The accelerator logged eval_miou for every segmentation model; its files say so.
    const accelerator = c.rawTaskType === "segmentation" &&
      /^eval_(miou|pixel_accuracy)$/.test(logged);
    (accelerator ? c.block : c.err)("training.monitor_metric", why);
    return;
  }
  if (mode === "min" || mode === "max") {
    const want = metricHigherIsBetter(logged) ? "max" : "min";
    if (mode !== want) {
      c.warn(
        "training.monitor_mode",
        `${metric} is better when ${
          want === "max" ? "higher" : "lower"
        }, so monitor_mode should be "${want}" (it is "${mode}"${
          training.monitor_mode === undefined ? " by default" : ""
        })`,
      );
    }
  }
  const patience = training.early_stopping_patience, epochs = training.max_epochs ?? 100;
  if (typeof patience === "number" && typeof epochs === "number" && patience >= epochs) {
    c.warn(
      "training.early_stopping_patience",
      `is ${patience} but training stops after ${epochs} epochs anyway`,
    );
  }
}

const UC_NAME_RE = /^[^.\s]+\.[^.\s]+\.[^.\s]+$/;
const ENDPOINT_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** Unity Catalog model name and serving endpoint name formats. */
export function checkServing(doc: Obj, c: RuleContext) {
  const serving = isObject(doc.serving) ? doc.serving : {};
  const reg = serving.registered_model_name;
  if (typeof reg === "string" && reg !== "" && !UC_NAME_RE.test(reg)) {
    c.err(
      "serving.registered_model_name",
      `must be catalog.schema.model (three parts), got "${reg}"`,
    );
  }
  const ep = serving.endpoint_name;
  if (typeof ep === "string" && ep !== "" && !ENDPOINT_RE.test(ep)) {
    c.err(
      "serving.endpoint_name",
      `must be letters, digits, - and _ (at most 63, starting with a letter or digit), got "${ep}"`,
    );
  }
}
