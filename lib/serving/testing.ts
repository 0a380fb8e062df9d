/**
 * Test doubles for the Deployment stage: an in-memory `ServingApi` that records every call (and
 * becomes READY after a few reads, like a real endpoint), and a workspace around it with an
 * in-memory registry and files, so the service is tested without an adapter.
 */
import { ConflictError, NotFoundError } from "@/lib/errors.ts";
import type {
  Endpoint,
  EndpointSpec,
  FileEntry,
  ModelVersion,
  ServingApi,
  Workspace,
} from "@/lib/workspace/types.ts";

/** A recorded call to the fake. */
export interface FakeCall {
  op: "create" | "update" | "delete" | "invoke" | "plan";
  name: string;
  body?: unknown;
}

/** The fake ServingApi and what it saw. */
export interface FakeServing extends ServingApi {
  calls: FakeCall[];
  endpoints: Map<string, Endpoint>;
  /** Reads of `get` before a new or updated endpoint turns READY. */
  readsToReady: number;
  /** The answer `invoke` gives. */
  answer: unknown;
  /** Invocations so far (entities answer in turn, as a 50/50 split would on average). */
  invocations: number;
}

/** A fake ServingApi: create/update/delete in memory, READY after `readsToReady` gets. */
export function fakeServing(): FakeServing {
  const endpoints = new Map<string, Endpoint>();
  const reads = new Map<string, number>();
  const calls: FakeCall[] = [];
  const fake: FakeServing = {
    calls,
    endpoints,
    readsToReady: 1,
    invocations: 0,
    answer: { predictions: [{ top_k: [{ label: 1, label_name: "dog", score: 0.9 }] }] },
    list: () => Promise.resolve([...endpoints.values()].map((e) => structuredClone(e))),
    get(name) {
      const e = endpoints.get(name);
      if (!e) return Promise.reject(new NotFoundError(`No endpoint ${name}.`));
      const n = (reads.get(name) ?? 0) + 1;
      reads.set(name, n);
      if (n >= fake.readsToReady) {
        e.state = "READY";
        e.configUpdate = "NOT_UPDATING";
        e.entities.forEach((s) => (s.state = "READY"));
      }
      return Promise.resolve(structuredClone(e));
    },
    plan(spec) {
      calls.push({ op: "plan", name: spec.name, body: spec });
      return Promise.resolve(
        endpoints.has(spec.name)
          ? { method: "PUT", path: `/serving-endpoints/${spec.name}/config`, body: body(spec) }
          : {
            method: "POST",
            path: "/serving-endpoints",
            body: { name: spec.name, ...body(spec) },
          },
      );
    },
    create(spec) {
      calls.push({ op: "create", name: spec.name, body: spec });
      if (endpoints.has(spec.name)) {
        return Promise.reject(new ConflictError(`${spec.name} exists.`));
      }
      const now = Date.now();
      endpoints.set(spec.name, {
        name: spec.name,
        state: "NOT_READY",
        configUpdate: "IN_PROGRESS",
        entities: spec.entities.map((s) => ({ ...s, state: "DEPLOYMENT_CREATING" })),
        creator: spec.createdBy,
        createdAt: now,
        updatedAt: now,
        inferenceTables: spec.inferenceTables,
        url: `http://fake/serving-endpoints/${spec.name}/invocations`,
      });
      reads.set(spec.name, 0);
      return Promise.resolve(structuredClone(endpoints.get(spec.name)!));
    },
    update(spec) {
      calls.push({ op: "update", name: spec.name, body: spec });
      const e = endpoints.get(spec.name);
      if (!e) return Promise.reject(new NotFoundError(`No endpoint ${spec.name}.`));
      e.entities = spec.entities.map((s) => ({ ...s, state: "DEPLOYMENT_CREATING" }));
      e.configUpdate = "IN_PROGRESS";
      e.inferenceTables = spec.inferenceTables;
      e.updatedAt = Date.now();
      reads.set(spec.name, 0);
      return Promise.resolve(structuredClone(e));
    },
    delete(name) {
      calls.push({ op: "delete", name });
      if (!endpoints.delete(name)) return Promise.reject(new NotFoundError(`No endpoint ${name}.`));
      return Promise.resolve();
    },
    invoke(name, b, info) {
      calls.push({ op: "invoke", name, body: b });
      const e = endpoints.get(name);
      if (!e) return Promise.reject(new NotFoundError(`No endpoint ${name}.`));
      if (info) info.servedEntity = e.entities[fake.invocations++ % e.entities.length]?.name;
      return Promise.resolve(structuredClone(fake.answer));
    },
    logs: () => Promise.resolve(null),
    metrics: () => Promise.resolve({ unavailable: "The fake keeps no metrics." }),
  };
  return fake;
}

function body(spec: EndpointSpec) {
  return {
    config: {
      served_entities: spec.entities.map((e) => ({
        name: e.name,
        entity_name: e.model,
        entity_version: e.version,
        workload_size: e.workloadSize,
        workload_type: e.workloadType,
        scale_to_zero_enabled: !!e.scaleToZero,
      })),
      traffic_config: {
        routes: spec.entities.map((e) => ({
          served_model_name: e.name,
          traffic_percentage: e.trafficPercent,
        })),
      },
    },
  };
}

/** A workspace with the fake serving, versions `versions` and in-memory files. */
export function fakeWorkspace(
  versions: Partial<ModelVersion>[],
  serving: ServingApi = fakeServing(),
): Workspace & { fileMap: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  const enc = new TextEncoder();
  const find = (name: string, version: string) => {
    const v = versions.find((x) => x.name === name && x.version === version);
    if (!v) throw new NotFoundError(`No version ${version} of ${name}.`);
    return {
      source: "",
      status: "READY",
      aliases: [],
      tags: {},
      createdAt: 0,
      ...v,
    } as ModelVersion;
  };
  const readBytes = (p: string) => {
    const b = files.get(p);
    return b ? Promise.resolve(b) : Promise.reject(new NotFoundError(`${p} does not exist.`));
  };
  const ws = {
    kind: "local",
    describe: () => "fake",
    fileMap: files,
    serving,
    registry: {
      getVersion: (n: string, v: string) => {
        try {
          return Promise.resolve(find(n, v));
        } catch (e) {
          return Promise.reject(e);
        }
      },
    },
    files: {
      async *list(dir: string): AsyncIterable<FileEntry> {
        const seen = new Set<string>();
        for (const p of files.keys()) {
          if (!p.startsWith(`${dir}/`)) continue;
          const rest = p.slice(dir.length + 1);
          const head = rest.split("/")[0];
          if (seen.has(head)) continue;
          seen.add(head);
          yield {
            path: `${dir}/${head}`,
            name: head,
            isDirectory: rest.includes("/"),
            size: rest.includes("/") ? undefined : files.get(p)!.byteLength,
          };
        }
      },
      stat: (p: string) =>
        Promise.resolve(
          files.has(p)
            ? {
              path: p,
              name: p.split("/").at(-1)!,
              isDirectory: false,
              size: files.get(p)!.length,
            }
            : null,
        ),
      readBytes,
      readText: async (p: string) => new TextDecoder().decode(await readBytes(p)),
      write: (p: string, d: Uint8Array | string) => {
        files.set(p, typeof d === "string" ? enc.encode(d) : d);
        return Promise.resolve();
      },
      mkdirs: () => Promise.resolve(),
    },
  };
  return ws as unknown as Workspace & { fileMap: Map<string, Uint8Array> };
}
