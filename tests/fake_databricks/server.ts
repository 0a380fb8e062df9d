/**
 * An in-process fake Databricks workspace: the REST subset Lakevision uses, with realistic state
 * machines, the real error body format, OAuth M2M tokens that expire, and fault injection.
 *
 *   const fake = await FakeDatabricks.start();
 *   fake.fail("/api/2.2/jobs/runs/get", { status: 503, times: 2 });
 *   ... DATABRICKS_HOST=fake.url ...
 *   await fake.close();
 */
import { apiError, delay, json, newRequestId, readJson } from "./util.ts";
import { FakeFiles } from "./files_routes.ts";
import { FakeJobs } from "./jobs_routes.ts";
import { FakeMultipart } from "./multipart_routes.ts";
import { FakeMlflow } from "./mlflow_routes.ts";
import { FakeUcModels } from "./uc_routes.ts";
import { FakeServing } from "./serving_routes.ts";
import { FakeSql } from "./sql_routes.ts";
import { FakeWorkspaceFs } from "./workspace_routes.ts";

/** One injected fault. Every field is optional; `times` defaults to 1 (Infinity = always). */
export interface Fault {
  /** HTTP status to answer with (default 503). */
  status?: number;
  times?: number;
  /** Only for this method. */
  method?: string;
  /** `Retry-After` header value, in seconds. */
  retryAfter?: number;
  errorCode?: string;
  message?: string;
  /** Answer with an HTML error page, as a proxy would. */
  html?: boolean;
  /** Answer 200 with a body that is not valid JSON. */
  malformed?: boolean;
  /** Send headers, then break the body off mid-way (a dropped connection). */
  drop?: boolean;
  /** Wait this long first (then answer normally unless a status is also set). */
  delayMs?: number;
  /** Answer 204 success but do nothing (a proxy that lost the request body). */
  lose?: boolean;
}

interface ActiveFault extends Fault {
  path: string;
  left: number;
}

/** An identity behind a token. */
export interface Identity {
  userName: string;
  displayName?: string;
  servicePrincipal?: boolean;
  /** The token is an OAuth token (M2M or a forwarded user token), not a PAT. */
  oauth?: boolean;
  /**
   * A Databricks Apps user token: only the OAuth scopes the app declared. Calls outside them
   * answer 403 however much the user may do (undefined = a full token: PAT or all-apis).
   */
  scopes?: string[];
}

/**
 * The user authorization scope each API needs (Databricks Apps docs); an API no user scope
 * covers (jobs, workspace, clusters, MLflow, UC models) is refused to every scoped token.
 */
export function requiredScope(path: string): string | undefined {
  if (path.startsWith("/api/2.0/fs/")) return "files.files";
  if (path.startsWith("/api/2.0/sql/")) return "sql";
  if (path.startsWith("/api/2.0/serving-endpoints") || path.startsWith("/serving-endpoints/")) {
    return "serving.serving-endpoints";
  }
  if (path === "/api/2.0/preview/scim/v2/Me") return "iam.current-user:read";
  return undefined;
}

export interface FakeOptions {
  port?: number;
  hostname?: string;
  /** Accept any bearer token as `dev@example.com` (standalone use). */
  anyToken?: boolean;
  /** Lifetime of OAuth tokens issued by /oidc/v1/token, in seconds. */
  tokenTtlS?: number;
  /** Runs, endpoints, versions and statements move one step forward on each read. */
  autoAdvance?: boolean;
  /** Suppress the "listening" line. */
  quiet?: boolean;
}

/** A recorded request (tests assert on these). */
export interface Recorded {
  method: string;
  path: string;
  search: string;
  /** The bearer token sent, if any. */
  token?: string;
  /** The Range header of a ranged download, when one was sent. */
  range?: string;
  /** The If-Unmodified-Since header of a download, when one was sent. */
  ifUnmodifiedSince?: string;
  at: number;
}

export class FakeDatabricks {
  readonly url: string;
  readonly port: number;
  readonly requests: Recorded[] = [];
  readonly files: FakeFiles;
  readonly jobs = new FakeJobs(this);
  readonly multipart = new FakeMultipart(this);
  readonly mlflow = new FakeMlflow(this);
  readonly models = new FakeUcModels(this);
  readonly serving = new FakeServing(this);
  readonly sql = new FakeSql(this);
  readonly workspaceFs = new FakeWorkspaceFs();
  readonly tokens = new Map<string, Identity & { expiresAt?: number }>();
  readonly clients = new Map<string, { secret: string; identity: Identity }>();
  autoAdvance: boolean;
  anyToken: boolean;
  tokenTtlS: number;
  #faults: ActiveFault[] = [];
  #latency: { path?: string; ms: number }[] = [];
  #unavailableUntil = 0;
  #issued = 0;
  /** Aborted on close, so injected delays end and shutdown does not wait for them. */
  #closing = new AbortController();
  #server: Deno.HttpServer<Deno.NetAddr>;

