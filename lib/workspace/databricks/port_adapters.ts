/**
 * The Workspace port's tracking, registry, serving and compute parts on top of the Databricks
 * clients: request building and the mapping of Databricks states to the port's.
 */
import { BadRequestError } from "@/lib/errors.ts";
import type {
  ComputeApi,
  ComputeInfo,
  Endpoint,
  MetricPoint,
  ModelVersion,
  RegisteredModelInfo,
  RegistryApi,
  ServedEntity,
  ServingApi,
  TrackingApi,
  TrackingRun,
} from "../types.ts";
import type { ClustersClient } from "./clusters.ts";
import { isGpuMlRuntime } from "./clusters.ts";
import type { MlflowClient, MlflowRun } from "./mlflow.ts";
import type { EndpointConfig, ServingClient, ServingEndpoint } from "./serving.ts";
import { CREATED_BY_TAG } from "./registration.ts";
import type {
  MlflowVersionFacts,
  RegisteredModel,
  UcModelsClient,
  UcModelVersion,
} from "./uc_models.ts";

function trackingRunOf(r: MlflowRun): TrackingRun {
  const kv = (xs: { key: string; value: string }[]) =>
    Object.fromEntries(xs.map((x) => [x.key, x.value]));
  return {
    runId: r.info.run_id,
    experiment: r.info.experiment_id,
    name: r.info.run_name,
    status: r.info.status,
    startedAt: r.info.start_time,
    endedAt: r.info.end_time,
    params: kv(r.data.params),
    tags: kv(r.data.tags),
    metrics: Object.fromEntries(r.data.metrics.map((m) => [m.key, m.value])),
    artifactUri: r.info.artifact_uri,
  };
}

/** Tracking part of the port. `experimentRoot` narrows "all runs" to experiments under a path. */
export function trackingApi(mlflow: MlflowClient, experimentRoot?: string): TrackingApi {
  async function experimentIds(experiment?: string): Promise<string[]> {
    if (experiment) {
      if (/^\d+$/.test(experiment)) return [experiment];
      const e = await mlflow.experimentByName(experiment);
      return e ? [e.experiment_id] : [];
    }
    const ids: string[] = [];
    const filter = experimentRoot
      ? `name LIKE '${experimentRoot.replaceAll("'", "\\'")}%'`
      : undefined;
    for await (const e of mlflow.experiments({ filter })) {
      ids.push(e.experiment_id);
      if (ids.length >= 100) break;
    }
    return ids;
  }
  return {
    async *listRuns(opts = {}) {
      const ids = await experimentIds(opts.experiment);
      if (!ids.length) return;
      const limit = opts.limit ?? Infinity;
      let n = 0;
      for await (const r of mlflow.searchRuns(ids, { pageSize: Math.min(1000, limit) })) {
        yield trackingRunOf(r);
        if (++n >= limit) return;
      }
    },
    async getRun(runId) {
      return trackingRunOf(await mlflow.getRun(runId));
    },
    async metricHistory(runId, metric) {
      const points: MetricPoint[] = [];
      for await (const m of mlflow.metricHistory(runId, metric)) {
        points.push({ name: m.key, value: m.value, step: m.step, ts: m.timestamp });
      }
      return points.sort((a, b) => a.step - b.step || a.ts - b.ts);
    },
  };
}

/** A UC version as the port describes it; `aliases` come from the model (or the version). */
function versionOf(
  name: string,
  v: UcModelVersion,
  facts: MlflowVersionFacts,
  aliases = v.aliases.map((a) => a.alias_name),
): ModelVersion {
  return {
    name,
    version: String(v.version),
    source: v.source,
    runId: v.run_id,
    status: v.status,
    statusMessage: facts.statusMessage,
    aliases: [...aliases].sort(),
    tags: facts.tags,
    createdAt: v.created_at,
    // The version's own creator is the registration job's identity; the tag says who asked.
    createdBy: facts.tags[CREATED_BY_TAG] ?? v.created_by,
    description: v.comment,
  };
}

function modelInfoOf(m: RegisteredModel): RegisteredModelInfo {
  return {
    name: m.full_name,
    description: m.comment,
    owner: m.owner,
    createdAt: m.created_at,
    updatedAt: m.updated_at,
    aliases: m.aliases.map((a) => ({ alias: a.alias_name, version: String(a.version_num ?? "") }))
      .sort((a, b) => a.alias.localeCompare(b.alias)),
  };
}

