/**
 * Model Serving REST calls, in the shapes of the Databricks SDK's `serving` service:
 * `ServingEndpoint` (list summaries) vs `ServingEndpointDetailed` (get), config PUTs, AI Gateway,
 * logs, the metrics export and invocations (workspace path, or a route-optimized endpoint's own
 * data-plane URL with an exchanged token).
 */
import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { checkEndpointName, type EndpointConfig } from "@/lib/serving/endpoint_config.ts";
import { DatabricksError, requestIdFrom } from "./api_error.ts";
import type { HttpClient } from "./http.ts";

const DeploymentStateSchema = z.looseObject({
  deployment: z.string().optional(),
  deployment_state_message: z.string().optional(),
});

/** ServedEntityOutput (get) — a summary's ServedEntitySpec has only the names. */
const ServedEntitySchema = z.looseObject({
  name: z.string().optional(),
  entity_name: z.string().optional(),
  entity_version: z.coerce.string().optional(),
  workload_size: z.string().optional(),
  workload_type: z.string().optional(),
  scale_to_zero_enabled: z.boolean().optional(),
  creator: z.string().optional(),
  creation_timestamp: z.number().optional(),
  state: DeploymentStateSchema.optional(),
});
export type ServedEntityOut = z.infer<typeof ServedEntitySchema>;

const RouteSchema = z.looseObject({
  served_entity_name: z.string().optional(),
  served_model_name: z.string().optional(),
  traffic_percentage: z.number(),
});

const ConfigSchema = z.looseObject({
  served_entities: z.array(ServedEntitySchema).optional().default([]),
  traffic_config: z.looseObject({ routes: z.array(RouteSchema).optional().default([]) })
    .optional(),
  config_version: z.number().optional(),
  start_time: z.number().optional(),
});
export type EndpointConfigOut = z.infer<typeof ConfigSchema>;

const StateSchema = z.looseObject({
  ready: z.string().optional(),
  config_update: z.string().optional(),
}).optional().default({});

const AiGatewaySchema = z.looseObject({
  inference_table_config: z.looseObject({
    catalog_name: z.string().optional(),
    schema_name: z.string().optional(),
    table_name_prefix: z.string().optional(),
    enabled: z.boolean().optional(),
  }).optional(),
});

/** A list entry (SDK `ServingEndpoint`): no endpoint_url, data plane, served-entity state or traffic. */
export const EndpointSummarySchema = z.looseObject({
  name: z.string(),
  id: z.string().optional(),
  state: StateSchema,
  config: z.looseObject({
    served_entities: z.array(z.looseObject({
      name: z.string().optional(),
      entity_name: z.string().optional(),
      entity_version: z.coerce.string().optional(),
    })).optional().default([]),
  }).optional(),
  ai_gateway: AiGatewaySchema.optional(),
  creator: z.string().optional(),
  creation_timestamp: z.number().optional(),
  last_updated_timestamp: z.number().optional(),
});
export type EndpointSummary = z.infer<typeof EndpointSummarySchema>;

/** One endpoint as `GET /serving-endpoints/{name}` answers (SDK `ServingEndpointDetailed`). */
export const EndpointSchema = z.looseObject({
  name: z.string(),
  id: z.string().optional(),
  state: StateSchema,
  config: ConfigSchema.optional(),
  pending_config: ConfigSchema.optional(),
  ai_gateway: AiGatewaySchema.optional(),
  endpoint_url: z.string().optional(),
  route_optimized: z.boolean().optional(),
  data_plane_info: z.looseObject({
    query_info: z.looseObject({
      endpoint_url: z.string().optional(),
      authorization_details: z.string().optional(),
    }).optional(),
  }).optional(),
  creator: z.string().optional(),
  creation_timestamp: z.number().optional(),
  last_updated_timestamp: z.number().optional(),
});
export type ServingEndpoint = z.infer<typeof EndpointSchema>;

/** `POST /api/2.0/serving-endpoints` (name, config, ai_gateway, route_optimized). */
export type CreateEndpointBody = { name: string; config: EndpointConfig } & Record<string, unknown>;

