/**
 * The one place that talks HTTP to a Databricks workspace: base URL, auth header, per-request
 * timeouts, retries (only where a repeat cannot do harm), error mapping and zod parsing.
 */
import { z } from "zod";
import { currentDeadline, seconds } from "@/lib/workspace/deadline.ts";
import { DatabricksError, type ErrorContext, errorFromResponse, hintFor } from "./api_error.ts";
import type { TokenSource } from "./auth.ts";

/** Time, injectable so that tests never wait for real back-off. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** Retry policy. Delays grow exponentially with jitter; `budgetMs` caps the total time spent. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Total time (from the first attempt) after which no further attempt is started. */
  budgetMs: number;
}

/** About 90 s of patience in total: enough for a gateway restart, short of a hung page. */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  budgetMs: 90_000,
};

/** Where and how to talk; everything but host and auth has a default. */
export interface HttpClientOptions {
  /** Workspace URL; a bare host name gets `https://`. */
  host: string;
  auth: TokenSource;
  fetch?: typeof fetch;
  clock?: Clock;
  /** Returns [0, 1); injectable for deterministic jitter. */
  random?: () => number;
  /** Per-attempt timeout until the answer (headers and, for JSON, body) arrives. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

type Query = Record<string, string | number | boolean | undefined | null | string[]>;

/** One request. JSON `body` or a raw `rawBody` (bytes are replayable, streams are not). */
export interface RequestOptions {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
  rawBody?: Uint8Array | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
  /**
   * Whether repeating the call is harmless. Defaults: GET/HEAD/PUT/DELETE yes, POST/PATCH no.
   * A POST that the API defines as safe (runs/submit with idempotency_token) passes `true`.
   */
  idempotent?: boolean;
  timeoutMs?: number;
  /** Caller's cancellation. */
  signal?: AbortSignal;
  /** For messages: "Listing /Volumes/...". */
  what?: string;
  /** Full URL instead of host + path (serving endpoints' own URLs). */
  url?: string;
  /** Send no Authorization header (OAuth token exchange, which carries its credential in the body). */
  anonymous?: boolean;
}

/** Adds `https://` when missing and drops trailing slashes. */
export function normalizeHost(host: string): string {
  const h = host.trim().replace(/\/+$/, "");
  if (!h) throw new Error("DATABRICKS_HOST is empty");
  return /^https?:\/\//i.test(h) ? h : `https://${h}`;
}

const RETRY_STATUS = new Set([502, 503, 504]);

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A typed fetch client for one workspace and one identity. */
export class HttpClient {
  readonly host: string;
  readonly auth: TokenSource;
  readonly #fetch: typeof fetch;
  readonly clock: Clock;
  readonly #random: () => number;
  readonly #timeoutMs: number;
  readonly retry: RetryPolicy;

  constructor(opts: HttpClientOptions) {
    this.host = normalizeHost(opts.host);
    this.auth = opts.auth;
    this.#fetch = opts.fetch ?? fetch;
    this.clock = opts.clock ?? REAL_CLOCK;
    this.#random = opts.random ?? Math.random;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /** Same workspace, another identity (a forwarded user token) and/or other limits. */
  derive(
    over: { auth?: TokenSource; timeoutMs?: number; retry?: Partial<RetryPolicy> },
  ): HttpClient {
    return new HttpClient({
      host: this.host,
      auth: over.auth ?? this.auth,
      fetch: this.#fetch,
      clock: this.clock,
      random: this.#random,
      timeoutMs: over.timeoutMs ?? this.#timeoutMs,
      retry: { ...this.retry, ...over.retry },
    });
  }

  /** Calls the API and parses the JSON answer with `schema` (unknown fields are kept). */
  async json<S extends z.ZodType>(opts: RequestOptions, schema: S): Promise<z.infer<S>> {
    const text = await this.#send(opts, true) as string;
    let raw: unknown = {};
    const ctx = this.#ctx(opts);
    if (text.trim()) {
      try {
        raw = JSON.parse(text);
      } catch (e) {
        throw new DatabricksError(
          `${ctx.what} failed: the workspace answered with malformed JSON ` +
            `(${JSON.stringify(text.slice(0, 80))}...).`,
          "MALFORMED_RESPONSE",
          502,
          undefined,
          "This is usually a proxy or gateway problem; try again.",
          undefined,
          1,
          e,
        );
      }
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 3).map((i) =>
        `${i.path.join(".") || "(root)"}: ${i.message}`
      ).join("; ");
      throw new DatabricksError(
        `${ctx.what} failed: the workspace's answer is missing or has wrong fields (${issues}).`,
        "UNEXPECTED_RESPONSE",
        502,
        undefined,
        "The workspace API may have changed; report this with the request above.",
      );
    }
    return parsed.data;
  }

