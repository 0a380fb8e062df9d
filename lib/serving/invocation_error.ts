/**
 * Errors of the invocation path (`/serving-endpoints/<name>/invocations`) in Databricks Model
 * Serving's shape, `{"error_code": "...", "message": "..."}`, so a client written for Model
 * Serving (the Databricks SDK's error parser, MLflow's deployments client, curl scripts) reads
 * the local endpoint's errors as it reads Databricks'. The HTTP status stays what the app's
 * error says (400, 404, 413, 422, 503 with `Retry-After`, ...). The rest of the app's JSON API
 * keeps its own `{"error": {message, status, requestId}}`.
 */
import { HttpError, ServiceUnavailableError, WorkspaceError } from "@/lib/errors.ts";

/**
 * True for a path of the app's Model Serving API (`/serving-endpoints/<name>/...`): its errors,
 * whatever refuses the request, answer in Model Serving's shape.
 */
export function onInvocationPath(pathname: string): boolean {
  return pathname.startsWith("/serving-endpoints/");
}

/** Model Serving's body for an error. */
export interface ModelServingError {
  error_code: string;
  message: string;
}

/** Databricks' `error_code` for each status the app answers with (as the SDK maps them back). */
const CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "RESOURCE_DOES_NOT_EXIST",
  405: "BAD_REQUEST",
  409: "RESOURCE_CONFLICT",
  413: "BAD_REQUEST",
  415: "BAD_REQUEST",
  422: "INVALID_PARAMETER_VALUE",
  429: "REQUEST_LIMIT_EXCEEDED",
  499: "CANCELLED",
  500: "INTERNAL_ERROR",
  501: "NOT_IMPLEMENTED",
  502: "INTERNAL_ERROR",
  503: "TEMPORARILY_UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** The `error_code` for a status: the table above, else BAD_REQUEST / INTERNAL_ERROR. */
export function errorCodeFor(status: number): string {
  return CODES[status] ?? (status < 500 ? "BAD_REQUEST" : "INTERNAL_ERROR");
}

/**
 * The response for an error of the invocation path. A known error (`HttpError`) keeps its
 * status and message (a workspace's own `error_code`, e.g. Databricks' PERMISSION_DENIED, is
 * passed on, its hint added to the message); anything else is a 500 that says only where to look
 * (`requestId`, which the server log has with the cause). `hide` cleans host paths out of text.
 */
export function modelServingErrorResponse(
  err: unknown,
  opts: { requestId: string; hide?: (text: string) => string },
): Response {
  const hide = opts.hide ?? ((t: string) => t);
  let status = 500;
  let body: ModelServingError = {
    error_code: "INTERNAL_ERROR",
    message: `Something went wrong on the server (request id ${opts.requestId}).`,
  };
  if (err instanceof HttpError) {
    status = err.status;
    const hint = err instanceof WorkspaceError && err.hint ? ` What to do: ${err.hint}` : "";
    body = {
      error_code: err instanceof WorkspaceError && /^[A-Z][A-Z_]*$/.test(err.errorCode)
        ? err.errorCode
        : errorCodeFor(status),
      message: hide(err.message + hint),
    };
  }
  const headers = new Headers({ "cache-control": "no-store" });
  if (err instanceof ServiceUnavailableError) {
    headers.set("retry-after", String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
  }
  return Response.json(body, { status, headers });
}

/**
 * The message of an error body from an invocation path: Model Serving's `message` (with its
 * `error_code`), or this app's `{"error": {"message"}}` of older versions; null when neither.
 */
export function invocationErrorMessage(body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  const b = body as { message?: unknown; error?: { message?: unknown } };
  if (typeof b.message === "string") return b.message;
  if (b.error && typeof b.error === "object" && typeof b.error.message === "string") {
    return b.error.message;
  }
  return null;
}