export const ENDPOINTS_PATH = "/api/2.0/serving-endpoints";
export { checkEndpointName, type EndpointConfig };

/** The path of one endpoint (or of something under it). */
export function endpointPath(name: string, ...rest: string[]): string {
  return [`${ENDPOINTS_PATH}/${checkEndpointName(name)}`, ...rest.map(encodeURIComponent)]
    .join("/");
}

/** Low-level serving calls. */
export class ServingClient {
  constructor(readonly http: HttpClient) {}

  /** Summaries only: take URLs, served-entity states and traffic from `get`. */
  async list(): Promise<EndpointSummary[]> {
    const r = await this.http.json({
      method: "GET",
      path: ENDPOINTS_PATH,
      what: "Listing serving endpoints",
    }, z.looseObject({ endpoints: z.array(EndpointSummarySchema).optional().default([]) }));
    return r.endpoints;
  }

  get(name: string): Promise<ServingEndpoint> {
    return this.http.json({
      method: "GET",
      path: endpointPath(name),
      what: `Reading endpoint ${name}`,
    }, EndpointSchema);
  }

  /** Starts creating an endpoint; it becomes READY later (poll `get`). Not retried: not idempotent. */
  create(body: CreateEndpointBody): Promise<ServingEndpoint> {
    checkEndpointName(body.name);
    return this.http.json({
      method: "POST",
      path: ENDPOINTS_PATH,
      body,
      what: `Creating endpoint ${body.name}`,
    }, EndpointSchema);
  }

  /** Replaces the served entities / traffic in place; refused while another update is in progress. */
  updateConfig(name: string, config: EndpointConfig): Promise<ServingEndpoint> {
    return this.http.json({
      method: "PUT",
      path: endpointPath(name, "config"),
      body: config,
      what: `Updating endpoint ${name}`,
    }, EndpointSchema);
  }

  /** Sets the endpoint's AI Gateway (inference tables); answers the new gateway config. */
  async putAiGateway(name: string, body: Record<string, unknown>): Promise<void> {
    await this.http.json({
      method: "PUT",
      path: endpointPath(name, "ai-gateway"),
      body,
      what: `Setting inference tables of endpoint ${name}`,
    }, z.unknown());
  }

  async delete(name: string): Promise<void> {
    await this.http.json({
      method: "DELETE",
      path: endpointPath(name),
      what: `Deleting endpoint ${name}`,
    }, z.unknown());
  }

  /** Build (`build-logs`) or server (`logs`) logs of one served entity; `""` when there are none. */
  async logs(name: string, entity: string, kind: "build" | "server"): Promise<string> {
    const r = await this.http.json({
      method: "GET",
      path: endpointPath(name, "served-models", entity, kind === "build" ? "build-logs" : "logs"),
      what: `Reading the ${kind} logs of ${entity} on endpoint ${name}`,
    }, z.looseObject({ logs: z.string().optional() }));
    return r.logs ?? "";
  }

  /**
   * The metrics export: Prometheus / OpenMetrics text (the SDK asks with `Accept: text/plain`
   * and reads the body raw); a JSON `{contents}` answer is accepted too.
   */
  async metricsText(name: string): Promise<string> {
    const res = await this.http.raw({
      method: "GET",
      path: endpointPath(name, "metrics"),
      headers: { accept: "text/plain" },
      what: `Reading the metrics of endpoint ${name}`,
    });
    const text = await res.text();
    if (!(res.headers.get("content-type") ?? "").includes("json")) return text;
    try {
      const j = JSON.parse(text) as { contents?: unknown };
      return typeof j.contents === "string" ? j.contents : "";
    } catch {
      return text;
    }
  }

