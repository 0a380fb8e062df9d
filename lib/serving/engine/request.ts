/**
 * Model Serving request bodies → images and params, as jobs/lakevision_jobs/serving.py
 * `parse_request` reads them: `dataframe_split`, `dataframe_records`, `instances` or `inputs`,
 * each row's image in an `image` column (also `b64`, `data`, `image_base64`), as base64 or a
 * data URL; optional `params` (`confidence_threshold`, `max_detections`, `top_k`), unknown ones
 * refused so typos do not pass silently. Every problem is a 400 naming where it is.
 */
import { BadRequestError } from "@/lib/errors.ts";
import type { DecodeParams } from "@/lib/inference/postprocess.ts";

/** Images one request may carry. */
export const MAX_IMAGES = 64;
/** The columns an image may come in, in the order they are looked for (serving.py IMAGE_KEYS). */
export const IMAGE_KEYS = ["image", "b64", "data", "image_base64"] as const;
const FORMATS = ["dataframe_split", "dataframe_records", "instances", "inputs"] as const;

/** The images (still base64 text) and decode params of one request. */
export interface ParsedInvocation {
  images: unknown[];
  params: DecodeParams;
}

/** Reads a request body in any Model Serving input format. */
export function parseInvocation(body: unknown): ParsedInvocation {
  if (!isObject(body)) {
    throw new BadRequestError(
      `The request body must be a JSON object with one of ${FORMATS.join(", ")}; got ${
        kind(body)
      }.`,
    );
  }
  const present = FORMATS.filter((f) => f in body);
  if (present.length !== 1) {
    throw new BadRequestError(
      present.length
        ? `The request has ${present.join(" and ")}; send exactly one input format.`
        : `The request needs one of ${FORMATS.join(", ")} (it has ${
          Object.keys(body).slice(0, 5).map((k) => JSON.stringify(k)).join(", ") || "no fields"
        }).`,
    );
  }
  const format = present[0];
  const rows = rowsOf(format, body[format]);
  if (!rows.length) throw new BadRequestError(`${format} holds no rows; send at least one image.`);
  if (rows.length > MAX_IMAGES) {
    throw new BadRequestError(
      `${format} holds ${rows.length} images; at most ${MAX_IMAGES} are taken per request.`,
    );
  }
  const images = rows.map((r, i) => {
    if (!isObject(r)) return r; // a bare value is the image itself (instances: ["<b64>", ...])
    const key = IMAGE_KEYS.find((k) => r[k] !== undefined && r[k] !== null);
    if (!key) {
      throw new BadRequestError(
        `${format} row ${i} has no image column (expected one of ${IMAGE_KEYS.join(", ")}).`,
      );
    }
    return r[key];
  });
  return { images, params: cleanParams(body.params) };
}

/** Known params with the right types; unknown names and non-numbers are 400s. */
export function cleanParams(params: unknown): DecodeParams {
  if (params === undefined || params === null) return {};
  if (!isObject(params)) {
    throw new BadRequestError(`params must be an object, not ${kind(params)}.`);
  }
  const out: DecodeParams = {};
  for (const [k, raw] of Object.entries(params)) {
    if (k !== "confidence_threshold" && k !== "max_detections" && k !== "top_k") {
      throw new BadRequestError(
        `Unknown param ${JSON.stringify(k.slice(0, 60))}; allowed: confidence_threshold, ` +
          "max_detections, top_k.",
      );
    }
    if (raw === null) continue;
    const v = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new BadRequestError(`param ${k} must be a number, got ${JSON.stringify(raw)}.`);
    }
    if (k === "confidence_threshold") {
      if (v < 0 || v > 1) {
        throw new BadRequestError(`param ${k} must be between 0 and 1, got ${v}.`);
      }
      out[k] = v;
    } else {
      if (!Number.isInteger(v) || v < 1 || v > 10_000) {
        throw new BadRequestError(`param ${k} must be a whole number from 1 to 10,000, got ${v}.`);
      }
      out[k] = v;
    }
  }
  return out;
}

/**
 * The bytes of one image value: base64 text (whitespace ignored) or a `data:` URL. A 400 naming
 * `what` when it is not text or not base64.
 */
export function imageBytes(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string") {
    throw new BadRequestError(`${what} must be base64 text, not ${kind(value)}.`);
  }
  let s = value;
  if (s.startsWith("data:")) {
    const comma = s.indexOf(",");
    if (comma < 0 || !/;base64$/i.test(s.slice(0, comma))) {
      throw new BadRequestError(`${what} is a data URL without ";base64,"; send base64 data.`);
    }
    s = s.slice(comma + 1);
  }
  s = s.replace(/\s+/g, "");
  if (!s) throw new BadRequestError(`${what} is empty.`);
  // URL-safe base64 is accepted too; anything else outside the alphabet is refused.
  s = s.replaceAll("-", "+").replaceAll("_", "/");
  const bad = /[^A-Za-z0-9+/=]/.exec(s);
  if (bad || /=[^=]/.test(s) || s.replace(/=+$/, "").length % 4 === 1) {
    throw new BadRequestError(
      `${what} is not valid base64${
        bad ? ` (character ${JSON.stringify(bad[0])} at position ${bad.index})` : ""
      }.`,
    );
  }
  const padded = s.replace(/=+$/, "");
  const binary = atob(padded + "=".repeat((4 - (padded.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function rowsOf(format: typeof FORMATS[number], v: unknown): unknown[] {
  switch (format) {
    case "dataframe_split": {
      if (!isObject(v)) {
        throw new BadRequestError(
          `dataframe_split must be an object {columns, data}, not ${kind(v)}.`,
        );
      }
      const cols = v.columns;
      const data = v.data;
      if (!Array.isArray(data)) {
        throw new BadRequestError("dataframe_split.data must be an array of rows.");
      }
      if (cols === undefined) {
        // No columns: each row's first value is the image.
        return data.map((r, i) => {
          if (!Array.isArray(r)) {
            throw new BadRequestError(`dataframe_split.data[${i}] is not a row.`);
          }
          return r[0];
        });
      }
      if (!Array.isArray(cols) || cols.some((c) => typeof c !== "string")) {
        throw new BadRequestError("dataframe_split.columns must be an array of column names.");
      }
      if (data.length > MAX_IMAGES) return data; // refused by the caller with the count
      return data.map((r, i) => {
        if (!Array.isArray(r)) {
          throw new BadRequestError(
            `dataframe_split.data[${i}] must be an array of ${cols.length} value(s), not ${
              kind(r)
            }.`,
          );
        }
        return Object.fromEntries(cols.map((c, j) => [c, r[j]]));
      });
    }
    case "dataframe_records":
    case "instances":
      if (!Array.isArray(v)) {
        throw new BadRequestError(`${format} must be an array of rows, not ${kind(v)}.`);
      }
      return v;
    case "inputs": {
      if (Array.isArray(v)) return v;
      if (!isObject(v)) {
        throw new BadRequestError(
          `inputs must be an array or an object of columns, not ${kind(v)}.`,
        );
      }
      const cols = Object.entries(v);
      for (const [c, vals] of cols) {
        if (!Array.isArray(vals)) {
          throw new BadRequestError(`inputs.${c} must be an array (one value per image).`);
        }
      }
      const n = Math.min(...cols.map(([, vals]) => (vals as unknown[]).length));
      return Array.from(
        { length: Number.isFinite(n) ? n : 0 },
        (_, i) => Object.fromEntries(cols.map(([c, vals]) => [c, (vals as unknown[])[i]])),
      );
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
