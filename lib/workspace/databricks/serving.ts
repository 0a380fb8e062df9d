/** Model Serving: endpoints (create, read, update config, delete) and invocations. */
import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import type { HttpClient } from "./http.ts";

const ServedEntitySchema = z.looseObject({
  name: z.string().optional(),
  entity_name: z.string().optional(),
  entity_version: z.coerce.string().optional(),
  workload_size: z.string().optional(),
  workload_type: z.string().optional(),
  scale_to_zero_enabled: z.boolean().optional(),
  state: z.looseObject({
    deployment: z.string().optional(),
    deployment_state_message: z.string().optional(),
  }).optional(),
});

const ConfigSchema = z.looseObject({
  served_entities: z.array(ServedEntitySchema).optional().default([]),
  traffic_config: z.looseObject({
    routes: z.array(z.looseObject({
      served_entity_name: z.string().optional(),
      served_model_name: z.string().optional(),
      traffic_percentage: z.number(),
    })).optional().default([]),
  }).optional(),
  config_version: z.number().optional(),
});

/** A serving endpoint (ServingEndpointDetailed). */
export const EndpointSchema = z.looseObject({
  name: z.string(),
  id: z.string().optional(),
  state: z.looseObject({
    ready: z.string().optional(),
    config_update: z.string().optional(),
  }).optional().default({}),
  config: ConfigSchema.optional(),
  pending_config: ConfigSchema.optional(),
  endpoint_url: z.string().optional(),
  route_optimized: z.boolean().optional(),
  last_updated_timestamp: z.number().optional(),
  creation_timestamp: z.number().optional(),
});
export type ServingEndpoint = z.infer<typeof EndpointSchema>;

/** The served-entities part of a config, as the API takes it. */
export interface EndpointConfig {
  served_entities: Record<string, unknown>[];
  traffic_config?: { routes: Record<string, unknown>[] };
}

/** Endpoint names: 1-63 letters, digits, '-' and '_'. */
export function checkEndpointName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(name)) {
    throw new BadRequestError(
      `${JSON.stringify(name)} is not a valid endpoint name (1-63 letters, digits, '-' or '_').`,
    );
  }
  return name;
}

/** Low-level serving calls. */
export class ServingClient {
  constructor(readonly http: HttpClient) {}

  async list(): Promise<ServingEndpoint[]> {
    const r = await this.http.json({
      method: "GET",
      path: "/api/2.0/serving-endpoints",
      what: "Listing serving endpoints",
    }, z.looseObject({ endpoints: z.array(EndpointSchema).optional().default([]) }));
    return r.endpoints;
  }

  get(name: string): Promise<ServingEndpoint> {
    return this.http.json({
      method: "GET",
      path: `/api/2.0/serving-endpoints/${checkEndpointName(name)}`,
      what: `Reading endpoint ${name}`,
    }, EndpointSchema);
  }

  /** Starts creating an endpoint; it becomes READY later (poll `get`). Not retried: not idempotent. */
  create(
    name: string,
    config: EndpointConfig,
    opts: { routeOptimized?: boolean } = {},
  ): Promise<ServingEndpoint> {
    return this.http.json({
      method: "POST",
      path: "/api/2.0/serving-endpoints",
      body: {
        name: checkEndpointName(name),
        config,
        ...(opts.routeOptimized ? { route_optimized: true } : {}),
      },
      what: `Creating endpoint ${name}`,
    }, EndpointSchema);
  }

  /** Replaces the served entities / traffic; refused while another update is in progress. */
  updateConfig(name: string, config: EndpointConfig): Promise<ServingEndpoint> {
    return this.http.json({
      method: "PUT",
      path: `/api/2.0/serving-endpoints/${checkEndpointName(name)}/config`,
      body: config,
      what: `Updating endpoint ${name}`,
    }, EndpointSchema);
  }

  async delete(name: string): Promise<void> {
    await this.http.json({
      method: "DELETE",
      path: `/api/2.0/serving-endpoints/${checkEndpointName(name)}`,
      what: `Deleting endpoint ${name}`,
    }, z.unknown());
  }

  /**
   * Queries an endpoint (`/serving-endpoints/<name>/invocations`, no /api prefix). Not retried
   * except on 429: predictions may have side effects (inference tables, billing).
   */
  invoke(name: string, body: unknown, opts: { url?: string; timeoutMs?: number } = {}) {
    if (!body || typeof body !== "object") {
      throw new BadRequestError("The request body must be a JSON object.");
    }
    return this.http.json({
      method: "POST",
      path: `/serving-endpoints/${checkEndpointName(name)}/invocations`,
      url: opts.url,
      body,
      timeoutMs: opts.timeoutMs ?? 120_000,
      what: `Querying endpoint ${name}`,
    }, z.unknown());
  }
}
