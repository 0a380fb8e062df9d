/**
 * Validates a parsed config document: zod types and ranges (schema.ts), then the rules that
 * span fields (task ↔ model, image size the model can take, monitor metric the task logs,
 * placeholders, volume paths). The same function runs on the server, in the CLI and in the
 * browser island. Browser-safe.
 */

import { getModel, imageSizeProblem } from "./catalog.ts";
import { DEPRECATED_TRAINING_KEYS, isRequired, SECTION_KEYS, SECTIONS } from "./fields.ts";
import { ConfigSchema, showValue } from "./schema.ts";
import {
  annotationKind,
  metricHigherIsBetter,
  monitorOptions,
  monitorToLoggedMetric,
  resolveTask,
  type Task,
  TASK_EVAL_METRICS,
  TASK_LABELS,
} from "./tasks.ts";

/** One problem, at a dotted path such as `model.image_size` (`""` = the whole file). */
export interface Problem {
  path: string;
  message: string;
}

export interface ValidationResult {
  /** No errors (warnings allowed). */
  ok: boolean;
  /** The task the file trains, once resolved (also for `task_type: segmentation`). */
  task: Task | null;
  errors: Problem[];
  warnings: Problem[];
}

export interface ValidateOptions {
  /** `edit` (default): placeholders are warnings. `launch`: they are errors. */
  mode?: "edit" | "launch";
  /** `databricks`: data paths must be under /Volumes/. Default `local`. */
  target?: "local" | "databricks";
}

type Obj = Record<string, unknown>;

/** True for a plain mapping (not null, not a list). */
export function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Matches `<catalog>`, `<your.email@databricks.com>` and similar template placeholders. */
export const PLACEHOLDER_RE = /<[^<>\s/]+>/;

const DATA_PATHS = [
  "train_data_path",
  "val_data_path",
  "train_annotation_file",
  "val_annotation_file",
];

/**
 * Checks a config document. Never throws: every problem comes back with the path of the
 * field it concerns, so a form can show it beside that field.
 */
export function validateConfig(doc: unknown, opts: ValidateOptions = {}): ValidationResult {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });
  const warn = (path: string, message: string) => warnings.push({ path, message });

  if (!isObject(doc)) {
    err("", `the file must be a mapping of sections (model, data, ...), got ${showValue(doc)}`);
    return { ok: false, task: null, errors, warnings };
  }

  // The training job drops deprecated training keys before reading the section.
  const checked: Obj = { ...doc };
  if (isObject(doc.training)) {
    const training: Obj = { ...doc.training };
    for (const key of Object.keys(training)) {
      if (key in DEPRECATED_TRAINING_KEYS) {
        warn(
          `training.${key}`,
          `deprecated and dropped by the training job: ${DEPRECATED_TRAINING_KEYS[key]}`,
        );
        delete training[key];
      }
    }
    checked.training = training;
  }

  const parsed = ConfigSchema.safeParse(checked);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      err(formatPath(issue.path as PropertyKey[]), issue.message);
    }
  }

  const model = isObject(doc.model) ? doc.model : {};
  const data = isObject(doc.data) ? doc.data : {};
  const training = isObject(checked.training) ? checked.training : {};
  const resolved = resolveTask(
    model.task_type,
    model.model_name,
    data.train_annotation_file ?? data.val_annotation_file,
  );
  if (resolved.error) err("model.task_type", resolved.error);
  if (resolved.note) warn("model.task_type", resolved.note);
  const task = resolved.task;

  checkKeys(doc, task, err, warn, (path) => errors.some((e) => e.path === path));
  if (task) {
    checkModel(model, task, err, warn);
    checkData(data, task, err, warn);
    checkMonitor(training, task, err, warn);
  }
  checkStrings(doc, opts, err, warn);
  checkServing(doc, err);

  return { ok: errors.length === 0, task, errors: dedupe(errors), warnings: dedupe(warnings) };
}

type Report = (path: string, message: string) => void;

