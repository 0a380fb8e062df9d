/**
 * Model Serving for the fake workspace, as strict as the real API where tests could otherwise
 * pass on a misunderstanding (shapes from the Databricks SDK's `serving` service):
 * - `GET /serving-endpoints` answers summaries (`ServingEndpoint`): no endpoint_url,
 *   data_plane_info, route_optimized, pending_config, served-entity state, sizes or traffic;
 * - `GET /serving-endpoints/{name}` answers `ServingEndpointDetailed`;
 * - a new config goes NOT_READY / IN_PROGRESS → READY / NOT_UPDATING after `readsToReady` reads
 *   (or `settle()`); `failNextUpdate()` makes the next one end UPDATE_FAILED with a message;
 * - `PUT .../config` while an update is IN_PROGRESS is 409 RESOURCE_CONFLICT;
 * - unknown body fields, bad workload types and traffic that does not add up are 400
 *   INVALID_PARAMETER_VALUE;
 * - route-optimized endpoints are refused on the workspace path and answer at their own data-plane
 *   URL (`/ro/<id>/...`, served by this fake too) only to a token from the data-plane token
 *   exchange (`exchange()`), never to a workspace token.
 */
import { apiError, badRequest, json, notFound, readJson } from "./util.ts";
import type { FakeDatabricks, Identity } from "./server.ts";

type Obj = Record<string, unknown>;

interface FakeEndpoint {
  name: string;
  id: string;
  ready: "READY" | "NOT_READY";
  config_update: "NOT_UPDATING" | "IN_PROGRESS" | "UPDATE_FAILED";
  /** The config being served (absent until the first one is ready). */
  config?: Obj;
  pending_config?: Obj;
  /** Set when the pending config failed: its entities' deployment_state_message. */
  failure?: string;
  ai_gateway?: Obj;
  created: number;
  updated: number;
  routeOptimized: boolean;
  creator: string;
  /** Reads of the endpoint since its pending config was set. */
  reads: number;
  calls: { status: number; ms: number }[];
}

/** Model Serving's workload types (SDK `ServingModelWorkloadType`). */
const WORKLOAD_TYPES = [
  "CPU",
  "CPU_MEDIUM",
  "CPU_LARGE",
  "GPU_SMALL",
  "GPU_MEDIUM",
  "GPU_LARGE",
  "GPU_XLARGE",
  "GPU_XLARGE_8",
  "MULTIGPU_MEDIUM",
];

/** Fields each request body may carry (the SDK's input dataclasses); any other is refused. */
const FIELDS = {
  create: [
    "name",
    "config",
    "ai_gateway",
    "budget_policy_id",
    "description",
    "email_notifications",
    "rate_limits",
    "route_optimized",
    "tags",
    "telemetry_config",
    "uc_system_metrics_export_state",
  ],
  config: ["name", "served_entities", "served_models", "traffic_config", "auto_capture_config"],
  entity: [
    "name",
    "entity_name",
    "entity_version",
    "workload_size",
    "workload_type",
    "scale_to_zero_enabled",
    "environment_vars",
    "instance_profile_arn",
    "min_provisioned_concurrency",
    "max_provisioned_concurrency",
    "min_provisioned_throughput",
    "max_provisioned_throughput",
    "provisioned_model_units",
    "burst_scaling_enabled",
    "external_model",
  ],
  traffic: ["routes"],
  route: ["served_entity_name", "served_model_name", "traffic_percentage"],
  gateway: [
    "inference_table_config",
    "usage_tracking_config",
    "rate_limits",
    "guardrails",
    "fallback_config",
  ],
  tables: ["catalog_name", "schema_name", "table_name_prefix", "enabled"],
};

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