  private constructor(server: Deno.HttpServer<Deno.NetAddr>, files: FakeFiles, opts: FakeOptions) {
    this.#server = server;
    this.files = files;
    this.port = server.addr.port;
    this.url = `http://${server.addr.hostname}:${server.addr.port}`;
    this.autoAdvance = opts.autoAdvance ?? false;
    this.anyToken = opts.anyToken ?? false;
    this.tokenTtlS = opts.tokenTtlS ?? 3600;
  }

  /** Starts the server on 127.0.0.1 (port 0 = any free port). */
  static async start(opts: FakeOptions = {}): Promise<FakeDatabricks> {
    const files = await FakeFiles.create();
    const ref: { fake?: FakeDatabricks } = {};
    const server = Deno.serve({
      port: opts.port ?? 0,
      hostname: opts.hostname ?? "127.0.0.1",
      onListen: () => {},
      onError: (e) => apiError(500, "INTERNAL_ERROR", `fake failed: ${(e as Error).message}`),
    }, (req) => ref.fake!.handle(req));
    const fake = new FakeDatabricks(server, files, opts);
    ref.fake = fake;
    fake.files.fake = fake;
    if (!opts.quiet && opts.port !== undefined) console.log(`fake Databricks on ${fake.url}`);
    return fake;
  }

  /** Stops the server and removes its files. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#server.shutdown();
    await this.files.dispose();
  }

  // ---- test controls -------------------------------------------------------------------

  /** Injects a fault for a path (exact, or a prefix ending in `*`). */
  fail(path: string, fault: Fault = {}): void {
    this.#faults.push({ ...fault, path, left: fault.times ?? 1 });
  }

  /** Slows every answer (or those of one path / prefix*) down by `ms`. */
  latency(ms: number, path?: string): void {
    this.#latency.push({ path, ms });
  }

  /** Every API call answers 503 TEMPORARILY_UNAVAILABLE for the next `ms`. */
  unavailableFor(ms: number): void {
    this.#unavailableUntil = Date.now() + ms;
  }

  /** Removes faults, latency and unavailability. */
  clearFaults(): void {
    this.#faults = [];
    this.#latency = [];
    this.#unavailableUntil = 0;
  }

  /** Accepts a static token (PAT or forwarded user token) for an identity. */
  addToken(token: string, identity: Identity = { userName: "dev@example.com" }): void {
    this.tokens.set(token, identity);
  }

  /** Accepts a Databricks Apps user token carrying only `scopes` (an OAuth token). */
  addUserToken(token: string, userName: string, scopes: string[]): void {
    this.tokens.set(token, { userName, oauth: true, scopes });
  }

  /** Registers an OAuth M2M client (a service principal). */
  addClient(clientId: string, secret: string, name = "lakevision-app"): void {
    this.clients.set(clientId, {
      secret,
      identity: { userName: clientId, displayName: name, servicePrincipal: true },
    });
  }

  /** Invalidates every token issued by /oidc/v1/token, as if they had expired. */
  expireOAuthTokens(): void {
    for (const [t, id] of this.tokens) if (id.expiresAt !== undefined) this.tokens.delete(t);
  }

  /** How many requests hit a path (optionally one method). */
  count(path: string, method?: string): number {
    return this.requests.filter((r) => r.path === path && (!method || r.method === method)).length;
  }

  // ---- request handling ----------------------------------------------------------------

