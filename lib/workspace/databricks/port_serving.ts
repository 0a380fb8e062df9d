/**
 * The Workspace port's serving part on Databricks Model Serving: endpoints read with `get` (list
 * answers are summaries), plan-before-send of create / in-place update, route-optimized
 * invocations through the data plane, logs and the metrics export.
 */
import { BadRequestError, ConflictError, NotFoundError } from "@/lib/errors.ts";
import {
  createRequest,
  inferenceTableConfig,
  updateRequest,
} from "@/lib/serving/endpoint_config.ts";
import type {
  Endpoint,
  EndpointMetrics,
  EndpointSpec,
  PlannedRequest,
  ServedEntity,
  ServingApi,
} from "../types.ts";
import { DatabricksError } from "./api_error.ts";
import type { DataPlaneTokens } from "./auth.ts";
import type { Clock } from "./http.ts";
import { mapLimit } from "./port_adapters.ts";
import {
  type CreateEndpointBody,
  type EndpointConfig,
  type EndpointConfigOut,
  endpointPath,
  type EndpointSummary,
  parseServingMetrics,
  type ServingClient,
  type ServingEndpoint,
} from "./serving.ts";

/** Model Serving's workload types (SDK `ServingModelWorkloadType`). */
export const SERVING_WORKLOAD_TYPES = [
  "CPU",
  "CPU_MEDIUM",
  "CPU_LARGE",
  "GPU_SMALL",
  "GPU_MEDIUM",
  "GPU_LARGE",
  "GPU_XLARGE",
  "GPU_XLARGE_8",
  "MULTIGPU_MEDIUM",
] as const;

/** Where an endpoint is invoked: the workspace path, or its data plane (route-optimized). */
export interface InvocationRoute {
  /** The data-plane URL; undefined: the workspace's `/serving-endpoints/<name>/invocations`. */
  url?: string;
  /** `data_plane_info.query_info.authorization_details`, exchanged for the data-plane token. */
  authorizationDetails?: string;
  /** When it was learned (clock ms). */
  at: number;
}

/** Endpoint name → how to invoke it; shared by every view of one workspace. */
export type InvocationRoutes = Map<string, InvocationRoute>;

const ROUTE_TTL_MS = 5 * 60_000;

/**
 * Where invocations go: a route-optimized endpoint's `data_plane_info.query_info.endpoint_url`
 * (the SDK posts to it as given), else its `endpoint_url` made absolute, else the workspace path.
 */
export function invocationUrl(
  e: Pick<ServingEndpoint, "name" | "endpoint_url" | "data_plane_info">,
  host: string,
): string {
  const dp = e.data_plane_info?.query_info?.endpoint_url?.trim();
  if (dp) return dp;
  const u = e.endpoint_url?.trim().replace(/\/+$/, "");
  if (!u) return `${host}/serving-endpoints/${e.name}/invocations`;
  const abs = /^https?:\/\//.test(u) ? u : `https://${u}`;
  if (abs.endsWith("/invocations")) return abs;
  if (abs.includes("/serving-endpoints/")) return `${abs}/invocations`;
  return `${abs}/serving-endpoints/${e.name}/invocations`;
}

function routeOf(e: ServingEndpoint, host: string, now: number): InvocationRoute {
  const optimized = e.route_optimized === true || !!e.data_plane_info?.query_info?.endpoint_url;
  return optimized
    ? {
      url: invocationUrl(e, host),
      authorizationDetails: e.data_plane_info?.query_info?.authorization_details,
      at: now,
    }
    : { at: now };
}

/** The served entities of a config, with their deployment state and traffic share. */
function entitiesOf(cfg: EndpointConfigOut | undefined): ServedEntity[] {
  const ents = cfg?.served_entities ?? [];
  const routes = cfg?.traffic_config?.routes ?? [];
  return ents.map((s) => ({
    name: s.name,
    model: s.entity_name ?? "",
    version: s.entity_version ?? "",
    workloadSize: s.workload_size,
    workloadType: s.workload_type,
    scaleToZero: s.scale_to_zero_enabled,
    trafficPercent: routes.find((r) => (r.served_entity_name ?? r.served_model_name) === s.name)
      ?.traffic_percentage ?? (ents.length === 1 ? 100 : undefined),
    state: s.state?.deployment,
    stateMessage: s.state?.deployment_state_message || undefined,
  }));
}

/** The first failed served entity's message (a failed update keeps it in pending_config). */
function failureOf(...cfgs: (EndpointConfigOut | undefined)[]): string | undefined {
  for (const c of cfgs) {
    const failed = c?.served_entities.find((s) =>
      s.state?.deployment === "DEPLOYMENT_FAILED" && s.state.deployment_state_message
    );
    if (failed) return `${failed.name}: ${failed.state!.deployment_state_message}`;
  }
  return undefined;
}

