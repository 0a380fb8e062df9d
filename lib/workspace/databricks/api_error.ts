/**
 * Turns Databricks error answers (every body variant the REST API and its proxies send) into
 * `WorkspaceError`s that say what failed, why (in Databricks' words) and what to do about it.
 */
import { z } from "zod";
import { userScopeHint } from "./scopes.ts";
import { WorkspaceError } from "@/lib/errors.ts";

/** A WorkspaceError from the Databricks adapter, with the request it belongs to. */
export class DatabricksError extends WorkspaceError {
  constructor(
    message: string,
    errorCode: string,
    status: number,
    requestId: string | undefined,
    hint: string | undefined,
    /** What Databricks itself said, verbatim (trimmed), when it said anything. */
    readonly databricksMessage?: string,
    /** How many attempts were made before giving up. */
    readonly attempts = 1,
    /** The underlying failure (network error, timeout, bad JSON), kept for diagnosis. */
    override readonly cause?: unknown,
  ) {
    super(message, errorCode, status, requestId, hint);
    this.name = "DatabricksError";
  }
}

/** The request an error belongs to; used to word the message and the hint. */
export interface ErrorContext {
  method: string;
  /** API path without the query string. */
  path: string;
  /** Human description of the action, e.g. "Listing /Volumes/main/cv/data". */
  what?: string;
  /** The call was made with the signed-in user's forwarded token (scopes apply). */
  asUser?: boolean;
}

const errorDetail = z.looseObject({
  "@type": z.string().optional(),
  reason: z.string().optional(),
  request_id: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** Standard, legacy (API 1.2) and SCIM error bodies; `error_code` may be a number. */
const errorBody = z.looseObject({
  error_code: z.union([z.string(), z.number()]).optional(),
  message: z.string().optional(),
  details: z.array(errorDetail).optional(),
  error: z.union([z.string(), z.looseObject({})]).optional(),
  detail: z.string().optional(),
  scimType: z.string().optional(),
  status: z.union([z.string(), z.number()]).optional(),
});

const CODE_BY_STATUS: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "RESOURCE_CONFLICT",
  413: "REQUEST_TOO_LARGE",
  429: "REQUEST_LIMIT_EXCEEDED",
  500: "INTERNAL_ERROR",
  501: "NOT_IMPLEMENTED",
  502: "BAD_GATEWAY",
  503: "TEMPORARILY_UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** Fallback error code for an HTTP status that came without one. */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? "INTERNAL_ERROR" : `HTTP_${status}`);
}

/** Request id from the usual response headers. */
export function requestIdFrom(headers: Headers): string | undefined {
  return headers.get("x-request-id") ?? headers.get("x-databricks-request-id") ??
    headers.get("x-databricks-org-id-request-id") ?? undefined;
}

/** Parses any error body into (code, message, request id); never throws. */
export function parseErrorBody(
  status: number,
  text: string,
  headers: Headers,
): { code: string; message?: string; requestId?: string; htmlTitle?: string } {
  let requestId = requestIdFrom(headers);
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed = errorBody.safeParse(JSON.parse(trimmed));
      if (parsed.success) {
        const b = parsed.data;
        for (const d of b.details ?? []) requestId ??= d.request_id;
        const legacy = typeof b.error === "string" ? b.error : undefined;
        const message = b.message ?? legacy ?? b.detail;
        let code = b.error_code !== undefined ? String(b.error_code) : undefined;
        if (!code && b.scimType) code = b.scimType.toUpperCase();
        return { code: code ?? codeForStatus(status), message: message?.trim(), requestId };
      }
    } catch {
      // fall through: treat as text
    }
  }
  if (/^<|<html|<!doctype/i.test(trimmed)) {
    const title = /<title>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim() ||
      /<h1>([^<]*)<\/h1>/i.exec(trimmed)?.[1]?.trim();
    return { code: codeForStatus(status), requestId, htmlTitle: title || "an HTML page" };
  }
  return {
    code: codeForStatus(status),
    message: trimmed ? trimmed.slice(0, 300) : undefined,
    requestId,
  };
}

