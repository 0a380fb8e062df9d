/**
 * Cross-cutting request handling: request ids, structured logs, security headers with a strict
 * content security policy, same-origin checks on state-changing requests, and body-size limits.
 */
import type { MiddlewareHandler } from "hono";
import { HttpError, PayloadTooLargeError } from "@/lib/errors.ts";
import { onInvocationPath } from "@/lib/serving/invocation_error.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Reads or creates the request id (Databricks Apps' proxy sends `X-Request-Id`). */
export function requestIdMiddleware(): MiddlewareHandler {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const id = incoming && /^[\w.-]{1,128}$/.test(incoming)
      ? incoming
      : crypto.randomUUID().slice(0, 13);
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  };
}

/** Log levels, lowest first. */
const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = typeof LEVELS[number];

/** Writes one JSON line per event at or above `level`. */
export function createLogger(level: LogLevel) {
  const min = LEVELS.indexOf(level);
  return (lvl: Exclude<LogLevel, "silent">, msg: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS.indexOf(lvl) < min) return;
    const line = JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...fields });
    if (lvl === "error" || lvl === "warn") console.error(line);
    else console.log(line);
  };
}
export type Logger = ReturnType<typeof createLogger>;

/** One structured line per request: id, method, path, status, duration. */
export function accessLog(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    const t0 = performance.now();
    await next();
    const url = new URL(c.req.url);
    if (url.pathname.startsWith("/_lv/")) return;
    log(c.res.status >= 500 ? "error" : "info", "request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: url.pathname,
      status: c.res.status,
      ms: Math.round((performance.now() - t0) * 10) / 10,
    });
  };
}

/** Security headers and a CSP whose style nonce the renderer uses. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    const nonce = crypto.randomUUID().replaceAll("-", "");
    c.set("nonce", nonce);
    await next();
    const h = c.res.headers;
    h.set(
      "Content-Security-Policy",
      [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        `style-src 'self' 'nonce-${nonce}'`,
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join("; "),
    );
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "same-origin");
    h.set("X-Frame-Options", "DENY");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    // The Inference Playground may use the webcam on this origin; nothing else may.
    h.set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()");
  };
}

/** Who the app answers for: see `Settings.publicHosts` and `Settings.behindAppsProxy`. */
export interface HostPolicy {
  publicHosts: string[];
  behindAppsProxy: boolean;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
/** Databricks Apps' own domain (AWS, Azure, GCP), allowed behind the Apps proxy. */
const APPS_DOMAIN = ".databricksapps.com";

/**
 * The host the request was addressed to: `X-Forwarded-Host` behind the Apps proxy (which sets
 * it), else `Host` (or the URL's host, for in-memory requests). Lower case, port kept.
 */
export function requestHost(req: Request, policy: HostPolicy): string {
  const forwarded = policy.behindAppsProxy
    ? req.headers.get("x-forwarded-host")?.split(",")[0].trim()
    : undefined;
  return (forwarded || req.headers.get("host") || new URL(req.url).host).toLowerCase();
}

/** True when `host` (`name` or `name:port`) is one the app serves. */
export function hostAllowed(host: string, policy: HostPolicy): boolean {
  const m = /^(\[[0-9a-f:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?$/.exec(host);
  if (!m) return false;
  const name = m[1];
  if (LOOPBACK.has(name)) return true;
  if (policy.publicHosts.some((p) => p === host || p === name)) return true;
  return policy.behindAppsProxy && policy.publicHosts.length === 0 && name.endsWith(APPS_DOMAIN);
}

/**
 * Answers only for allow-listed hosts (421 otherwise), so a DNS-rebinding page whose own name
 * now points at 127.0.0.1 cannot read the app or post to it as same-origin.
 */
export function allowedHosts(policy: HostPolicy): MiddlewareHandler {
  return async (c, next) => {
    const host = requestHost(c.req.raw, policy);
    if (!hostAllowed(host, policy)) {
      const message = `Lakevision does not answer for the host "${host.slice(0, 200)}". If this ` +
        `is how you reach it, set LAKEVISION_PUBLIC_HOST to that host.`;
      // An endpoint client reads it in Model Serving's shape (the app's error handler); a
      // browser gets plain text, nothing of the app.
      if (onInvocationPath(new URL(c.req.url).pathname)) {
        throw new HttpError(421, message);
      }
      return new Response(`${message}\n`, {
        status: 421,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
      });
    }
    await next();
  };
}

/**
 * Refuses state-changing requests from other sites. Browsers always send `Origin` (or
 * `Sec-Fetch-Site`) on such requests; scripts and the CLI send neither and are allowed. The
 * Origin is compared with the allow-listed request host, never a client's own X-Forwarded-Host.
 */
export function sameOrigin(policy: HostPolicy): MiddlewareHandler {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header("origin");
      const site = c.req.header("sec-fetch-site");
      const host = requestHost(c.req.raw, policy);
      if (origin && origin !== "null") {
        let originHost = "";
        try {
          originHost = new URL(origin).host.toLowerCase();
        } catch { /* malformed origin is refused below */ }
        if (originHost !== host || !hostAllowed(originHost, policy)) {
          throw new HttpError(
            403,
            `Refused a ${c.req.method} from another site (Origin ${
              origin.slice(0, 200)
            }); state-changing requests must come from Lakevision's own pages.`,
          );
        }
      } else if (origin === "null" || (site && site !== "same-origin" && site !== "none")) {
        throw new HttpError(
          403,
          `Refused a ${c.req.method} from another site (Sec-Fetch-Site: ${
            site?.slice(0, 40) ?? "null origin"
          }).`,
        );
      }
    }
    await next();
  };
}

/** Rejects bodies larger than `maxBytes` with a 413 that says the limit. */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const len = Number(c.req.header("content-length") ?? NaN);
      if (Number.isFinite(len) && len > maxBytes) throw tooLarge(len, maxBytes);
      if (!Number.isFinite(len) && c.req.raw.body) {
        // Chunked upload: count as it streams and stop at the limit.
        let seen = 0;
        const limited = c.req.raw.body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, ctrl) {
              seen += chunk.byteLength;
              if (seen > maxBytes) ctrl.error(tooLarge(seen, maxBytes));
              else ctrl.enqueue(chunk);
            },
          }),
        );
        c.req.raw = new Request(c.req.raw, { body: limited, duplex: "half" } as RequestInit);
      }
    }
    await next();
  };
}

function tooLarge(len: number, max: number): PayloadTooLargeError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new PayloadTooLargeError(
    `The request body is too large (${mb(len)}; the limit is ${mb(max)}). ` +
      `Upload large datasets to the volume directly, or raise LAKEVISION_MAX_BODY_MB.`,
  );
}
