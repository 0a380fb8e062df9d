/**
 * The Model Serving request bodies for an EndpointSpec, as Databricks takes them
 * (`POST /api/2.0/serving-endpoints`, `PUT /api/2.0/serving-endpoints/{name}/config`). Pure, so
 * both adapters use it: the Databricks one sends these bodies, the local one shows them in
 * `plan()` and keeps the same names and traffic rules, so a local endpoint and a Databricks one
 * made from the same spec agree.
 */
import { BadRequestError } from "@/lib/errors.ts";
import type { EndpointSpec, PlannedRequest, ServedEntity } from "@/lib/workspace/types.ts";

/** The served-entities part of a config, as the API takes it. */
export interface EndpointConfig {
  served_entities: Record<string, unknown>[];
  traffic_config?: { routes: { served_entity_name: string; traffic_percentage: number }[] };
}

/** Endpoint names as Databricks allows them: 1–63 letters, digits, '-' or '_', not starting with '-' or '_'. */
export const ENDPOINT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** Returns `name` when it is a valid endpoint name; otherwise a 400 saying the rule. */
export function checkEndpointName(name: string): string {
  if (typeof name !== "string" || !ENDPOINT_NAME_RE.test(name)) {
    throw new BadRequestError(
      `${
        JSON.stringify(String(name).slice(0, 80))
      } is not a valid endpoint name: use 1–63 letters, digits, '-' or '_', starting with a letter or digit.`,
    );
  }
  return name;
}

/** Served entity name for a model version: `<model>-<version>`, API-safe. */
export function servedEntityName(model: string, version: string): string {
  return `${model.split(".").pop()}-${version}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 63);
}

/** The entities with their names and traffic filled in (even split when none is given). */
export function resolveEntities(entities: ServedEntity[]): (ServedEntity & {
  name: string;
  trafficPercent: number;
})[] {
  if (!entities.length) {
    throw new BadRequestError("An endpoint needs at least one served model version.");
  }
  const withTraffic = entities.filter((e) => e.trafficPercent !== undefined);
  if (withTraffic.length && withTraffic.length !== entities.length) {
    throw new BadRequestError("Give a traffic percentage for every served version, or for none.");
  }
  for (const e of withTraffic) {
    const p = e.trafficPercent!;
    if (!Number.isInteger(p) || p < 0 || p > 100) {
      throw new BadRequestError(`Traffic percentages are whole numbers 0–100, not ${p}.`);
    }
  }
  const total = withTraffic.reduce((s, e) => s + (e.trafficPercent ?? 0), 0);
  if (withTraffic.length && total !== 100) {
    throw new BadRequestError(`Traffic percentages add up to ${total}, not 100.`);
  }
  // Without percentages, traffic is split evenly (the remainder goes to the first version).
  const even = Math.floor(100 / entities.length);
  const out = entities.map((e, i) => ({
    ...e,
    name: e.name ?? servedEntityName(e.model, e.version),
    trafficPercent: e.trafficPercent ?? (i === 0 ? 100 - even * (entities.length - 1) : even),
  }));
  const names = new Set<string>();
  for (const e of out) {
    if (names.has(e.name)) {
      throw new BadRequestError(`Two served versions are both named ${e.name}; serve each once.`);
    }
    names.add(e.name);
  }
  return out;
}

/** The endpoint config for a list of served model versions (traffic must add up to 100). */
export function endpointConfig(entities: ServedEntity[]): EndpointConfig {
  const resolved = resolveEntities(entities);
  const served = resolved.map((e) => ({
    name: e.name,
    entity_name: e.model,
    entity_version: e.version,
    workload_size: e.workloadSize ?? "Small",
    ...(e.workloadType ? { workload_type: e.workloadType } : {}),
    scale_to_zero_enabled: e.scaleToZero ?? true,
  }));
  const explicit = entities.some((e) => e.trafficPercent !== undefined);
  const routes = entities.length > 1 || explicit
    ? resolved.map((e) => ({ served_entity_name: e.name, traffic_percentage: e.trafficPercent }))
    : undefined;
  return { served_entities: served, ...(routes ? { traffic_config: { routes } } : {}) };
}

/**
 * AI Gateway inference tables for a new endpoint: the table goes to the first served model's
 * catalog and schema, prefixed with the endpoint name.
 */
export function inferenceTableConfig(spec: EndpointSpec): Record<string, unknown> {
  const [catalog, schema] = (spec.entities[0]?.model ?? "").split(".");
  return {
    inference_table_config: {
      enabled: true,
      ...(catalog && schema ? { catalog_name: catalog, schema_name: schema } : {}),
      table_name_prefix: spec.name,
    },
  };
}

/** `POST /api/2.0/serving-endpoints` for a new endpoint. */
export function createRequest(spec: EndpointSpec): PlannedRequest {
  return {
    method: "POST",
    path: "/api/2.0/serving-endpoints",
    body: {
      name: checkEndpointName(spec.name),
      config: endpointConfig(spec.entities),
      ...(spec.inferenceTables ? { ai_gateway: inferenceTableConfig(spec) } : {}),
      ...(spec.routeOptimized ? { route_optimized: true } : {}),
    },
  };
}

/** `PUT /api/2.0/serving-endpoints/{name}/config`: changes served entities and traffic in place. */
export function updateRequest(spec: EndpointSpec): PlannedRequest {
  return {
    method: "PUT",
    path: `/api/2.0/serving-endpoints/${checkEndpointName(spec.name)}/config`,
    body: endpointConfig(spec.entities),
  };
}
