/**
 * Zod fields whose problems read as sentences naming the field and what was given ("confidence
 * threshold must be between 0 and 1, got 5"), for the serving and batch schemas that forms, the
 * JSON API and the CLI share. Browser-safe (zod only).
 */
import { z } from "zod";

/** What was given, short enough for a message: `5`, `"abc"`, `a list`. */
export function shown(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === "number") return Number.isNaN(v) ? "not a number" : String(v);
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : String(v);
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** A number from `min` to `max` (`int`: a whole one). */
export function numberField(label: string, min: number, max: number, opts: { int?: boolean } = {}) {
  const range = opts.int
    ? `a whole number from ${fmt(min)} to ${fmt(max)}`
    : `between ${fmt(min)} and ${fmt(max)}`;
  const error = (i: { input?: unknown }) => `${label} must be ${range}, got ${shown(i.input)}`;
  const n = z.number({ error });
  return (opts.int ? n.int({ error }) : n).min(min, { error }).max(max, { error });
}

/** Text, trimmed, of `min` (default 0) to `max` characters. */
export function textField(label: string, opts: { min?: number; max: number }) {
  const min = opts.min ?? 0;
  const len = (v: unknown) => (typeof v === "string" ? v.length : 0);
  return z.string({ error: (i) => `${label} must be text, got ${shown(i.input)}` }).trim()
    .min(min, {
      error: (i) =>
        min === 1
          ? `${label} is empty`
          : `${label} must be at least ${min} characters, got ${len(i.input)}`,
    })
    .max(opts.max, {
      error: (i) => `${label} is ${fmt(len(i.input))} characters long; at most ${fmt(opts.max)}`,
    });
}

/** Text matching `re`; `what` says what it must look like ("a version number such as 3"). */
export function patternField(label: string, re: RegExp, what: string) {
  return textField(label, { max: 1000 }).regex(re, {
    error: (i) => `${label} must be ${what}, got ${shown(i.input)}`,
  });
}

/** One of `values`. */
export function choiceField<const T extends readonly [string, ...string[]]>(
  label: string,
  values: T,
) {
  return z.enum(values, {
    error: (i) => `${label} must be one of ${values.join(", ")}, got ${shown(i.input)}`,
  });
}

/** True or false. */
export function flagField(label: string) {
  return z.boolean({ error: (i) => `${label} must be true or false, got ${shown(i.input)}` });
}

/**
 * The problems of a failed parse as sentences. A field checked without its own message (zod's
 * wording: "Invalid input", "Too big: ...") gets its path in front, so it still says where.
 */
export function issueMessages(err: z.ZodError): string[] {
  return err.issues.map((i) =>
    /^(Invalid|Too (big|small)|Unrecognized|Expected)\b/.test(i.message)
      ? `${i.path.join(".") || "the request"}: ${i.message}`
      : i.message
  );
}

/** Per-field problems (`path` as dotted field names) for forms and the JSON API's `details`. */
export function issueDetails(err: z.ZodError): { path: string; message: string }[] {
  const messages = issueMessages(err);
  return err.issues.map((i, n) => ({ path: i.path.map(String).join("."), message: messages[n] }));
}
