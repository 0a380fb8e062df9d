/**
 * Request body readers. Every route reads its body through these, so a wrong content type, a
 * malformed form, broken JSON, absurd nesting or a body over the limit is a 4xx that says what is
 * wrong — decided here once, never a 500 from deep inside `formData()` or a recursive walk.
 *
 * Content types: `readForm` needs `application/x-www-form-urlencoded` or `multipart/form-data`
 * (with a boundary). `readJson` takes `application/json` or any `application/*+json`, and also a
 * body with no content type at all: scripts and the CLI often omit it, and a browser cannot send a
 * body without one, so allowing it opens nothing cross-site (same-origin checks still apply).
 */
import type { z } from "zod";
import {
  BadRequestError,
  HttpError,
  PayloadTooLargeError,
  UnprocessableError,
  UnsupportedMediaTypeError,
} from "@/lib/errors.ts";

/** Deepest array/object nesting a JSON body may have; deeper is refused before parsing. */
export const MAX_JSON_DEPTH = 64;

/** The media type of a request (`type/subtype`, lower case), or "" when none is sent. */
export function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

/** Form body (urlencoded or multipart). 415 when the content type is not a form, 400 naming what is malformed (no boundary, broken multipart), 413 when the body limit's stream error fires. */
export async function readForm(req: Request): Promise<FormData> {
  const type = mediaType(req);
  if (type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") {
    throw new UnsupportedMediaTypeError(
      `Expected a form (application/x-www-form-urlencoded or multipart/form-data), got ${
        type ? JSON.stringify(type) : "no content type"
      }.`,
    );
  }
  if (type === "multipart/form-data" && !boundaryOf(req)) {
    throw new BadRequestError("The multipart/form-data body has no boundary in its content type.");
  }
  try {
    return await req.formData();
  } catch (e) {
    throw bodyError(e, `The ${type} body is malformed and could not be read as a form`);
  }
}

/** JSON body, parsed and (when schema given) validated with zod. 415 when not application/json (a missing content type is allowed, see above), 400 for a syntax error (say where) or nesting deeper than MAX_JSON_DEPTH, 422 with per-field details for schema issues, 413 over the limit. */
export async function readJson<T = unknown>(req: Request, schema?: z.ZodType<T>): Promise<T> {
  const type = mediaType(req);
  if (type && type !== "application/json" && !/^application\/[\w.+-]+\+json$/.test(type)) {
    throw new UnsupportedMediaTypeError(
      `Expected an application/json body, got ${JSON.stringify(type)}.`,
    );
  }
  let text: string;
  try {
    text = await req.text();
  } catch (e) {
    throw bodyError(e, "The request body could not be read");
  }
  if (!text.trim()) throw new BadRequestError("The request body is empty; send a JSON document.");
  const depth = jsonDepth(text, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) {
    throw new BadRequestError(
      `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep; nothing that deep is valid here.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // V8's message says where: "... in JSON at position 8 (line 1 column 9)".
    throw new BadRequestError(`The body is not valid JSON: ${(e as Error).message}.`);
  }
  if (!schema) return value as T;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((i) => ({
    path: i.path.map(String).join("."),
    message: i.message,
  }));
  const shown = details.slice(0, 5).map((d) => `${d.path || "body"}: ${d.message}`).join("; ");
  throw new UnprocessableError(
    `The request is not valid: ${shown}${
      details.length > 5 ? ` (and ${details.length - 5} more)` : ""
    }.`,
    details,
  );
}

/** Raw bytes with a cap (bytes); 413 past it. */
export async function readBytes(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw overCap(declared, maxBytes);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let seen = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += value.byteLength;
      if (seen > maxBytes) {
        await reader.cancel().catch(() => {});
        throw overCap(seen, maxBytes);
      }
      chunks.push(value);
    }
  } catch (e) {
    throw bodyError(e, "The request body could not be read");
  }
  const out = new Uint8Array(seen);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * The deepest nesting of arrays and objects in `text`, counting only brackets outside strings;
 * stops early once past `stopAt`. Linear and allocation-free, so it runs before `JSON.parse`.
 */
export function jsonDepth(text: string, stopAt = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) {
        max = depth;
        if (max > stopAt) return max;
      }
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return max;
}

function boundaryOf(req: Request): string | undefined {
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(
    req.headers.get("content-type") ?? "",
  );
  return m?.[1] ?? m?.[2];
}

/** Keeps the body limit's own 413 (or any HttpError); anything else is the client's bad body. */
function bodyError(e: unknown, what: string): HttpError {
  if (e instanceof HttpError) return e;
  const why = e instanceof Error && e.message ? `: ${e.message}` : "";
  return new BadRequestError(`${what}${why}.`);
}

function overCap(len: number, max: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `The request body is too large (${len} bytes so far; the limit here is ${max} bytes).`,
  );
}