  /**
   * Calls the API and returns the successful response unread (for streaming bodies and HEAD).
   * The timeout covers the wait for headers only; the body is the caller's to read or cancel.
   */
  async raw(opts: RequestOptions): Promise<Response> {
    return await this.#send(opts, false) as Response;
  }

  /** The bearer token, or the signal's reason when a limit ends the wait for it. */
  async #token(signal: AbortSignal): Promise<string> {
    try {
      return await abortable(this.auth.token(), signal);
    } catch (e) {
      if (signal.aborted && e === signal.reason) throw e;
      throw new TokenError(e);
    }
  }

  #ctx(opts: RequestOptions): Required<ErrorContext> {
    return {
      method: opts.method,
      path: opts.url ? new URL(opts.url).pathname : opts.path,
      what: opts.what ?? `${opts.method} ${opts.path}`,
      asUser: this.auth.method === "forwarded-user",
    };
  }

  #url(opts: RequestOptions): string {
    if (opts.url) return opts.url;
    const u = new URL(this.host + opts.path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) v.forEach((x) => u.searchParams.append(k, x));
      else u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  /**
   * Sends with retries. Three limits apply, whichever ends first: the per-attempt timeout, the
   * retry budget (for all attempts and sleeps together) and the surrounding page deadline
   * (`withDeadline`); the caller's own `signal` cancels with its own reason.
   */
  async #send(opts: RequestOptions, readText: boolean): Promise<string | Response> {
    const ctx = this.#ctx(opts);
    const url = this.#url(opts);
    const streamBody = opts.rawBody instanceof ReadableStream;
    const idempotent = !streamBody &&
      (opts.idempotent ?? ["GET", "HEAD", "PUT", "DELETE"].includes(opts.method));
    const start = this.clock.now();
    const deadline = currentDeadline();
    const budget = new AbortController();
    const budgetTimer = setTimeout(
      () => budget.abort(timeoutReason(this.retry.budgetMs)),
      this.retry.budgetMs,
    );
    const overall = AbortSignal.any(
      [budget.signal, opts.signal, deadline?.signal].filter((s): s is AbortSignal => !!s),
    );
    try {
      let attempt = 0;
      let refreshedAuth = false;
      for (;;) {
        attempt++;
        let outcome: { res?: Response; text?: string; error?: unknown };
        // The attempt gets what is left of the budget when that is less than its own timeout.
        const left = this.retry.budgetMs - (this.clock.now() - start);
        const ownTimeout = opts.timeoutMs ?? this.#timeoutMs;
        const timeoutMs = Math.max(1, Math.min(ownTimeout, left));
        // When the attempt's timer is what is left of the budget, its firing (which can come a
        // moment before the budget's own timer) is the budget running out.
        const clippedByBudget = left <= ownTimeout;
        const ac = new AbortController();
        const timer = setTimeout(() => ac.abort(timeoutReason(timeoutMs)), timeoutMs);
        const signal = AbortSignal.any([ac.signal, overall]);
        try {
          const headers: Record<string, string> = {
            "user-agent": "lakevision/1.0",
            ...opts.headers,
          };
          if (!opts.anonymous) {
            headers.authorization = `Bearer ${await this.#token(signal)}`;
          }
          let body: BodyInit | undefined;
          if (opts.rawBody !== undefined) {
            body = opts.rawBody as BodyInit;
            headers["content-type"] ??= "application/octet-stream";
          } else if (opts.body !== undefined) {
            body = JSON.stringify(opts.body);
            headers["content-type"] = "application/json";
          }
          const res = await this.#fetch(url, {
            method: opts.method,
            headers,
            body,
            signal,
            ...(streamBody ? { duplex: "half" } : {}),
          } as RequestInit);
          if (res.ok && !readText) return res;
          outcome = { res, text: opts.method === "HEAD" ? "" : await res.text() };
        } catch (e) {
          // The token source's own failure (a wrong secret: 401) is already a typed error that
          // says what to fix; only an abort while waiting for it is this call's timeout.
          if (e instanceof TokenError) throw e.cause;
          outcome = { error: e };
        } finally {
          clearTimeout(timer);
        }
        if (opts.signal?.aborted) throw opts.signal.reason;
        const { res, text, error } = outcome;
        if (res?.ok) return text ?? "";
        // The page's deadline or the whole budget ran out: report it, never retry.
        const limit = deadline?.signal.aborted
          ? { ms: deadline.ms, why: "the page's time limit" }
          : budget.signal.aborted || (clippedByBudget && !res && ac.signal.aborted)
          ? { ms: this.retry.budgetMs, why: "the time allowed for this call" }
          : undefined;
        if (limit && !res) {
          throw networkError(
            timeoutReason(limit.ms),
            ctx,
            attempt,
            limit.ms,
            idempotent,
            limit.why,
          );
        }

        // An expired or revoked token: refresh once and repeat (nothing was done with it).
        if (res?.status === 401 && !refreshedAuth && !streamBody && this.auth.invalidate()) {
          refreshedAuth = true;
          attempt--;
          continue;
        }
        const err = res
          ? errorFromResponse(res.status, text ?? "", res.headers, ctx, attempt)
          : networkError(error, ctx, attempt, timeoutMs, idempotent);
        // 429 means the request was refused before any work, so even a POST may repeat it.
        const retryable = res
          ? (res.status === 429 && !streamBody) || (RETRY_STATUS.has(res.status) && idempotent)
          : idempotent;
        if (!retryable || limit || attempt >= this.retry.maxAttempts) throw err;
        const backoff = Math.min(
          this.retry.maxDelayMs,
          this.retry.baseDelayMs * 2 ** (attempt - 1),
        );
        const jittered = backoff / 2 + this.#random() * backoff / 2;
        const after = res
          ? retryAfterMs(res.headers.get("retry-after"), this.clock.now())
          : undefined;
        const delay = after ?? jittered;
        if (this.clock.now() - start + delay > this.retry.budgetMs) throw err;
        try {
          await this.clock.sleep(delay, overall);
        } catch (e) {
          // Cut short by the deadline or budget: the last real error says more than the abort.
          if (opts.signal?.aborted) throw opts.signal.reason;
          throw e instanceof DOMException && e.name === "TimeoutError" ? err : e;
        }
      }
    } finally {
      clearTimeout(budgetTimer);
    }
  }
}

