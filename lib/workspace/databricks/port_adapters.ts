/**
 * The Workspace port's tracking, registry and compute parts on top of the Databricks clients:
 * request building and the mapping of Databricks states to the port's (serving: port_serving.ts).
 */
import type {
  ComputeApi,
  ComputeInfo,
  MetricPoint,
  ModelVersion,
  RegisteredModelInfo,
  RegistryApi,
  TrackingApi,
  TrackingRun,
} from "../types.ts";
import type { ClustersClient } from "./clusters.ts";
import { isGpuMlRuntime } from "./clusters.ts";
import type { MlflowClient, MlflowRun } from "./mlflow.ts";
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
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (x: T) => Promise<R>,
): Promise<R[]> {
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