export class FakeServing {
  readonly endpoints = new Map<string, FakeEndpoint>();
  /** Reads after which a pending config settles by itself (autoAdvance: 1). */
  readsToReady = 2;
  /** Lifetime of exchanged data-plane tokens, in seconds. */
  dataPlaneTtlS = 3600;
  /** Data-plane token → the endpoint id it may query. */
  readonly dataPlaneTokens = new Map<string, { endpointId: string; expiresAt: number }>();
  /** How many data-plane tokens were exchanged. */
  exchanges = 0;
  /** Per `name/entity/build|server`: the logs answered (default: generated). */
  readonly logText = new Map<string, string>();
  /** Per endpoint name: the metrics export answered instead of the one computed from calls. */
  readonly metricsText = new Map<string, string>();
  /** Every create, update and delete as sent (tests check payloads field by field). */
  readonly writes: { method: string; path: string; body?: unknown }[] = [];
  /** Computes an invocation's answer; by default one echo prediction per input row. */
  predict: (name: string, body: Obj, entity: string) => unknown = (_n, body) => ({
    predictions: rowsOf(body).map((_, i) => ({ index: i })),
  });
  #failNext = new Map<string, string>();
  #routed = 0;
  constructor(readonly fake: FakeDatabricks) {}

  /** Finishes a pending create/update (test driver); `failed` ends it UPDATE_FAILED. */
  settle(name: string, failed = false, message = "The served entity failed to deploy."): void {
    const e = this.endpoints.get(name);
    if (!e) throw new Error(`no endpoint ${name}`);
    if (!e.pending_config) return;
    if (failed || this.#failNext.has(name)) {
      e.config_update = "UPDATE_FAILED";
      e.failure = this.#failNext.get(name) ?? message;
      this.#failNext.delete(name);
      return;
    }
    e.config = e.pending_config;
    e.pending_config = undefined;
    e.failure = undefined;
    e.ready = "READY";
    e.config_update = "NOT_UPDATING";
    e.updated = Date.now();
  }

  /** Makes the endpoint's current or next config update fail with `message` when it settles. */
  failNextUpdate(name: string, message: string): void {
    this.#failNext.set(name, message);
  }

  /** The authorization_details a route-optimized endpoint's data_plane_info carries. */
  authorizationDetails(e: FakeEndpoint): string {
    return JSON.stringify([{
      type: "workspace_permission",
      object_type: "serving-endpoints",
      object_path: `/serving-endpoints/${e.id}`,
      actions: ["query_inference_endpoint"],
    }]);
  }

  /** The data-plane URL of a route-optimized endpoint. */
  dataPlaneUrl(e: FakeEndpoint): string {
    return `${this.fake.url}/ro/${e.id}/serving-endpoints/${e.name}/invocations`;
  }

  /**
   * `POST /oidc/v1/token` with the jwt-bearer grant: an OAuth token of the workspace (never a
   * PAT) plus an endpoint's authorization_details → a token for that endpoint's data plane.
   */
  exchange(form: URLSearchParams, assertion: Identity | undefined): Response {
    if (form.get("grant_type") !== JWT_BEARER) {
      return json({ error: "unsupported_grant_type" }, 400);
    }
    if (!assertion?.oauth) {
      return json({
        error: "invalid_grant",
        error_description: "The assertion is not a valid OAuth access token of this workspace.",
      }, 401);
    }
    let endpointId: string | undefined;
    try {
      const details = JSON.parse(form.get("authorization_details") ?? "") as Obj[];
      const path = String(details[0]?.object_path ?? "");
      endpointId = /^\/serving-endpoints\/([^/]+)$/.exec(path)?.[1];
    } catch { /* answered below */ }
    if (!endpointId || ![...this.endpoints.values()].some((e) => e.id === endpointId)) {
      return json({
        error: "invalid_request",
        error_description: "authorization_details names no serving endpoint.",
      }, 400);
    }
    const token = `dp-${++this.exchanges}-${crypto.randomUUID().slice(0, 8)}`;
    this.dataPlaneTokens.set(token, {
      endpointId,
      expiresAt: Date.now() + this.dataPlaneTtlS * 1000,
    });
    return json({ access_token: token, token_type: "Bearer", expires_in: this.dataPlaneTtlS });
  }

