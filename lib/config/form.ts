/**
 * The config form: flat `section.field` string values ↔ a config document. The server page and
 * the editor island both use it, so a form posted without JavaScript and the live preview give
 * the same document. Fields the form does not show (ignored or unknown keys) are kept from the
 * starting document. Browser-safe.
 */

import { type FieldSpec, formFields, SECTIONS, type SectionSpec } from "./fields.ts";
import type { ConfigDoc } from "./schema.ts";
import { type Task, TASKS } from "./tasks.ts";
import type { Problem } from "./validate.ts";
import { isObject } from "./validate.ts";

/** Form values by dotted field path (`model.image_size` → `"800"`). */
export type FormValues = Record<string, string>;

/** Numbers as a person would type them: 0.0001 → "1e-4". */
export function formatNumber(n: number): string {
  if (n !== 0 && Number.isFinite(n) && !Number.isInteger(n) && Math.abs(n) < 1e-3) {
    return n.toExponential();
  }
  return String(n);
}

function toText(f: FieldSpec, v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return v;
  if (f.type === "image_size" && Array.isArray(v)) return v.join(", ");
  if (f.type === "string_list" && Array.isArray(v)) return v.join(", ");
  if (f.type === "string_map" && isObject(v)) {
    return Object.entries(v).map(([k, x]) => `${k}: ${x}`).join("\n");
  }
  return JSON.stringify(v);
}

/** The sections and fields a form shows for a task. */
export function formSections(task: Task): Array<{ section: SectionSpec; fields: FieldSpec[] }> {
  return SECTIONS.map((section) => ({ section, fields: formFields(section, task) }));
}

/** Text values for every field the form shows, from a document. */
export function docToFormValues(doc: ConfigDoc, task: Task): FormValues {
  const out: FormValues = {};
  for (const { section, fields } of formSections(task)) {
    const s = isObject(doc[section.key]) ? doc[section.key] as Record<string, unknown> : {};
    for (const f of fields) out[`${section.key}.${f.key}`] = toText(f, s[f.key]);
  }
  return out;
}

const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function fromText(f: FieldSpec, raw: string): unknown {
  const t = raw.trim();
  switch (f.type) {
    case "int":
    case "number":
      return NUMBER_RE.test(t) ? Number(t) : t;
    case "boolean":
      return t === "true" ? true : t === "false" ? false : t;
    case "enum":
      // `mlflow.enabled: auto | true | false`: the booleans are YAML booleans.
      return f.options?.includes(t) && (t === "true" || t === "false") ? t === "true" : t;
    case "image_size": {
      const parts = t.replace(/^\[|\]$/g, "").split(/[\s,x×]+/).filter(Boolean);
      if (parts.length > 0 && parts.every((p) => /^\d+$/.test(p))) {
        const nums = parts.map(Number);
        return nums.length === 1 ? nums[0] : nums;
      }
      return t;
    }
    case "string_list":
      return t.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
    case "string_map": {
      const out: Record<string, string> = {};
      for (const line of t.split("\n")) {
        if (!line.trim()) continue;
        const m = line.match(/^\s*([^:=]+?)\s*[:=]\s*(.*?)\s*$/);
        if (!m) return t; // reported by validation as "must be a mapping"
        out[m[1]] = m[2];
      }
      return out;
    }
    default:
      return t;
  }
}

/**
 * Applies posted values onto the starting document. An empty field is removed (the training
 * job's default applies; required fields are then reported by validation). Text that is not a
 * number in a number field is kept as text so validation can say so next to the field.
 */
export function formValuesToDoc(base: ConfigDoc, values: FormValues, task: Task): ConfigDoc {
  const doc: ConfigDoc = structuredClone(base);
  for (const { section, fields } of formSections(task)) {
    const existing = isObject(doc[section.key]) ? doc[section.key] as Record<string, unknown> : {};
    const next: Record<string, unknown> = { ...existing };
    let touched = false;
    for (const f of fields) {
      const path = `${section.key}.${f.key}`;
      if (!(path in values)) continue;
      touched = true;
      const raw = values[path];
      if (raw.trim() === "") delete next[f.key];
      else next[f.key] = fromText(f, raw);
    }
    if (!touched) continue;
    if (Object.keys(next).length === 0 && !section.required) delete doc[section.key];
    else doc[section.key] = next;
  }
  return doc;
}

/** The form field a problem belongs to: `model.image_size[1]` → `model.image_size`. */
export function fieldOfPath(path: string): string {
  return path.replace(/\[.*$/, "").split(".").slice(0, 2).join(".");
}

/** Problems grouped by form field; problems without a shown field go under `""`. */
export function problemsByField(problems: Problem[], task: Task | null): Record<string, string[]> {
  const shown = new Set(task ? Object.keys(docToFormValues({}, task)) : []);
  const out: Record<string, string[]> = {};
  for (const p of problems) {
    const field = fieldOfPath(p.path);
    const k = shown.has(field) ? field : "";
    const msg = k ? p.message : (p.path ? `${p.path}: ${p.message}` : p.message);
    (out[k] ??= []).push(msg);
  }
  return out;
}

/** What a posted config form holds. */
export interface PostedConfigForm {
  name: string;
  message: string;
  baseVersion: number | null;
  /** The latest version the editor saw when it opened. */
  expectedLatest: number | null;
  /** The task the form was laid out for. */
  task: Task;
  base: ConfigDoc;
  values: FormValues;
  /** `base` with the posted values applied. */
  doc: ConfigDoc;
}

/**
 * Reads a posted config form. `fallbackBase` is used when the hidden starting document is
 * missing or not a mapping (a hand-made request).
 */
export function readConfigForm(
  form: FormData,
  fallbackTask: Task,
  fallbackBase: ConfigDoc,
): PostedConfigForm {
  const text = (k: string) => {
    const v = form.get(k);
    return typeof v === "string" ? v : "";
  };
  let base: ConfigDoc = fallbackBase;
  try {
    const parsed = JSON.parse(text("base") || "null");
    if (isObject(parsed)) base = parsed;
  } catch {
    // keep the fallback
  }
  const taskText = text("form_task");
  const task = (TASKS as readonly string[]).includes(taskText) ? taskText as Task : fallbackTask;
  const values: FormValues = {};
  for (const { section, fields } of formSections(task)) {
    for (const f of fields) {
      const path = `${section.key}.${f.key}`;
      const v = form.get(path);
      if (typeof v === "string") values[path] = v;
    }
  }
  const bv = Number(text("base_version"));
  const el = Number(text("expected_latest") || NaN);
  return {
    name: text("name").trim(),
    message: text("message").trim().slice(0, 500),
    baseVersion: Number.isInteger(bv) && bv > 0 ? bv : null,
    expectedLatest: Number.isInteger(el) && el > 0 ? el : null,
    task,
    base,
    values,
    doc: formValuesToDoc(base, values, task),
  };
}
