/**
 * Typed errors shared by lib/, routes and the CLI. One place (lib/web/app.ts) turns them into
 * responses: known errors show their message, unknown ones become a 500 with a request id.
 */

/** An error with an HTTP status whose message is safe to show to the person. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Optional machine-readable details (e.g. per-field problems). */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** 400: the request itself is wrong (bad JSON, bad field, path outside a volume, ...). */
export class BadRequestError extends HttpError {
  constructor(message: string, details?: unknown) {
    super(400, message, details);
    this.name = "BadRequestError";
  }
}

/** 404: the named thing does not exist. */
export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, message);
    this.name = "NotFoundError";
  }
}

/** 409: the request conflicts with current state. */
export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, message);
    this.name = "ConflictError";
  }
}

/**
 * A failure reported by (or while talking to) a workspace: Databricks or the local one.
 * `errorCode` is Databricks' `error_code` (e.g. PERMISSION_DENIED) or a local equivalent.
 */
export class WorkspaceError extends HttpError {
  constructor(
    message: string,
    readonly errorCode: string,
    status = 502,
    readonly requestId?: string,
    /** What the person can do about it, shown under the message. */
    readonly hint?: string,
  ) {
    super(status, message);
    this.name = "WorkspaceError";
  }
}

/** Short text for any thrown value, for logs and CLI output. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** 413: the request body is over a size limit; the message names the limit. */
export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super(413, message);
    this.name = "PayloadTooLargeError";
  }
}

/** 415: the body's content type is not one this endpoint reads. */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, message);
    this.name = "UnsupportedMediaTypeError";
  }
}

/** 422: the body parsed but its fields are wrong; `details` lists `{ path, message }` per field. */
export class UnprocessableError extends HttpError {
  constructor(message: string, details?: unknown) {
    super(422, message, details);
    this.name = "UnprocessableError";
  }
}

/** 503: busy or not ready yet; `retryAfterSeconds` becomes the `Retry-After` header. */
export class ServiceUnavailableError extends HttpError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(503, message);
    this.name = "ServiceUnavailableError";
  }
}

/**
 * A function that hides the server's own folders in text shown to people: a path under
 * `<dataDir>/volumes` becomes its volume path (`/Volumes/c/s/v/...`), anything else under the
 * data folder becomes `<data folder>/...` (escaped with `html`, for rendered pages). Host paths
 * stay in the server log only. The data folder is matched as given, as an absolute path and as
 * its real (link-free) path.
 */
export function hostPathHider(
  dataDir: string,
  opts: { html?: boolean } = {},
): (text: string) => string {
  // in an HTML document the placeholder is escaped, or a browser reads it as a <data> tag
  const placeholder = opts.html ? "&lt;data folder&gt;" : "<data folder>";
  const given = dataDir.replace(/\/+$/, "") || "/";
  const abs = given.startsWith("/") ? given : `${Deno.cwd()}/${given.replace(/^\.\//, "")}`;
  let real = abs;
  try {
    real = Deno.realPathSync(abs);
  } catch { /* not created yet */ }
  const roots = [...new Set([real, abs, given])].filter((r) => r.length > 1)
    .sort((a, b) => b.length - a.length);
  return (text) => {
    if (!text) return text;
    let out = text;
    for (const root of roots) {
      if (!out.includes(root)) continue;
      out = out.replaceAll(`${root}/volumes/`, "/Volumes/")
        .replaceAll(`${root}/volumes`, "/Volumes")
        .replaceAll(root, placeholder);
    }
    return out;
  };
}