  /**
   * Queries an endpoint: at the workspace's `/serving-endpoints/<name>/invocations` (no /api
   * prefix), or at `url` (a route-optimized endpoint's data plane) through `via`, a client that
   * carries the data-plane token. Not retried except on 429: predictions may have side effects
   * (inference tables, billing).
   */
  async invoke(
    name: string,
    body: unknown,
    opts: { url?: string; via?: HttpClient; timeoutMs?: number } = {},
  ): Promise<{ body: unknown; servedEntity?: string }> {
    if (!body || typeof body !== "object" || Array.isArray(body)) {
      throw new BadRequestError("The request body must be a JSON object.");
    }
    const what = `Querying endpoint ${name}`;
    const res = await (opts.via ?? this.http).raw({
      method: "POST",
      path: `/serving-endpoints/${checkEndpointName(name)}/invocations`,
      url: opts.url,
      body,
      idempotent: false,
      timeoutMs: opts.timeoutMs ?? 120_000,
      what,
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text.trim() ? JSON.parse(text) : {};
    } catch (e) {
      throw new DatabricksError(
        `${what} failed: the endpoint answered with malformed JSON.`,
        "MALFORMED_RESPONSE",
        502,
        requestIdFrom(res.headers),
        undefined,
        undefined,
        1,
        e,
      );
    }
    // The SDK reads this response header: which served entity answered (A/B routes).
    return { body: parsed, servedEntity: res.headers.get("served-model-name") ?? undefined };
  }
}

/** One minute of an endpoint's traffic, read from the metrics export. */
export interface ExportedMetrics {
  /** Latest sample timestamp (epoch ms), when the export gives one. */
  at?: number;
  requests?: number;
  errors4xx?: number;
  errors5xx?: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+(?:\.\d+)?))?\s*$/;

/**
 * Parses the metrics export (Prometheus / OpenMetrics text). Databricks reports each metric over
 * the last minute: `request_count_total`, `request_4xx_count_total`, `request_5xx_count_total`
 * (gauges, summed over their label sets, e.g. per served entity) and the `request_latency_ms`
 * histogram, whose buckets give p50/p95 as Prometheus' `histogram_quantile` does. Absent metrics
 * stay undefined (never 0).
 */
export function parseServingMetrics(text: string): ExportedMetrics {
  const sums = new Map<string, number>();
  const buckets = new Map<number, number>();
  let at: number | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const [, name, labels = "", valueText, ts] = m;
    const value = Number(valueText);
    if (!Number.isFinite(value)) continue;
    if (ts) {
      // OpenMetrics timestamps are seconds, Prometheus text ones milliseconds.
      const t = Number(ts);
      const ms = t < 1e11 ? t * 1000 : t;
      at = Math.max(at ?? 0, ms);
    }
    if (name === "request_latency_ms_bucket") {
      const le = /(?:^|,)\s*le="([^"]*)"/.exec(labels)?.[1];
      if (le === undefined) continue;
      const bound = le === "+Inf" ? Infinity : Number(le);
      if (Number.isNaN(bound)) continue;
      buckets.set(bound, (buckets.get(bound) ?? 0) + value);
      continue;
    }
    sums.set(name, (sums.get(name) ?? 0) + value);
  }
  const total = (n: string) => sums.get(n) ?? sums.get(n.replace(/_total$/, ""));
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  return {
    at,
    requests: total("request_count_total"),
    errors4xx: total("request_4xx_count_total"),
    errors5xx: total("request_5xx_count_total"),
    p50Ms: histogramQuantile(0.5, sorted),
    p95Ms: histogramQuantile(0.95, sorted),
  };
}

/** Prometheus' histogram_quantile over cumulative `[upper bound, count]` buckets. */
function histogramQuantile(q: number, buckets: [number, number][]): number | null {
  if (!buckets.length) return null;
  const count = buckets[buckets.length - 1][1];
  if (!(count > 0)) return null;
  const rank = q * count;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, cum] of buckets) {
    if (cum >= rank) {
      if (bound === Infinity) return prevBound;
      if (cum === prevCount) return bound;
      return prevBound + (bound - prevBound) * (rank - prevCount) / (cum - prevCount);
    }
    prevBound = bound;
    prevCount = cum;
  }
  return prevBound;
}