  /** Requests to a data-plane URL (`/ro/<id>/serving-endpoints/<name>/invocations`). */
  async dataPlane(req: Request, path: string): Promise<Response> {
    const m = /^\/ro\/([^/]+)\/serving-endpoints\/([^/]+)\/invocations$/.exec(path);
    const e = m && this.endpoints.get(m[2]);
    if (!m || !e || e.id !== m[1] || !e.routeOptimized || req.method !== "POST") {
      return apiError(404, "ENDPOINT_NOT_FOUND", `No endpoint at ${path}.`);
    }
    const token = req.headers.get("authorization")?.match(/^Bearer (.+)$/)?.[1] ?? "";
    const dp = this.dataPlaneTokens.get(token);
    if (!dp || dp.expiresAt <= Date.now()) {
      return apiError(
        401,
        "UNAUTHENTICATED",
        "Route-optimized endpoints accept only data-plane OAuth tokens (token exchange); " +
          "workspace tokens are refused.",
      );
    }
    if (dp.endpointId !== e.id) {
      return apiError(403, "PERMISSION_DENIED", "This token is for another endpoint.");
    }
    return await this.#invoke(e, req);
  }

  #view(e: FakeEndpoint) {
    const withState = (c: Obj | undefined, deployment: string, message: string) =>
      c && {
        ...c,
        served_entities: ((c.served_entities as Obj[]) ?? []).map((s) => ({
          ...s,
          creator: e.creator,
          creation_timestamp: e.created,
          state: { deployment, deployment_state_message: message },
        })),
      };
    return {
      name: e.name,
      id: e.id,
      state: { ready: e.ready, config_update: e.config_update },
      ...(e.config ? { config: withState(e.config, "DEPLOYMENT_READY", "") } : {}),
      ...(e.pending_config
        ? {
          pending_config: withState(
            e.pending_config,
            e.failure ? "DEPLOYMENT_FAILED" : "DEPLOYMENT_CREATING",
            e.failure ?? "Creating the served entity's container.",
          ),
        }
        : {}),
      ...(e.ai_gateway ? { ai_gateway: e.ai_gateway } : {}),
      ...(e.routeOptimized
        ? {
          route_optimized: true,
          endpoint_url: this.dataPlaneUrl(e),
          data_plane_info: {
            query_info: {
              endpoint_url: this.dataPlaneUrl(e),
              authorization_details: this.authorizationDetails(e),
            },
          },
        }
        : {}),
      creator: e.creator,
      creation_timestamp: e.created,
      last_updated_timestamp: e.updated,
      permission_level: "CAN_MANAGE",
    };
  }

  /** A list entry: `ServingEndpoint`, whose config is an `EndpointCoreConfigSummary`. */
  #summary(e: FakeEndpoint) {
    return {
      name: e.name,
      id: e.id,
      state: { ready: e.ready, config_update: e.config_update },
      ...(e.config
        ? {
          config: {
            served_entities: ((e.config.served_entities as Obj[]) ?? []).map((s) => ({
              name: s.name,
              entity_name: s.entity_name,
              entity_version: s.entity_version,
            })),
          },
        }
        : {}),
      ...(e.ai_gateway ? { ai_gateway: e.ai_gateway } : {}),
      creator: e.creator,
      creation_timestamp: e.created,
      last_updated_timestamp: e.updated,
    };
  }

  async route(req: Request, _url: URL, path: string, id: Identity): Promise<Response | undefined> {
    const inv = /^\/serving-endpoints\/([^/]+)\/invocations$/.exec(path);
    if (inv && req.method === "POST") {
      const e = this.endpoints.get(inv[1]);
      if (!e) {
        return apiError(404, "RESOURCE_DOES_NOT_EXIST", `Endpoint '${inv[1]}' does not exist.`);
      }
      if (e.routeOptimized) {
        return badRequest(
          `Endpoint '${e.name}' is route-optimized; query it at its endpoint_url with a data-plane token.`,
        );
      }
      return await this.#invoke(e, req);
    }
    if (!path.startsWith("/api/2.0/serving-endpoints")) return undefined;
    if (req.method !== "GET") {
      const body = await req.clone().json().catch(() => undefined);
      this.writes.push({ method: req.method, path, body });
    }
    const rest = path.slice("/api/2.0/serving-endpoints".length).split("/").filter(Boolean);
    if (rest.length === 0 && req.method === "GET") {
      return json({ endpoints: [...this.endpoints.values()].map((e) => this.#summary(e)) });
    }
    if (rest.length === 0 && req.method === "POST") return await this.#create(req, id);
    const e = this.endpoints.get(rest[0]);
    if (!e) return notFound(`Endpoint '${rest[0]}'`);
    if (rest.length === 1 && req.method === "GET") {
      const view = this.#view(e);
      if (e.config_update === "IN_PROGRESS") {
        e.reads++;
        const after = this.fake.autoAdvance ? 1 : this.readsToReady;
        if (after > 0 && e.reads >= after) this.settle(e.name);
      }
      return json(view);
    }
    if (rest.length === 1 && req.method === "DELETE") {
      this.endpoints.delete(e.name);
      return json({});
    }
    if (rest.length === 2 && rest[1] === "config" && req.method === "PUT") {
      if (e.config_update === "IN_PROGRESS") {
        return apiError(
          409,
          "RESOURCE_CONFLICT",
          `Endpoint '${e.name}' has an update in progress; it cannot be updated until that update completes or fails.`,
        );
      }
      const b = await readJson(req);
      if (!b) return malformed();
      const bad = unknownFields(b, FIELDS.config, "") ?? checkConfig(b);
      if (bad) return badRequest(bad);
      const version = Number(e.config?.config_version ?? 1) + 1;
      e.pending_config = { ...stripName(b), config_version: version, start_time: Date.now() };
      e.failure = undefined;
      e.config_update = "IN_PROGRESS";
      e.reads = 0;
      e.updated = Date.now();
      return json(this.#view(e));
    }
    if (rest.length === 2 && rest[1] === "ai-gateway" && req.method === "PUT") {
      const b = await readJson(req);
      if (!b) return malformed();
      const bad = unknownFields(b, FIELDS.gateway, "") ?? checkGateway(b);
      if (bad) return badRequest(bad);
      e.ai_gateway = b;
      return json(b);
    }
    if (rest.length === 2 && rest[1] === "metrics" && req.method === "GET") {
      return new Response(this.metricsText.get(e.name) ?? this.#metrics(e), {
        headers: { "content-type": "text/plain; version=0.0.4" },
      });
    }
    const logs = /^(build-logs|logs)$/.exec(rest[3] ?? "");
    if (rest.length === 4 && rest[1] === "served-models" && logs && req.method === "GET") {
      const entities = [e.config, e.pending_config].flatMap((c) =>
        (c?.served_entities as Obj[] | undefined) ?? []
      );
      if (!entities.some((s) => s.name === rest[2])) {
        return notFound(`Served model '${rest[2]}' of endpoint '${e.name}'`);
      }
      const kind = logs[1] === "build-logs" ? "build" : "server";
      const own = this.logText.get(`${e.name}/${rest[2]}/${kind}`);
      const generated = kind === "build"
        ? `Building the container for ${rest[2]}...\n${e.failure ?? "Build finished."}\n`
        : e.ready === "READY"
        ? `[${rest[2]}] serving; ${e.calls.length} request(s)\n`
        : "";
      return json({ logs: own ?? generated });
    }
    return undefined;
  }

  async #create(req: Request, id: Identity): Promise<Response> {
    const b = await readJson(req);
    if (!b) return malformed();
    const bad = unknownFields(b, FIELDS.create, "");
    if (bad) return badRequest(bad);
    const name = String(b.name ?? "");
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(name)) {
      return badRequest("Endpoint name must be 1-63 letters, digits, '-' or '_'.");
    }
    if (this.endpoints.has(name)) {
      return apiError(
        409,
        "RESOURCE_ALREADY_EXISTS",
        `Endpoint with name '${name}' already exists.`,
      );
    }
    const config = b.config as Obj | undefined;
    const badConfig = (config ? unknownFields(config, FIELDS.config, "config.") : undefined) ??
      checkConfig(config) ??
      (b.ai_gateway !== undefined
        ? unknownFields(b.ai_gateway as Obj, FIELDS.gateway, "ai_gateway.") ??
          checkGateway(b.ai_gateway as Obj)
        : undefined) ??
      (b.route_optimized !== undefined && typeof b.route_optimized !== "boolean"
        ? "route_optimized must be a boolean."
        : undefined);
    if (badConfig) return badRequest(badConfig);
    const e: FakeEndpoint = {
      name,
      id: crypto.randomUUID().replaceAll("-", "").slice(0, 32),
      ready: "NOT_READY",
      config_update: "IN_PROGRESS",
      pending_config: { ...stripName(config!), config_version: 1, start_time: Date.now() },
      ai_gateway: b.ai_gateway as Obj | undefined,
      created: Date.now(),
      updated: Date.now(),
      routeOptimized: b.route_optimized === true,
      creator: id.userName,
      reads: 0,
      calls: [],
    };
    this.endpoints.set(name, e);
    return json(this.#view(e));
  }

  async #invoke(e: FakeEndpoint, req: Request): Promise<Response> {
    const t0 = performance.now();
    const answer = await this.#answer(e, req);
    e.calls.push({ status: answer.status, ms: performance.now() - t0 });
    return answer;
  }

  async #answer(e: FakeEndpoint, req: Request): Promise<Response> {
    if (e.ready !== "READY" || !e.config) {
      return apiError(503, "TEMPORARILY_UNAVAILABLE", `Endpoint '${e.name}' is not ready.`);
    }
    const body = await readJson(req);
    if (!body) return malformed();
    if (!["dataframe_split", "dataframe_records", "instances", "inputs"].some((k) => k in body)) {
      return apiError(
        400,
        "BAD_REQUEST",
        "The input must be a JSON dictionary with exactly one of the input fields " +
          "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}.",
      );
    }
    const entity = this.#pick(e.config);
    return json(this.predict(e.name, body, entity), 200, { "served-model-name": entity });
  }

  /** The served entity a request goes to, by the traffic split (spread deterministically). */
  #pick(config: Obj): string {
    const entities = (config.served_entities as Obj[]).map((s) => String(s.name));
    const routes = ((config.traffic_config as Obj | undefined)?.routes as Obj[] | undefined) ??
      [{ served_entity_name: entities[0], traffic_percentage: 100 }];
    const x = (this.#routed++ * 37) % 100;
    let acc = 0;
    for (const r of routes) {
      acc += Number(r.traffic_percentage);
      if (x < acc) return String(r.served_entity_name ?? r.served_model_name);
    }
    return entities[0];
  }

  /** The export's format: per-minute gauges and the request_latency_ms histogram. */
  #metrics(e: FakeEndpoint): string {
    if (e.ready !== "READY") return "";
    const ts = Date.now();
    const n = (f: (c: { status: number }) => boolean) => e.calls.filter(f).length;
    const lines = [
      "# TYPE request_count_total gauge",
      `request_count_total ${e.calls.length} ${ts}`,
      "# TYPE request_4xx_count_total gauge",
      `request_4xx_count_total ${n((c) => c.status >= 400 && c.status < 500)} ${ts}`,
      "# TYPE request_5xx_count_total gauge",
      `request_5xx_count_total ${n((c) => c.status >= 500)} ${ts}`,
      "# TYPE request_latency_ms histogram",
    ];
    for (const le of [10, 50, 100, 500, 1000, Infinity]) {
      const cum = e.calls.filter((c) => c.ms <= le).length;
      lines.push(`request_latency_ms_bucket{le="${le === Infinity ? "+Inf" : le}"} ${cum} ${ts}`);
    }
    lines.push(`request_latency_ms_count ${e.calls.length} ${ts}`);
    return lines.join("\n") + "\n";
  }
}