/** Maps `fn` over `items` with at most `limit` calls in flight, keeping order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Registry part of the port (Unity Catalog models; registration runs as a job). */
export function registryApi(
  uc: UcModelsClient,
  defaults: { catalog?: string; schema?: string },
  registration: Pick<RegistryApi, "register" | "registration">,
): RegistryApi {
  // A version whose tags cannot be read (e.g. BROWSE only) still shows, with none.
  const facts = (name: string, version: number): Promise<MlflowVersionFacts> =>
    uc.mlflowVersion(name, version).catch(() => ({ tags: {} }));
  const one = async (name: string, v: Promise<UcModelVersion>) => {
    const got = await v;
    return versionOf(name, got, await facts(name, got.version));
  };
  return {
    async *listModels() {
      // List answers are summaries without aliases: each model's come from its own get, eight
      // at a time, so a caller that stops early pays for little more than it read.
      const page: RegisteredModel[] = [];
      const flush = async function* () {
        const full = await mapLimit(
          page.splice(0),
          8,
          (m) => uc.getModel(m.full_name).catch(() => m),
        );
        for (const m of full) yield modelInfoOf(m);
      };
      for await (const m of uc.models(defaults)) {
        page.push(m);
        if (page.length >= 8) yield* flush();
      }
      yield* flush();
    },
    async getModel(name) {
      return modelInfoOf(await uc.getModel(name));
    },
    async *listVersions(name) {
      // list-versions carries no aliases (and no order): one get-model gives every version's.
      const model = await uc.getModel(name);
      const aliases = new Map<number, string[]>();
      for (const a of model.aliases) {
        if (a.version_num === undefined) continue;
        aliases.set(a.version_num, [...(aliases.get(a.version_num) ?? []), a.alias_name]);
      }
      const all: UcModelVersion[] = [];
      for await (const v of uc.versions(name)) all.push(v);
      all.sort((a, b) => b.version - a.version);
      // Tags need one call per version: a page at a time, 8 at once.
      for (let i = 0; i < all.length; i += 25) {
        const batch = all.slice(i, i + 25);
        const got = await mapLimit(batch, 8, (v) => facts(name, v.version));
        for (let j = 0; j < batch.length; j++) {
          yield versionOf(name, batch[j], got[j], aliases.get(batch[j].version) ?? []);
        }
      }
    },
    getVersion(name, version) {
      return one(name, uc.getVersion(name, version));
    },
    getByAlias(name, alias) {
      return one(name, uc.byAlias(name, alias));
    },
    register: (req) => registration.register(req),
    registration: (prev) => registration.registration(prev),
    async setAlias(name, alias, version) {
      await uc.setAlias(name, alias, version);
    },
    async deleteAlias(name, alias) {
      await uc.deleteAlias(name, alias);
    },
    async setTag(name, version, key, value) {
      await uc.setVersionTag(name, version, key, value);
    },
    async updateVersion(name, version, patch) {
      await uc.updateVersion(name, version, { comment: patch.description });
    },
  };
}

