/**
 * Model Serving for the fake workspace: endpoints CRUD (NOT_READY → READY), config updates
 * refused while one is in progress, and invocations in the Model Serving body formats.
 */
import { apiError, badRequest, json, notFound, readJson } from "./util.ts";
import type { FakeDatabricks, Identity } from "./server.ts";

interface FakeEndpoint {
  name: string;
  ready: "READY" | "NOT_READY";
  config_update: "NOT_UPDATING" | "IN_PROGRESS" | "UPDATE_FAILED";
  config: Record<string, unknown>;
  pending_config?: Record<string, unknown>;
  created: number;
  updated: number;
  routeOptimized: boolean;
}

export class FakeServing {
  readonly endpoints = new Map<string, FakeEndpoint>();
  /** Computes an invocation's answer; by default one echo prediction per input row. */
  predict: (name: string, body: Record<string, unknown>) => unknown = (_n, body) => ({
    predictions: rowsOf(body).map((_, i) => ({ index: i })),
  });
  constructor(readonly fake: FakeDatabricks) {}

  /** Finishes a pending create/update (test driver); `failed` marks the update as failed. */
  settle(name: string, failed = false): void {
    const e = this.endpoints.get(name);
    if (!e) throw new Error(`no endpoint ${name}`);
    if (failed) {
      e.config_update = "UPDATE_FAILED";
      e.pending_config = undefined;
      return;
    }
    if (e.pending_config) e.config = e.pending_config;
    e.pending_config = undefined;
    e.ready = "READY";
    e.config_update = "NOT_UPDATING";
    e.updated = Date.now();
  }

  #view(e: FakeEndpoint) {
    const deployment = (ready: boolean) => ({
      deployment: ready ? "DEPLOYMENT_READY" : "DEPLOYMENT_CREATING",
      deployment_state_message: ready ? "" : "Creating the served entity.",
    });
    const withState = (c: Record<string, unknown> | undefined, ready: boolean) =>
      c && {
        ...c,
        served_entities: ((c.served_entities as Record<string, unknown>[]) ?? []).map((s) => ({
          ...s,
          state: deployment(ready),
        })),
      };
    return {
      name: e.name,
      id: `ep-${e.name}`,
      state: { ready: e.ready, config_update: e.config_update },
      ...(e.ready === "READY" || e.pending_config === undefined
        ? { config: withState(e.config, e.ready === "READY") }
        : {}),
      ...(e.pending_config ? { pending_config: withState(e.pending_config, false) } : {}),
      ...(e.routeOptimized
        ? {
          route_optimized: true,
          endpoint_url: `${this.fake.url}/ro/1234567890/serving-endpoints/${e.name}/invocations`,
        }
        : {}),
      creator: "dev@example.com",
      creation_timestamp: e.created,
      last_updated_timestamp: e.updated,
      permission_level: "CAN_MANAGE",
    };
  }

  async route(req: Request, _url: URL, path: string, id: Identity): Promise<Response | undefined> {
    const inv = /^(\/ro\/\d+)?\/serving-endpoints\/([^/]+)\/invocations$/.exec(path);
    if (inv && req.method === "POST") {
      const e = this.endpoints.get(inv[2]);
      if (!e) {
        return apiError(404, "RESOURCE_DOES_NOT_EXIST", `Endpoint '${inv[2]}' does not exist.`);
      }
      if (e.routeOptimized && !inv[1]) {
        return badRequest(`Endpoint '${e.name}' is route-optimized; query it at its endpoint_url.`);
      }
      if (inv[1] && !id.oauth) {
        return apiError(
          401,
          "UNAUTHENTICATED",
          "Route-optimized endpoints accept OAuth tokens only.",
        );
      }
      if (e.ready !== "READY") {
        return apiError(503, "TEMPORARILY_UNAVAILABLE", `Endpoint '${e.name}' is not ready.`);
      }
      const body = await readJson(req);
      if (!body) return badRequest("The request body is not valid JSON.");
      if (!["dataframe_split", "dataframe_records", "instances", "inputs"].some((k) => k in body)) {
        return apiError(
          400,
          "BAD_REQUEST",
          "The input must be a JSON dictionary with exactly one of the input fields " +
            "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}.",
        );
      }
      return json(this.predict(e.name, body));
    }
    if (!path.startsWith("/api/2.0/serving-endpoints")) return undefined;
    const rest = path.slice("/api/2.0/serving-endpoints".length).split("/").filter(Boolean);
    if (rest.length === 0 && req.method === "GET") {
      return json({ endpoints: [...this.endpoints.values()].map((e) => this.#view(e)) });
    }
    if (rest.length === 0 && req.method === "POST") {
      const b = await readJson(req);
      const name = String(b?.name ?? "");
      if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) {
        return badRequest("Endpoint name must be 1-63 letters, digits, '-' or '_'.");
      }
      if (this.endpoints.has(name)) {
        return apiError(
          409,
          "RESOURCE_ALREADY_EXISTS",
          `Endpoint with name '${name}' already exists.`,
        );
      }
      const config = b?.config as Record<string, unknown> | undefined;
      const bad = checkConfig(config);
      if (bad) return badRequest(bad);
      const e: FakeEndpoint = {
        name,
        ready: "NOT_READY",
        config_update: "IN_PROGRESS",
        config: {},
        pending_config: { ...config, config_version: 1 },
        created: Date.now(),
        updated: Date.now(),
        routeOptimized: b?.route_optimized === true,
      };
      this.endpoints.set(name, e);
      return json(this.#view(e));
    }
    const e = this.endpoints.get(rest[0]);
    if (!e) return notFound(`Endpoint '${rest[0]}'`);
    if (rest.length === 1 && req.method === "GET") {
      const view = this.#view(e);
      if (this.fake.autoAdvance && e.config_update === "IN_PROGRESS") this.settle(e.name);
      return json(view);
    }
    if (rest.length === 1 && req.method === "DELETE") {
      this.endpoints.delete(e.name);
      return json({});
    }
    if (rest[1] === "config" && req.method === "PUT") {
      if (e.config_update === "IN_PROGRESS") {
        return apiError(
          409,
          "RESOURCE_CONFLICT",
          `Endpoint '${e.name}' is currently being updated; wait until the update finishes.`,
        );
      }
      const b = await readJson(req);
      const bad = checkConfig(b);
      if (bad) return badRequest(bad);
      e.pending_config = { ...b, config_version: Number(e.config.config_version ?? 1) + 1 };
      e.config_update = "IN_PROGRESS";
      return json(this.#view(e));
    }
    return undefined;
  }
}

function checkConfig(c: Record<string, unknown> | undefined): string | undefined {
  const ents = c?.served_entities;
  if (!Array.isArray(ents) || ents.length === 0) return "config.served_entities must not be empty.";
  for (const s of ents as Record<string, unknown>[]) {
    if (!s.entity_name || !s.entity_version) {
      return "Each served entity needs entity_name and entity_version.";
    }
  }
  return undefined;
}

function rowsOf(body: Record<string, unknown>): unknown[] {
  const split = body.dataframe_split as { data?: unknown[] } | undefined;
  if (split?.data) return split.data;
  for (const k of ["dataframe_records", "instances", "inputs"]) {
    if (Array.isArray(body[k])) return body[k] as unknown[];
  }
  return [body.inputs];
}