/** `["model", "image_size", 0]` → `model.image_size[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function dedupe(list: Problem[]): Problem[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const k = p.path + "\u0000" + p.message;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function empty(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === "string" && v.trim() === "");
}

/** Unknown keys, ignored fields, and fields the task requires. */
function checkKeys(
  doc: Obj,
  task: Task | null,
  err: Report,
  warn: Report,
  has: (path: string) => boolean,
) {
  for (const key of Object.keys(doc)) {
    if (!(SECTION_KEYS as readonly string[]).includes(key)) {
      warn(key, "unknown section: kept in the file, ignored by the training job");
    }
  }
  for (const section of SECTIONS) {
    const value = doc[section.key];
    if (!isObject(value)) continue;
    const known = new Set(section.fields.map((f) => f.key));
    for (const key of Object.keys(value)) {
      if (known.has(key)) continue;
      if (section.key === "training" && key in DEPRECATED_TRAINING_KEYS) continue;
      warn(`${section.key}.${key}`, "unknown field: kept in the file, ignored by the training job");
    }
    for (const f of section.fields) {
      const path = `${section.key}.${f.key}`;
      if (f.ignored && value[f.key] !== undefined) {
        warn(path, `ignored by the training job: ${f.ignored}`);
      }
      if (isRequired(f, task) && empty(value[f.key]) && !has(path)) {
        err(
          path,
          f.required === true
            ? "is required"
            : `is required for ${TASK_LABELS[task!].toLowerCase()}`,
        );
      }
    }
  }
}

function checkModel(model: Obj, task: Task, err: Report, warn: Report) {
  const name = model.model_name;
  if (typeof name !== "string" || name.trim() === "") return;
  const spec = getModel(name);
  if (!spec) {
    warn(
      "model.model_name",
      `"${name}" is not in the catalog: its image sizes and data format cannot be checked`,
    );
    return;
  }
  if (!spec.tasks.includes(task)) {
    err(
      "model.model_name",
      `${spec.displayName} trains ${
        spec.tasks.map((t) => TASK_LABELS[t].toLowerCase()).join(", ")
      }, not ${TASK_LABELS[task].toLowerCase()}`,
    );
  }
  const size = model.image_size;
  if (size === undefined) {
    if (imageSizeProblem(spec, 640)) {
      err(
        "model.image_size",
        `is not set, so the training job uses 640 px, which ${spec.displayName} cannot take; set ${spec.imageSize.default}`,
      );
    }
  } else {
    const sizes = Array.isArray(size) ? size : [size];
    for (const [i, s] of sizes.entries()) {
      if (typeof s !== "number" || !Number.isInteger(s)) continue;
      const problem = imageSizeProblem(spec, s);
      if (problem) {
        err(Array.isArray(size) ? `model.image_size[${i}]` : "model.image_size", problem);
      }
    }
  }
  if (typeof model.scheduler === "string" && model.scheduler !== "cosine") {
    warn(
      "model.scheduler",
      `only "cosine" is implemented; "${model.scheduler}" trains at a constant learning rate`,
    );
  }
  const names = model.class_names;
  if (
    Array.isArray(names) && typeof model.num_classes === "number" &&
    names.length !== model.num_classes
  ) {
    err(
      "model.class_names",
      `lists ${names.length} classes but num_classes is ${model.num_classes}`,
    );
  }
}

function checkData(data: Obj, task: Task, err: Report, warn: Report) {
  for (const key of ["train_annotation_file", "val_annotation_file"]) {
    const v = data[key];
    if (typeof v !== "string" || v.trim() === "") continue;
    if (!v.toLowerCase().endsWith(".json")) {
      err(`data.${key}`, `must be a COCO .json file, got "${v}"`);
    } else if (task === "classification") {
      warn(`data.${key}`, "classification reads class folders; this annotation file is not used");
    } else if (task === "panoptic_segmentation" && annotationKind(v) !== "panoptic") {
      warn(`data.${key}`, "panoptic training expects a COCO panoptic JSON (panoptic_*.json)");
    } else if (task === "instance_segmentation" && annotationKind(v) === "panoptic") {
      warn(`data.${key}`, "instance training expects a COCO instances JSON (instances_*.json)");
    }
  }
}