  /** The identity behind the request's token, or undefined when not authenticated. */
  identityOf(req: Request): Identity | undefined {
    const token = bearer(req);
    if (!token) return undefined;
    const id = this.tokens.get(token);
    if (id && (id.expiresAt === undefined || id.expiresAt > Date.now())) return id;
    if (!id && this.anyToken) return { userName: "dev@example.com" };
    return undefined;
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    this.requests.push({
      method: req.method,
      path,
      search: url.search,
      token: bearer(req),
      ...(req.headers.has("range") ? { range: req.headers.get("range")! } : {}),
      ...(req.headers.has("if-unmodified-since")
        ? { ifUnmodifiedSince: req.headers.get("if-unmodified-since")! }
        : {}),
      at: Date.now(),
    });
    if (path.startsWith("/__fake/")) return await this.#control(req, path);
    for (const l of this.#latency) {
      if (matches(l.path, path)) await delay(l.ms, this.#closing.signal);
    }
    const fault = this.#takeFault(req.method, path);
    if (fault) {
      const answer = await this.#faultAnswer(fault, req);
      if (answer) return answer;
    }
    if (Date.now() < this.#unavailableUntil) {
      return apiError(503, "TEMPORARILY_UNAVAILABLE", "The service is temporarily unavailable.");
    }
    if (path === "/oidc/v1/token" && req.method === "POST") return await this.#token(req);
    // Route-optimized endpoints' data plane takes only its own exchanged tokens.
    if (path.startsWith("/ro/")) return await this.serving.dataPlane(req, path);
    // Presigned cloud-storage URLs of multipart uploads carry their own signature.
    if (path.startsWith("/__storage/")) return await this.multipart.storage(req, path);
    const identity = this.identityOf(req);
    if (!identity) {
      return apiError(401, "UNAUTHENTICATED", "Invalid access token.");
    }
    if (identity.scopes) {
      const need = requiredScope(path);
      if (!need || !identity.scopes.includes(need)) {
        return apiError(
          403,
          "PERMISSION_DENIED",
          `Provided OAuth token does not have required scopes: ${need ?? "all-apis"}`,
        );
      }
    }
    try {
      const res = await this.#route(req, url, path, identity);
      res.headers.set("x-request-id", res.headers.get("x-request-id") ?? newRequestId());
      return res;
    } catch (e) {
      return apiError(500, "INTERNAL_ERROR", `fake failed: ${(e as Error).message}`);
    }
  }

  async #route(req: Request, url: URL, path: string, id: Identity): Promise<Response> {
    if (path === "/api/2.0/preview/scim/v2/Me" && req.method === "GET") {
      return json({
        id: String(Math.abs(hash(id.userName))),
        userName: id.userName,
        displayName: id.displayName ?? id.userName,
        ...(id.servicePrincipal ? { applicationId: id.userName } : {}),
      });
    }
    const handlers = [
      () => this.files.route(req, url, path, id),
      () => this.jobs.route(req, url, path),
      () => this.mlflow.route(req, url, path),
      () => this.models.route(req, url, path),
      () => this.serving.route(req, url, path, id),
      () => this.sql.route(req, url, path),
      () => this.workspaceFs.route(req, url, path),
    ];
    for (const h of handlers) {
      const res = await h();
      if (res) return res;
    }
    if (path.startsWith("/api/2.1/clusters/") || path.startsWith("/api/2.0/clusters/")) {
      const clusters = clustersRoute(path);
      if (clusters) return clusters;
    }
    return apiError(404, "ENDPOINT_NOT_FOUND", `No API found for '${req.method} ${path}'`);
  }

