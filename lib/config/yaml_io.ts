/**
 * Reads and writes config YAML. Parsing follows YAML 1.1 (what PyYAML, and so the training
 * job, uses: `yes`/`no` are booleans, `5e-5` is a number), refuses oversized input before
 * parsing, and reports syntax errors with line and column. Writing produces YAML that PyYAML
 * reads back to the same values (small floats keep a decimal point: `5.0e-5`). Browser-safe.
 */

import { Document, isMap, parseDocument, type Scalar } from "yaml";
import { isObject } from "./validate.ts";
import type { ConfigDoc } from "./schema.ts";

/** Largest YAML accepted (bytes). Real configs are a few kilobytes. */
export const MAX_YAML_BYTES = 256 * 1024;

export interface YamlError {
  message: string;
  /** 1-based, when known. */
  line?: number;
  /** 1-based, when known. */
  column?: number;
}

export type ParseResult = { ok: true; doc: ConfigDoc } | { ok: false; error: YamlError };

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.ceil(n / 1024)} KB`;
}

/** Byte length of a string as UTF-8, without encoding huge inputs twice. */
function utf8Length(text: string): number {
  if (text.length > MAX_YAML_BYTES * 4) return text.length; // certainly over the limit
  return new TextEncoder().encode(text).length;
}

/**
 * Parses config YAML into a plain document. Errors name what is wrong and where; nothing is
 * thrown. The top level must be a mapping.
 */
export function parseConfigYaml(text: string): ParseResult {
  const bytes = utf8Length(text);
  if (bytes > MAX_YAML_BYTES) {
    return {
      ok: false,
      error: {
        message: `the YAML is ${formatBytes(bytes)}; a config may be at most ${
          formatBytes(MAX_YAML_BYTES)
        } (is this the right file?)`,
      },
    };
  }
  if (text.trim() === "") return { ok: false, error: { message: "the YAML is empty" } };
  let doc;
  try {
    doc = parseDocument(text, { version: "1.1", uniqueKeys: true, prettyErrors: true });
  } catch (e) {
    return { ok: false, error: { message: `cannot read the YAML: ${(e as Error).message}` } };
  }
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}: ` : "";
    const headline = first.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    return {
      ok: false,
      error: {
        message: `YAML syntax error at ${where}${headline}`,
        line: pos?.line,
        column: pos?.col,
      },
    };
  }
  if (!isMap(doc.contents)) {
    const line = doc.contents?.range ? lineOf(text, doc.contents.range[0]) : undefined;
    const kind = doc.contents === null
      ? "nothing"
      : Array.isArray(doc.contents.toJSON())
      ? "a list"
      : "a single value";
    return {
      ok: false,
      error: {
        message:
          `the top level must be a mapping of sections (model:, data:, ...), but the file holds ${kind}`,
        line,
        column: line ? 1 : undefined,
      },
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, error: { message: `cannot read the YAML: ${(e as Error).message}` } };
  }
  if (!isObject(value)) {
    return { ok: false, error: { message: "the top level must be a mapping of sections" } };
  }
  return { ok: true, doc: normalise(value) as ConfigDoc };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === "\n") line++;
  return line;
}

/** Dates and other YAML 1.1 extras become plain strings so documents stay JSON-shaped. */
function normalise(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (v instanceof Uint8Array) return "";
  if (v instanceof Map) return normalise(Object.fromEntries(v));
  if (v instanceof Set) return [...v].map(normalise);
  if (Array.isArray(v)) return v.map(normalise);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  return v;
}

type TagLike = { tag?: string; format?: string; stringify?: (...a: unknown[]) => string };

/** PyYAML only reads floats with a decimal point and signed exponent: 5.0e-5, not 5e-5. */
function pyFloat(v: number): string | null {
  if (v === 0 || !Number.isFinite(v) || Number.isInteger(v)) return null;
  if (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e15) return null;
  const [mantissa, exp] = v.toExponential().split("e");
  return `${mantissa.includes(".") ? mantissa : mantissa + ".0"}e${exp}`;
}

const customTags = (tags: unknown[]) =>
  (tags as TagLike[]).map((t) => {
    if (t.tag !== "tag:yaml.org,2002:float" || t.format || !t.stringify) return t;
    const base = t.stringify;
    return {
      ...t,
      stringify: (item: Scalar, ...rest: unknown[]) =>
        (typeof item.value === "number" && pyFloat(item.value)) || base(item, ...rest),
    };
  });

/**
 * Writes a config document as YAML: sections in the accelerator's order, then any extra
 * sections; parses back to the same values in both YAML 1.1 and 1.2 readers.
 */
export function stringifyConfig(doc: ConfigDoc): string {
  const order = ["model", "data", "training", "mlflow", "output", "serving", "monitoring"];
  const sorted: ConfigDoc = {};
  for (const k of order) if (k in doc && doc[k] !== undefined) sorted[k] = doc[k];
  for (const k of Object.keys(doc)) if (!(k in sorted) && doc[k] !== undefined) sorted[k] = doc[k];
  const out = new Document(sorted, {
    version: "1.1",
    // deno-lint-ignore no-explicit-any
    customTags: customTags as any,
  });
  return out.toString({ lineWidth: 0, indentSeq: true });
}