/** Served entity name for a model version: `<model>-<version>`, API-safe. */
export function servedEntityName(model: string, version: string): string {
  return `${model.split(".").pop()}-${version}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 63);
}

/** The endpoint config for a list of served model versions (traffic must add up to 100). */
export function endpointConfig(entities: ServedEntity[]): EndpointConfig {
  if (!entities.length) {
    throw new BadRequestError("An endpoint needs at least one served model version.");
  }
  const withTraffic = entities.filter((e) => e.trafficPercent !== undefined);
  if (withTraffic.length && withTraffic.length !== entities.length) {
    throw new BadRequestError("Give a traffic percentage for every served version, or for none.");
  }
  const total = withTraffic.reduce((s, e) => s + (e.trafficPercent ?? 0), 0);
  if (withTraffic.length && total !== 100) {
    throw new BadRequestError(`Traffic percentages add up to ${total}, not 100.`);
  }
  const served = entities.map((e) => ({
    name: servedEntityName(e.model, e.version),
    entity_name: e.model,
    entity_version: e.version,
    workload_size: e.workloadSize ?? "Small",
    ...(e.workloadType ? { workload_type: e.workloadType } : {}),
    scale_to_zero_enabled: e.scaleToZero ?? true,
  }));
  // Without percentages, traffic is split evenly (the remainder goes to the first version).
  const even = Math.floor(100 / entities.length);
  const routes = entities.length > 1 || withTraffic.length
    ? entities.map((e, i) => ({
      served_entity_name: served[i].name,
      traffic_percentage: e.trafficPercent ?? (i === 0 ? 100 - even * (entities.length - 1) : even),
    }))
    : undefined;
  return { served_entities: served, ...(routes ? { traffic_config: { routes } } : {}) };
}

/** Maps an endpoint's ready / config_update / deployment states to the port's. */
export function endpointOf(e: ServingEndpoint, host: string): Endpoint {
  const cfg = e.config ?? e.pending_config;
  const ents = cfg?.served_entities ?? [];
  const failed = ents.find((s) => s.state?.deployment === "DEPLOYMENT_FAILED");
  const { ready, config_update: cu } = e.state;
  const state: Endpoint["state"] = cu === "UPDATE_FAILED" || failed
    ? "FAILED"
    : ready === "READY"
    ? (cu === "IN_PROGRESS" ? "UPDATING" : "READY")
    : "NOT_READY";
  const routes = cfg?.traffic_config?.routes ?? [];
  return {
    name: e.name,
    state,
    message: ents.map((s) => s.state?.deployment_state_message).find((m) => m) ||
      (cu === "UPDATE_FAILED" ? "The last configuration update failed." : undefined),
    entities: ents.map((s) => ({
      model: s.entity_name ?? "",
      version: s.entity_version ?? "",
      workloadSize: s.workload_size,
      workloadType: s.workload_type,
      scaleToZero: s.scale_to_zero_enabled,
      trafficPercent: routes.find((r) => (r.served_entity_name ?? r.served_model_name) === s.name)
        ?.traffic_percentage ?? (ents.length === 1 ? 100 : undefined),
    })),
    url: invocationUrl(e, host),
    updatedAt: e.last_updated_timestamp,
  };
}

/**
 * Where invocations go: a route-optimized endpoint's own URL (`endpoint_url`, set only for
 * those; such endpoints take OAuth tokens only), else the workspace's path.
 */
export function invocationUrl(
  e: Pick<ServingEndpoint, "name" | "endpoint_url">,
  host: string,
): string {
  const u = e.endpoint_url?.trim().replace(/\/+$/, "");
  if (!u) return `${host}/serving-endpoints/${e.name}/invocations`;
  const abs = /^https?:\/\//.test(u) ? u : `https://${u}`;
  if (abs.endsWith("/invocations")) return abs;
  if (abs.includes("/serving-endpoints/")) return `${abs}/invocations`;
  return `${abs}/serving-endpoints/${e.name}/invocations`;
}

/** Endpoint name → its route-optimized invocation URL (undefined: the workspace path), with when it was learned. */
export type InvocationRoutes = Map<string, { url?: string; at: number }>;

const ROUTE_TTL_MS = 5 * 60_000;

/** Serving part of the port. `routes` caches which endpoints are route-optimized. */
export function servingApi(
  serving: ServingClient,
  host: string,
  routes: InvocationRoutes = new Map(),
  clock: { now(): number } = Date,
): ServingApi {
  const learn = (e: ServingEndpoint) => {
    routes.set(e.name, {
      url: e.endpoint_url ? invocationUrl(e, host) : undefined,
      at: clock.now(),
    });
    return endpointOf(e, host);
  };
  return {
    async list() {
      return (await serving.list()).map(learn);
    },
    async get(name) {
      return learn(await serving.get(name));
    },
    async createOrUpdate(name, entities) {
      const config = endpointConfig(entities);
      try {
        await serving.get(name);
      } catch (e) {
        if ((e as { status?: number }).status !== 404) throw e;
        try {
          return learn(await serving.create(name, config));
        } catch (e2) {
          // Someone created it meanwhile: fall through to an update.
          if ((e2 as { errorCode?: string }).errorCode !== "RESOURCE_ALREADY_EXISTS") throw e2;
        }
      }
      return learn(await serving.updateConfig(name, config));
    },
    async delete(name) {
      routes.delete(name);
      await serving.delete(name);
    },
    async invoke(name, body) {
      let route = routes.get(name);
      if (!route || clock.now() - route.at > ROUTE_TTL_MS) {
        learn(await serving.get(name));
        route = routes.get(name);
      }
      return await serving.invoke(name, body, { url: route?.url });
    },
  };
}

/** Compute part of the port: node types (GPU first) and runtimes. */
export function computeApi(clusters: ClustersClient): ComputeApi {
  return {
    async info(): Promise<ComputeInfo> {
      const [nodes, versions] = await Promise.all([clusters.nodeTypes(), clusters.sparkVersions()]);
      return {
        kind: "databricks",
        nodeTypes: nodes.map((n) => ({
          id: n.node_type_id,
          gpus: n.num_gpus,
          memoryMb: n.memory_mb,
          cores: n.num_cores,
          description: n.description,
        })),
        runtimes: versions.map((v) => ({
          key: v.key,
          name: v.name,
          gpu: isGpuMlRuntime(v.key),
          ml: /-ml-/.test(v.key),
        })),
      };
    },
  };
}
