/**
 * Validates a parsed config document: zod types and ranges (schema.ts), then the rules that
 * span fields (task ↔ model, image size the model can take, monitor metric the task logs,
 * placeholders, volume paths). The same function runs on the server, in the CLI and in the
 * browser island. Browser-safe.
 */

import { isObject } from "./object.ts";
import {
  checkData,
  checkModel,
  checkMonitor,
  checkServing,
  type RuleContext,
} from "./validate_rules.ts";
import { DEPRECATED_TRAINING_KEYS, isRequired, SECTION_KEYS, SECTIONS } from "./fields.ts";
import { ConfigSchema, showValue } from "./schema.ts";
import { resolveTask, type Task, TASK_LABELS } from "./tasks.ts";

/** One problem, at a dotted path such as `model.image_size` (`""` = the whole file). */
export interface Problem {
  path: string;
  message: string;
  /** A value for the field that fixes it, where one is known (the editor offers it). */
  fix?: string;
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

export { isObject };

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
  const ctx: RuleContext = {
    err,
    warn,
    block: opts.mode === "launch" ? err : warn,
    rawTaskType: model.task_type,
  };
  if (task) {
    checkModel(model, task, ctx);
    checkData(data, task, ctx);
    checkMonitor(training, task, ctx);
  }
  checkStrings(doc, opts, err, warn);
  checkServing(doc, ctx);

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

/** Placeholders, `..` segments, volume shape, and Databricks-only path rules. */
function checkStrings(doc: Obj, opts: ValidateOptions, err: Report, warn: Report) {
  const launch = opts.mode === "launch";
  walkStrings(doc, "", (path, value) => {
    const m = value.match(PLACEHOLDER_RE);
    if (m) {
      const msg = `still holds the placeholder ${m[0]}; replace it before launching`;
      (launch ? err : warn)(path, msg);
    }
  }, (path) => err(path, `is nested more than ${MAX_CONFIG_DEPTH} levels deep`));
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

/** Deepest nesting walked in a config; deeper parts are reported once and not descended into. */
export const MAX_CONFIG_DEPTH = 64;

/**
 * Calls `fn` for every string in `v` with its path. Iterative with a depth cap, so a document
 * nested thousands deep (a hostile JSON body) cannot overflow the stack; `tooDeep` gets the path
 * of the first value past the cap.
 */
function walkStrings(
  v: unknown,
  path: string,
  fn: (path: string, value: string) => void,
  tooDeep: (path: string) => void,
) {
  const stack: Array<[unknown, string, number]> = [[v, path, 0]];
  let reported = false;
  while (stack.length) {
    const [x, p, depth] = stack.pop()!;
    if (typeof x === "string") {
      fn(p, x);
      continue;
    }
    if (!Array.isArray(x) && !isObject(x)) continue;
    if (depth >= MAX_CONFIG_DEPTH) {
      if (!reported) tooDeep(p);
      reported = true;
      continue;
    }
    const children: Array<[unknown, string, number]> = Array.isArray(x)
      ? x.map((c, i) => [c, `${p}[${i}]`, depth + 1])
      : Object.entries(x).map(([k, c]) => [c, p ? `${p}.${k}` : k, depth + 1]);
    // Reversed onto the stack, so strings are visited in document order as before.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}
