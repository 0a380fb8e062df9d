/**
 * Zod schemas for the seven config sections, built from the field descriptions in
 * fields.ts. Sections keep unknown keys (the accelerator allows extras); the validator flags
 * them. Browser-safe: the form island imports this same module, so it is written against zod's
 * tree-shakable `zod/mini` API (a few KB in the browser instead of the whole library); the
 * messages are this module's own, so they read the same as with classic zod.
 */

import * as z from "zod/mini";
import { type FieldSpec, type SectionKey, SECTIONS, type SectionSpec } from "./fields.ts";

/** A short rendering of a bad value for error messages. */
export function showValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") {
    return v.length > 40 ? `"${v.slice(0, 37)}..." (text)` : `"${v}" (text)`;
  }
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === "object") return "a mapping";
  return String(v);
}

type Issue = { input?: unknown };
const typeError = (what: string) => (iss: Issue) =>
  iss.input === undefined ? "is required" : `must be ${what}, got ${showValue(iss.input)}`;

function numberSchema(f: FieldSpec, int: boolean): z.ZodMiniType {
  const checks = [];
  if (int) {
    checks.push(
      z.int({ error: (iss: Issue) => `must be a whole number, got ${showValue(iss.input)}` }),
    );
  }
  if (f.min !== undefined) {
    checks.push(z.minimum(f.min, {
      error: (iss: Issue) => `must be at least ${f.min}, got ${showValue(iss.input)}`,
    }));
  }
  if (f.max !== undefined) {
    checks.push(z.maximum(f.max, {
      error: (iss: Issue) => `must be at most ${f.max}, got ${showValue(iss.input)}`,
    }));
  }
  return z.number({ error: typeError(int ? "a whole number" : "a number") }).check(...checks);
}

const LAX_TRUE = ["true", "1", "yes", "on"];
const LAX_FALSE = ["false", "0", "no", "off"];

function booleanSchema(f: FieldSpec): z.ZodMiniType {
  if (!f.laxBoolean) return z.boolean({ error: typeError("true or false") });
  return refined((v, ctx) => {
    if (typeof v === "boolean") return;
    if (typeof v === "string" && [...LAX_TRUE, ...LAX_FALSE].includes(v.toLowerCase())) return;
    ctx.addIssue({
      code: "custom",
      message: v === undefined ? "is required" : `must be true or false, got ${showValue(v)}`,
    });
  });
}

/** Reads a lax boolean (`"yes"`, `"1"`, ...) the way the training job does. */
export function toBoolean(v: unknown, fallback: boolean): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    if (LAX_TRUE.includes(v.toLowerCase())) return true;
    if (LAX_FALSE.includes(v.toLowerCase())) return false;
  }
  return fallback;
}

/** Enum values as the job reads them: `precision: 32` and `enabled: true` are fine. */
function enumSchema(f: FieldSpec): z.ZodMiniType {
  const ok = new Set([...f.options!, ...(f.accepts ?? [])].map((o) => o.toLowerCase()));
  return refined((v, ctx) => {
    const text = typeof v === "string" || typeof v === "number" || typeof v === "boolean"
      ? String(v).toLowerCase()
      : null;
    if (text !== null && ok.has(text)) return;
    ctx.addIssue({
      code: "custom",
      message: v === undefined
        ? "is required"
        : `must be one of ${f.options!.join(", ")}, got ${showValue(v)}`,
    });
  });
}

function imageSizeSchema(f: FieldSpec): z.ZodMiniType {
  const min = f.min ?? 1, max = f.max ?? 100000;
  const one = (n: unknown): string | null => {
    if (typeof n !== "number" || !Number.isInteger(n)) {
      return `must be a whole number of pixels or a list [height, width], got ${showValue(n)}`;
    }
    if (n < min || n > max) return `must be between ${min} and ${max} px, got ${n}`;
    return null;
  };
  return refined((v, ctx) => {
    if (v === undefined) return ctx.addIssue({ code: "custom", message: "is required" });
    if (Array.isArray(v)) {
      if (v.length < 1 || v.length > 2) {
        return ctx.addIssue({ code: "custom", message: `must list 1 or 2 sizes, got ${v.length}` });
      }
      v.forEach((n, i) => {
        const p = one(n);
        if (p) ctx.addIssue({ code: "custom", message: p, path: [i] });
      });
      return;
    }
    const p = one(v);
    if (p) ctx.addIssue({ code: "custom", message: p });
  });
}

/** Any value, checked by `fn` (which reports through `ctx.addIssue`). */
function refined(fn: (v: unknown, ctx: z.core.$RefinementCtx<unknown>) => void): z.ZodMiniType {
  return z.unknown().check(z.superRefine(fn));
}

/** The zod schema for one field's value. */
export function fieldSchema(f: FieldSpec): z.ZodMiniType {
  let s: z.ZodMiniType;
  switch (f.type) {
    case "string":
    case "path":
      s = f.required === true || f.type === "path"
        ? z.string({ error: typeError("text") }).check(
          z.trim(),
          z.minLength(1, { error: "must not be empty" }),
        )
        : z.string({ error: typeError("text") });
      break;
    case "int":
      s = numberSchema(f, true);
      break;
    case "number":
      s = numberSchema(f, false);
      break;
    case "boolean":
      s = booleanSchema(f);
      break;
    case "enum":
      s = enumSchema(f);
      break;
    case "image_size":
      s = imageSizeSchema(f);
      break;
    case "number_list":
      s = z.array(z.number({ error: typeError("a number") }), {
        error: typeError("a list of numbers"),
      });
      break;
    case "string_list":
      s = z.array(z.string({ error: typeError("text") }), { error: typeError("a list of text") });
      break;
    case "string_map":
      s = z.record(z.string(), z.string({ error: typeError("text (quote numbers)") }), {
        error: typeError("a mapping of key: text"),
      });
      break;
    default:
      s = z.unknown();
  }
  if (f.nullable) s = z.nullable(s);
  // Requiredness is decided per task by the validator; the schema accepts absence.
  return z.optional(s);
}

/** The zod schema of one section: known fields typed, extra keys kept. */
export function sectionSchema(section: SectionSpec): z.ZodMiniType {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const f of section.fields) shape[f.key] = fieldSchema(f);
  return z.looseObject(shape, { error: typeError("a mapping of fields") });
}

/** Schemas for every section, by key. */
export const SECTION_SCHEMAS: Record<SectionKey, z.ZodMiniType> = Object.fromEntries(
  SECTIONS.map((s) => [s.key, sectionSchema(s)]),
) as Record<SectionKey, z.ZodMiniType>;

/**
 * The whole document: `model` and `data` required, the other five optional, unknown top-level
 * keys kept. Type and range errors only; cross-field rules live in validate.ts.
 */
export const ConfigSchema = z.looseObject(
  Object.fromEntries(
    SECTIONS.map((
      s,
    ) => [s.key, s.required ? SECTION_SCHEMAS[s.key] : z.optional(SECTION_SCHEMAS[s.key])]),
  ),
  { error: typeError("a mapping of sections (model, data, training, ...)") },
);

/** A parsed config document: sections of plain values. */
export type ConfigDoc = Record<string, unknown>;