  /**
   * Test controls over HTTP, for a fake running in another process (browser tests):
   * POST /__fake/fail {path, ...Fault} (times -1 = always) · /__fake/unavailable {ms} · /__fake/latency {ms, path?}
   * · /__fake/clear · /__fake/runs/<id> {state, logs?, error?} · /__fake/endpoints/<name>/settle.
   */
  async #control(req: Request, path: string): Promise<Response> {
    if (req.method !== "POST") return apiError(405, "METHOD_NOT_ALLOWED", "Use POST.");
    const b = (await readJson(req)) ?? {};
    const run = /^\/__fake\/runs\/(\d+)$/.exec(path);
    const ep = /^\/__fake\/endpoints\/([^/]+)\/settle$/.exec(path);
    try {
      if (path === "/__fake/fail" && typeof b.path === "string") {
        // JSON has no Infinity: times -1 means "always".
        this.fail(b.path, { ...b, times: b.times === -1 ? Infinity : b.times } as Fault);
      } else if (path === "/__fake/unavailable") this.unavailableFor(Number(b.ms ?? 10_000));
      else if (path === "/__fake/latency") this.latency(Number(b.ms), b.path as string | undefined);
      else if (path === "/__fake/clear") this.clearFaults();
      else if (run) this.jobs.set(run[1], b.state as "RUNNING", b as Record<string, string>);
      else if (ep) {
        this.serving.settle(ep[1], b.failed === true, b.message as string | undefined);
      } else return apiError(404, "ENDPOINT_NOT_FOUND", `No fake control at ${path}.`);
    } catch (e) {
      return apiError(400, "INVALID_PARAMETER_VALUE", (e as Error).message);
    }
    return json({ ok: true });
  }

  #takeFault(method: string, path: string): ActiveFault | undefined {
    const f = this.#faults.find((f) =>
      f.left > 0 && matches(f.path, path) && (!f.method || f.method === method)
    );
    if (f) f.left--;
    return f;
  }

  async #faultAnswer(f: ActiveFault, req: Request): Promise<Response | undefined> {
    if (f.delayMs) await delay(f.delayMs, this.#closing.signal);
    const headers: Record<string, string> = {};
    if (f.retryAfter !== undefined) headers["retry-after"] = String(f.retryAfter);
    if (f.lose) {
      await req.body?.cancel();
      return new Response(null, { status: 204 });
    }
    if (f.malformed) {
      return new Response('{"contents": [{"path": "/Volu', {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    }
    if (f.drop) {
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"partial": tr'));
          c.error(new Error("connection dropped"));
        },
      });
      return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
    }
    if (f.html) {
      const status = f.status ?? 502;
      return new Response(
        `<html><head><title>${status} Bad Gateway</title></head><body><h1>${status} Bad Gateway</h1>` +
          `<hr><center>nginx</center></body></html>`,
        { status, headers: { "content-type": "text/html", ...headers } },
      );
    }
    if (f.status === undefined && f.delayMs) return undefined;
    const status = f.status ?? 503;
    const code = f.errorCode ??
      (status === 429
        ? "REQUEST_LIMIT_EXCEEDED"
        : status === 503
        ? "TEMPORARILY_UNAVAILABLE"
        : status === 403
        ? "PERMISSION_DENIED"
        : status === 400
        ? "INVALID_PARAMETER_VALUE"
        : `HTTP_${status}`);
    return apiError(status, code, f.message ?? `Injected ${status} for ${req.method}.`, headers);
  }

  async #token(req: Request): Promise<Response> {
    const basic = req.headers.get("authorization")?.match(/^Basic (.+)$/)?.[1];
    const form = new URLSearchParams(await req.text());
    if (form.get("grant_type") === "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      const assertion = this.tokens.get(form.get("assertion") ?? "");
      const live = assertion && (assertion.expiresAt ?? Infinity) > Date.now();
      return this.serving.exchange(form, live ? assertion : undefined);
    }
    let clientId = form.get("client_id") ?? "";
    let secret = form.get("client_secret") ?? "";
    if (basic) [clientId, secret] = atob(basic).split(":");
    const client = this.clients.get(clientId);
    if (form.get("grant_type") !== "client_credentials") {
      return json({ error: "unsupported_grant_type" }, 400);
    }
    if (!client || client.secret !== secret) {
      return json(
        { error: "invalid_client", error_description: "Client authentication failed" },
        401,
      );
    }
    const token = `m2m-${++this.#issued}-${crypto.randomUUID().slice(0, 8)}`;
    this.tokens.set(token, {
      ...client.identity,
      oauth: true,
      expiresAt: Date.now() + this.tokenTtlS * 1000,
    });
    return json({
      access_token: token,
      token_type: "Bearer",
      expires_in: this.tokenTtlS,
      scope: "all-apis",
    });
  }
}

function bearer(req: Request): string | undefined {
  return req.headers.get("authorization")?.match(/^Bearer (.+)$/)?.[1];
}

function matches(pattern: string | undefined, path: string): boolean {
  if (pattern === undefined || pattern === "*") return true;
  return pattern.endsWith("*") ? path.startsWith(pattern.slice(0, -1)) : pattern === path;
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

/** Node types (with and without GPUs) and runtimes (with GPU ML ones). */
function clustersRoute(path: string): Response | undefined {
  if (path.endsWith("/clusters/list-node-types")) {
    return json({
      node_types: [
        nodeType("m5d.xlarge", 16384, 4, 0, "General purpose"),
        nodeType("g5.xlarge", 16384, 4, 1, "GPU Accelerated"),
        nodeType("g5.12xlarge", 196608, 48, 4, "GPU Accelerated"),
        nodeType("p4d.24xlarge", 1179648, 96, 8, "GPU Accelerated"),
      ],
    });
  }
  if (path.endsWith("/clusters/spark-versions")) {
    return json({
      versions: [
        { key: "15.4.x-scala2.12", name: "15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)" },
        { key: "15.4.x-cpu-ml-scala2.12", name: "15.4 LTS ML (includes Apache Spark 3.5.0)" },
        { key: "15.4.x-gpu-ml-scala2.12", name: "15.4 LTS ML (GPU, Scala 2.12, Spark 3.5.0)" },
        { key: "16.4.x-gpu-ml-scala2.12", name: "16.4 LTS ML (GPU, Scala 2.12, Spark 3.5.2)" },
      ],
    });
  }
  return undefined;
}

function nodeType(id: string, memoryMb: number, cores: number, gpus: number, category: string) {
  return {
    node_type_id: id,
    instance_type_id: id,
    memory_mb: memoryMb,
    num_cores: cores,
    num_gpus: gpus,
    description: id,
    category,
    is_deprecated: false,
    node_info: { status: [] },
  };
}