/**
 * Maps `GET /serving-endpoints/{name}` to the port. `state` says whether it answers
 * (`state.ready`); `configUpdate` says what happens to its config: an update that failed while
 * the previous config still serves is READY with UPDATE_FAILED and the failure's message.
 */
export function endpointOf(e: ServingEndpoint, host: string): Endpoint {
  const { ready, config_update: cu } = e.state;
  const serving = e.config?.served_entities.length ? e.config : undefined;
  const failure = failureOf(e.pending_config, e.config);
  const state: Endpoint["state"] = ready === "READY"
    ? (cu === "IN_PROGRESS" ? "UPDATING" : "READY")
    : cu === "UPDATE_FAILED" || (!serving && failure)
    ? "FAILED"
    : "NOT_READY";
  const message = cu === "UPDATE_FAILED"
    ? `The last configuration update failed: ${
      failure ?? "Databricks gave no reason; see the build logs."
    }`
    : failure ??
      (cu === "IN_PROGRESS"
        ? serving
          ? `Updating to config version ${e.pending_config?.config_version ?? "?"}.`
          : "Creating the endpoint."
        : undefined);
  return {
    name: e.name,
    state,
    configUpdate: cu,
    message,
    entities: entitiesOf(serving ?? e.pending_config),
    url: invocationUrl(e, host),
    creator: e.creator,
    createdAt: e.creation_timestamp,
    updatedAt: e.last_updated_timestamp,
    inferenceTables: e.ai_gateway?.inference_table_config?.enabled === true,
    routeOptimized: e.route_optimized === true,
  };
}

/** What a list summary alone says, for an endpoint whose own read failed. */
function summaryEndpoint(s: EndpointSummary, why: string): Endpoint {
  return {
    name: s.name,
    state: s.state.ready === "READY" ? "READY" : "NOT_READY",
    configUpdate: s.state.config_update,
    message: `Details could not be read: ${why}`,
    entities: (s.config?.served_entities ?? []).map((x) => ({
      name: x.name,
      model: x.entity_name ?? "",
      version: x.entity_version ?? "",
    })),
    creator: s.creator,
    createdAt: s.creation_timestamp,
    updatedAt: s.last_updated_timestamp,
    inferenceTables: s.ai_gateway?.inference_table_config?.enabled === true,
  };
}

const isStatus = (e: unknown, status: number) =>
  e instanceof DatabricksError && e.status === status;

function notFound(name: string): NotFoundError {
  return new NotFoundError(`There is no serving endpoint named ${name} (or it is not visible).`);
}

/** Refuses what Databricks would: unknown workload types. Sizes may be custom, so any name goes. */
function checkEntities(spec: EndpointSpec): void {
  for (const e of spec.entities) {
    const t = e.workloadType;
    if (t !== undefined && !(SERVING_WORKLOAD_TYPES as readonly string[]).includes(t)) {
      throw new BadRequestError(
        `Workload type ${JSON.stringify(t)} is not one of ${SERVING_WORKLOAD_TYPES.join(", ")}.`,
      );
    }
  }
}

/** Keeps the names of versions the endpoint already serves, so their routes stay stable. */
function withCurrentNames(spec: EndpointSpec, current: ServingEndpoint): EndpointSpec {
  const served = [
    ...(current.config?.served_entities ?? []),
    ...(current.pending_config?.served_entities ?? []),
  ];
  return {
    ...spec,
    entities: spec.entities.map((e) =>
      e.name ? e : {
        ...e,
        name: served.find((s) => s.entity_name === e.model && s.entity_version === e.version)
          ?.name,
      }
    ),
  };
}

function planCreate(spec: EndpointSpec): PlannedRequest {
  checkEntities(spec);
  return createRequest(spec);
}

/**
 * `PUT .../config` (in place, never delete + create), preceded by `PUT .../ai-gateway` when the
 * inference tables switch. Refused while another update is in progress, as Databricks would.
 */
function planUpdate(spec: EndpointSpec, current: ServingEndpoint): PlannedRequest {
  checkEntities(spec);
  if (current.state.config_update === "IN_PROGRESS") {
    throw new ConflictError(
      `Endpoint ${spec.name} is already being updated (to config version ${
        current.pending_config?.config_version ?? "?"
      }); wait until that update finishes or fails, then try again.`,
    );
  }
  const optimized = current.route_optimized === true;
  if (spec.routeOptimized !== undefined && spec.routeOptimized !== optimized) {
    throw new BadRequestError(
      `Route optimization is chosen when an endpoint is created; ${spec.name} is ${
        optimized ? "" : "not "
      }route-optimized and an update cannot change that.`,
    );
  }
  const request = updateRequest(withCurrentNames(spec, current));
  const tables = current.ai_gateway?.inference_table_config?.enabled === true;
  if (spec.inferenceTables === undefined || spec.inferenceTables === tables) return request;
  const gateway: PlannedRequest = {
    method: "PUT",
    path: endpointPath(spec.name, "ai-gateway"),
    body: spec.inferenceTables
      ? inferenceTableConfig(spec)
      : { inference_table_config: { enabled: false } },
  };
  return { ...request, before: [gateway] };
}