/** `/Volumes/c/s/v/...` (or the Files API path carrying it) → `c.s.v`. */
export function volumeOf(path: string): string | undefined {
  const m = /\/Volumes\/([^/]+)\/([^/]+)\/([^/]+)/.exec(decodeURIComponent(path));
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** What to do about an error, worded for the person using the app. */
export function hintFor(
  code: string,
  status: number,
  ctx: ErrorContext & { databricksMessage?: string },
): string | undefined {
  const p = ctx.path;
  const reading = ctx.method === "GET" || ctx.method === "HEAD";
  if (code === "PERMISSION_DENIED" || status === 403) {
    if (ctx.asUser && /scope/i.test(ctx.databricksMessage ?? "")) return userScopeHint(p);
    if (p.startsWith("/api/2.0/fs/")) {
      const vol = volumeOf(p) ?? "the volume";
      const [cat, sch] = vol.split(".");
      const priv = reading ? "READ VOLUME" : "WRITE VOLUME";
      return `The acting identity needs ${priv} on volume ${vol} (plus USE CATALOG on ${cat} ` +
        `and USE SCHEMA on ${cat}.${sch}). Ask its owner to run: ` +
        `GRANT ${priv} ON VOLUME ${vol} TO \`<user or service principal>\`.`;
    }
    if (p.includes("/unity-catalog/volumes")) {
      return "Browsing volumes needs USE CATALOG and USE SCHEMA, and READ VOLUME on the volume.";
    }
    if (p.includes("/unity-catalog/models") || p.includes("/mlflow/unity-catalog/")) {
      return reading
        ? "Reading a Unity Catalog model needs EXECUTE on the model (or BROWSE) plus USE CATALOG and USE SCHEMA."
        : "Changing a Unity Catalog model (aliases, tags, versions) needs ownership or MANAGE on the model; " +
          "creating one needs CREATE MODEL on the schema.";
    }
    if (p.startsWith("/api/2.2/jobs/") || p.startsWith("/api/2.1/jobs/")) {
      return reading
        ? "Viewing this run needs CAN_VIEW on its job."
        : "Submitting runs needs permission to create clusters (or a cluster policy you may use); " +
          "cancelling needs CAN_MANAGE_RUN.";
    }
    if (p.includes("/serving-endpoints")) {
      return p.endsWith("/invocations")
        ? "Querying an endpoint needs CAN_QUERY on it."
        : reading
        ? "Viewing an endpoint needs CAN_VIEW on it."
        : "Creating or updating endpoints needs CAN_MANAGE (and EXECUTE on the served model).";
    }
    if (p.startsWith("/api/2.0/mlflow/")) {
      return reading
        ? "Reading this experiment needs CAN_READ on it."
        : "Writing to this experiment needs CAN_EDIT on it.";
    }
    if (p.startsWith("/api/2.0/sql/")) {
      return "Running SQL needs CAN_USE on the SQL warehouse and SELECT on the tables.";
    }
    if (p.startsWith("/api/2.0/workspace/")) {
      return "Uploading job code needs CAN_MANAGE (or CAN_EDIT) on the target workspace folder.";
    }
    if (p.startsWith("/api/2.1/clusters/") || p.startsWith("/api/2.0/clusters/")) {
      return "Listing node types and runtimes needs the workspace's cluster-create entitlement.";
    }
    return "The acting identity lacks a permission this call needs; ask a workspace admin.";
  }
  if (
    (code === "UNAUTHENTICATED" || status === 401) &&
    /\/serving-endpoints\/[^/]+\/invocations$/.test(p) && !p.startsWith("/serving-endpoints/")
  ) {
    return "This endpoint is route-optimized and accepts OAuth tokens only: use OAuth M2M " +
      "(DATABRICKS_CLIENT_ID/SECRET) or the signed-in user's token, not a personal access token.";
  }
  if (code === "UNAUTHENTICATED" || status === 401) {
    return "The workspace did not accept the credentials. Check DATABRICKS_TOKEN (it may have " +
      "expired), the OAuth client id/secret, or the ~/.databrickscfg profile; inside Databricks Apps " +
      "check the app's user authorization scopes.";
  }
  if (status === 404) {
    if (p.startsWith("/api/2.0/fs/")) {
      return `Check that the path exists and that volume ${volumeOf(p) ?? ""} is spelled right.`;
    }
    return "Check the name or id; it may have been deleted.";
  }
  if (status === 429) {
    return "The workspace is rate-limiting requests; wait a minute and try again.";
  }
  if (status === 502 || status === 503 || status === 504 || code === "TEMPORARILY_UNAVAILABLE") {
    return "The workspace is temporarily unavailable; nothing was changed on our side. Try again shortly.";
  }
  if (code === "RESOURCE_ALREADY_EXISTS" || status === 409) {
    return "Something with that name already exists (or is being changed); pick another name or wait.";
  }
  if (status === 400) return "The request was rejected as invalid; check the values you entered.";
  return undefined;
}

/** Builds the error for a non-2xx answer. */
export function errorFromResponse(
  status: number,
  text: string,
  headers: Headers,
  ctx: ErrorContext,
  attempts = 1,
): DatabricksError {
  const parsed = parseErrorBody(status, text, headers);
  const what = ctx.what ?? `${ctx.method} ${ctx.path}`;
  const said = parsed.message
    ? `Databricks said: ${JSON.stringify(parsed.message)}`
    : parsed.htmlTitle
    ? `the answer was ${JSON.stringify(parsed.htmlTitle)} (HTML, likely from a proxy)`
    : "no explanation was given";
  const tries = attempts > 1 ? `, after ${attempts} attempts` : "";
  const message = `${what} failed: HTTP ${status} ${parsed.code} (${said}${tries}).`;
  return new DatabricksError(
    message,
    parsed.code,
    status,
    parsed.requestId,
    hintFor(parsed.code, status, { ...ctx, databricksMessage: parsed.message }),
    parsed.message,
    attempts,
  );
}