function checkMonitor(training: Obj, task: Task, err: Report, warn: Report) {
  const metric = training.monitor_metric ?? "val_loss";
  const mode = training.monitor_mode ?? "min";
  if (typeof metric !== "string") return;
  const options = monitorOptions(task);
  if (metric.startsWith("eval_")) {
    err(
      "training.monitor_metric",
      `write "val_${
        metric.slice(5)
      }": the training job adds the eval_ prefix itself ("${metric}" would be read as "eval_${metric}")`,
    );
    return;
  }
  const logged = monitorToLoggedMetric(metric);
  if (!TASK_EVAL_METRICS[task].includes(logged)) {
    err(
      "training.monitor_metric",
      `${TASK_LABELS[task].toLowerCase()} never logs ${logged}; choose one of ${
        options.join(", ")
      }`,
    );
    return;
  }
  if (mode === "min" || mode === "max") {
    const want = metricHigherIsBetter(metric) ? "max" : "min";
    if (mode !== want) {
      warn(
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
    warn(
      "training.early_stopping_patience",
      `is ${patience} but training stops after ${epochs} epochs anyway`,
    );
  }
}

/** Placeholders, `..` segments, volume shape, and Databricks-only path rules. */
function checkStrings(doc: Obj, opts: ValidateOptions, err: Report, warn: Report) {
  const launch = opts.mode === "launch";
  walkStrings(doc, "", (path, value) => {
    const m = value.match(PLACEHOLDER_RE);
    if (m) {
      const msg = `still holds the placeholder ${m[0]}; replace it before launching`;
      (launch ? err : warn)(path, msg);
    }
  });
  const sectionPaths: Array<[string, unknown]> = [];
  for (const section of SECTIONS) {
    const value = doc[section.key];
    if (!isObject(value)) continue;
    for (const f of section.fields) {
      if (f.type === "path") sectionPaths.push([`${section.key}.${f.key}`, value[f.key]]);
    }
  }
  for (const [path, value] of sectionPaths) {
    if (typeof value !== "string" || value === "") continue;
    if (value.split("/").includes("..")) err(path, "must not contain .. segments");
    if (value.startsWith("/Volumes/") && value.split("/").filter(Boolean).length < 4) {
      err(path, "must name /Volumes/<catalog>/<schema>/<volume>/...");
    }
  }
  if (opts.target !== "databricks") return;
  const data = isObject(doc.data) ? doc.data : {};
  for (const key of DATA_PATHS) {
    const v = data[key];
    if (typeof v === "string" && v !== "" && !v.startsWith("/Volumes/")) {
      err(`data.${key}`, "must be under /Volumes/<catalog>/<schema>/<volume>/ on Databricks");
    }
  }
  const training = isObject(doc.training) ? doc.training : {};
  const output = isObject(doc.output) ? doc.output : {};
  for (
    const [path, v] of [
      ["training.volume_checkpoint_dir", training.volume_checkpoint_dir],
      ["output.results_dir", output.results_dir ?? "/tmp/results"],
    ] as const
  ) {
    if (typeof v === "string" && !v.startsWith("/Volumes/")) {
      warn(path, "is not under /Volumes/, so it is lost when the cluster stops");
    }
  }
  const mlflow = isObject(doc.mlflow) ? doc.mlflow : {};
  const exp = mlflow.experiment_name;
  if (typeof exp === "string" && !exp.startsWith("/")) {
    err(
      "mlflow.experiment_name",
      "must be an absolute workspace path on Databricks, e.g. /Users/<you>/cv_detection",
    );
  } else if (exp === undefined) {
    warn(
      "mlflow.experiment_name",
      "is not set; Databricks needs an absolute workspace path such as /Users/<you>/cv_detection",
    );
  }
}

function walkStrings(v: unknown, path: string, fn: (path: string, value: string) => void) {
  if (typeof v === "string") fn(path, v);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, `${path}[${i}]`, fn));
  else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) walkStrings(x, path ? `${path}.${k}` : k, fn);
  }
}

const UC_NAME_RE = /^[^.\s]+\.[^.\s]+\.[^.\s]+$/;
const ENDPOINT_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

function checkServing(doc: Obj, err: Report) {
  const serving = isObject(doc.serving) ? doc.serving : {};
  const reg = serving.registered_model_name;
  if (typeof reg === "string" && reg !== "" && !UC_NAME_RE.test(reg)) {
    err(
      "serving.registered_model_name",
      `must be catalog.schema.model (three parts), got "${reg}"`,
    );
  }
  const ep = serving.endpoint_name;
  if (typeof ep === "string" && ep !== "" && !ENDPOINT_RE.test(ep)) {
    err(
      "serving.endpoint_name",
      `must be letters, digits, - and _ (at most 63, starting with a letter or digit), got "${ep}"`,
    );
  }
}