/** Wraps a token source's failure so that #send rethrows it as it is, never as a network error. */
class TokenError extends Error {
  constructor(override readonly cause: unknown) {
    super("token source failed");
  }
}

function timeoutReason(ms: number): DOMException {
  return new DOMException(`no answer within ${ms} ms`, "TimeoutError");
}

/** `promise`, or the signal's reason as soon as it aborts (for steps that take no signal). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function networkError(
  error: unknown,
  ctx: Required<ErrorContext>,
  attempts: number,
  timeoutMs: number,
  idempotent: boolean,
  /** Which limit ran out, when it was not the per-attempt timeout. */
  limit?: string,
): DatabricksError {
  const timedOut = error instanceof DOMException && error.name === "TimeoutError" ||
    (error instanceof Error && error.name === "AbortError" &&
      String(error.message).includes("no answer"));
  const cause = (error as { cause?: unknown })?.cause;
  const detail = [error, cause].filter((x) => x !== undefined)
    .map((x) => x instanceof Error ? x.message : String(x)).join(": ");
  const why = timedOut
    ? `no answer within ${seconds(timeoutMs)}${limit ? ` (${limit})` : ""}`
    : `the connection failed (${detail})`;
  const tries = attempts > 1 ? `, after ${attempts} attempts` : "";
  return new DatabricksError(
    `${ctx.what} failed: ${why}${tries}.`,
    timedOut ? "TIMEOUT" : "NETWORK_ERROR",
    timedOut ? 504 : 502,
    undefined,
    (/corrupt message|InvalidContentType|wrong version number/i.test(detail)
      ? "The host does not speak HTTPS; if it is a plain-HTTP server, put http:// in DATABRICKS_HOST."
      : hintFor(timedOut ? "DEADLINE_EXCEEDED" : "TEMPORARILY_UNAVAILABLE", 503, ctx)) +
      (!idempotent
        ? " If this call creates something, check whether it did before repeating it."
        : ""),
    undefined,
    attempts,
    error,
  );
}

/** Follows `next_page_token` pages, yielding each page's items. */
export async function* paginate<T>(
  fetchPage: (pageToken?: string) => Promise<{ items: T[]; next?: string | null }>,
): AsyncGenerator<T> {
  let token: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await fetchPage(token);
    yield* page.items;
    if (!page.next || seen.has(page.next)) return;
    seen.add(page.next);
    token = page.next;
  }
}