/** Serving part of the port. `routes` caches how each endpoint is invoked (5 minutes). */
export function servingApi(
  serving: ServingClient,
  opts: {
    host: string;
    dataPlane: DataPlaneTokens;
    routes?: InvocationRoutes;
    clock?: Pick<Clock, "now">;
  },
): ServingApi {
  const { host, dataPlane } = opts;
  const routes = opts.routes ?? new Map();
  const clock = opts.clock ?? Date;
  const learn = (e: ServingEndpoint) => {
    routes.set(e.name, routeOf(e, host, clock.now()));
    return e;
  };
  const read = async (name: string) => {
    try {
      return learn(await serving.get(name));
    } catch (e) {
      if (isStatus(e, 404)) throw notFound(name);
      throw e;
    }
  };
  const current = (name: string) =>
    read(name).catch((e) => {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
  const conflict = (e: unknown, name: string) => {
    if (!(e instanceof DatabricksError) || e.status !== 409) return e;
    return new ConflictError(
      e.errorCode === "RESOURCE_ALREADY_EXISTS"
        ? `A serving endpoint named ${name} already exists; update it instead.`
        : `Endpoint ${name} is being updated; wait until that update finishes. (${e.message})`,
    );
  };
  return {
    async list() {
      // Summaries carry no URL, served-entity state or traffic: each endpoint's get does, 8 at once.
      const summaries = await serving.list();
      const full = await mapLimit(summaries, 8, async (s) => {
        try {
          return endpointOf(await read(s.name), host);
        } catch (e) {
          if (e instanceof NotFoundError) return undefined; // deleted meanwhile
          return summaryEndpoint(s, e instanceof Error ? e.message : String(e));
        }
      });
      return full.filter((e): e is Endpoint => !!e);
    },
    async get(name) {
      return endpointOf(await read(name), host);
    },
    async plan(spec) {
      const now = await current(spec.name);
      return now ? planUpdate(spec, now) : planCreate(spec);
    },
    async create(spec) {
      const req = planCreate(spec);
      try {
        return endpointOf(learn(await serving.create(req.body as CreateEndpointBody)), host);
      } catch (e) {
        throw conflict(e, spec.name);
      }
    },
    async update(spec) {
      const req = planUpdate(spec, await read(spec.name));
      try {
        for (const b of req.before ?? []) {
          await serving.putAiGateway(spec.name, b.body as Record<string, unknown>);
        }
        return endpointOf(
          learn(await serving.updateConfig(spec.name, req.body as EndpointConfig)),
          host,
        );
      } catch (e) {
        throw conflict(e, spec.name);
      }
    },
    async delete(name) {
      routes.delete(name);
      try {
        await serving.delete(name);
      } catch (e) {
        throw isStatus(e, 404) ? notFound(name) : e;
      }
    },
    async invoke(name, body, info) {
      let route = routes.get(name);
      if (!route || clock.now() - route.at > ROUTE_TTL_MS) {
        await read(name);
        route = routes.get(name)!;
      }
      const via = route.url
        ? serving.http.derive({
          auth: dataPlane.source(serving.http, {
            name,
            url: route.url,
            authorizationDetails: route.authorizationDetails,
          }),
        })
        : undefined;
      const res = await serving.invoke(name, body, { url: route.url, via });
      if (info && res.servedEntity) info.servedEntity = res.servedEntity;
      return res.body;
    },
    async logs(name, entity, kind) {
      try {
        return (await serving.logs(name, entity, kind)) || null;
      } catch (e) {
        if (isStatus(e, 404)) {
          throw new NotFoundError(`Endpoint ${name} has no served entity ${entity}.`);
        }
        throw e;
      }
    },
    async metrics(name): Promise<EndpointMetrics | { unavailable: string }> {
      let text: string;
      try {
        text = await serving.metricsText(name);
      } catch (e) {
        if (isStatus(e, 404) && !(await current(name))) throw notFound(name);
        if (e instanceof DatabricksError && e.status >= 400 && e.status < 500) {
          return {
            unavailable: `The workspace does not export this endpoint's metrics: ${e.message}`,
          };
        }
        throw e;
      }
      const m = parseServingMetrics(text);
      if (m.requests === undefined) {
        return {
          unavailable: "The workspace's metrics export has no request metrics for this endpoint " +
            "(it reports only while the endpoint is up).",
        };
      }
      return {
        bucketMs: 60_000,
        points: [{
          t: m.at ?? clock.now(),
          requests: m.requests,
          errors: (m.errors4xx ?? 0) + (m.errors5xx ?? 0),
          p50Ms: m.p50Ms,
          p95Ms: m.p95Ms,
        }],
        source: "metrics export (the last minute, as Databricks reports it)",
      };
    },
  };
}