function malformed(): Response {
  return apiError(
    400,
    "MALFORMED_REQUEST",
    "Invalid JSON given in the body of the request - failed to parse given JSON",
  );
}

/** The first field of `o` not in `allowed`, as the refusal message. */
function unknownFields(o: Obj, allowed: string[], prefix: string): string | undefined {
  if (!o || typeof o !== "object" || Array.isArray(o)) {
    return `${prefix || "body"} must be an object.`;
  }
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  return extra === undefined
    ? undefined
    : `Invalid JSON given in the body of the request - unknown field '${prefix}${extra}'.`;
}

function stripName(c: Obj): Obj {
  const { name: _name, ...rest } = c;
  return rest;
}

function checkConfig(c: Obj | undefined): string | undefined {
  const ents = c?.served_entities;
  if (!Array.isArray(ents) || ents.length === 0) return "config.served_entities must not be empty.";
  if (ents.length > 10) return "An endpoint serves at most 10 entities.";
  const names = new Set<string>();
  for (const [i, s] of (ents as Obj[]).entries()) {
    const bad = unknownFields(s, FIELDS.entity, `served_entities[${i}].`);
    if (bad) return bad;
    if (!s.entity_name || !s.entity_version) {
      return "Each served entity needs entity_name and entity_version.";
    }
    const name = String(s.name ?? `${s.entity_name}-${s.entity_version}`);
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      return `Served entity name '${name}' may only have letters, digits, '-' and '_'.`;
    }
    if (names.has(name)) return `Served entity name '${name}' is used twice.`;
    names.add(name);
    if (s.workload_type !== undefined && !WORKLOAD_TYPES.includes(String(s.workload_type))) {
      return `Invalid workload_type '${s.workload_type}'. Valid values: ${
        WORKLOAD_TYPES.join(", ")
      }.`;
    }
    const concurrency = s.min_provisioned_concurrency !== undefined ||
      s.max_provisioned_concurrency !== undefined;
    if (!s.workload_size && !concurrency) {
      return "Each served entity needs workload_size (or provisioned concurrency).";
    }
    if (s.scale_to_zero_enabled !== undefined && typeof s.scale_to_zero_enabled !== "boolean") {
      return "scale_to_zero_enabled must be a boolean.";
    }
  }
  const traffic = c!.traffic_config as Obj | undefined;
  if (!traffic) {
    return names.size > 1 ? "traffic_config is required with several served entities." : undefined;
  }
  const bad = unknownFields(traffic, FIELDS.traffic, "traffic_config.");
  if (bad) return bad;
  const routes = (traffic.routes as Obj[] | undefined) ?? [];
  let total = 0;
  for (const [i, r] of routes.entries()) {
    const badRoute = unknownFields(r, FIELDS.route, `traffic_config.routes[${i}].`);
    if (badRoute) return badRoute;
    const target = String(r.served_entity_name ?? r.served_model_name ?? "");
    if (!names.has(target)) return `Route ${i} names no served entity ('${target}').`;
    const p = r.traffic_percentage;
    if (!Number.isInteger(p) || (p as number) < 0 || (p as number) > 100) {
      return "traffic_percentage must be an integer between 0 and 100.";
    }
    total += p as number;
  }
  if (total !== 100) return `The traffic percentages add up to ${total}, not 100.`;
  return undefined;
}

function checkGateway(g: Obj): string | undefined {
  const t = g.inference_table_config as Obj | undefined;
  if (!t) return undefined;
  const bad = unknownFields(t, FIELDS.tables, "inference_table_config.");
  if (bad) return bad;
  if (t.enabled === true && (!t.catalog_name || !t.schema_name)) {
    return "catalog_name and schema_name are required when enabling inference tables.";
  }
  return undefined;
}

function rowsOf(body: Obj): unknown[] {
  const split = body.dataframe_split as { data?: unknown[] } | undefined;
  if (split?.data) return split.data;
  for (const k of ["dataframe_records", "instances", "inputs"]) {
    if (Array.isArray(body[k])) return body[k] as unknown[];
  }
  return [body.inputs];
}
