/**
 * Local Model Serving: endpoint records in KV, served by the engine (lib/serving/engine) inside
 * the app's server process. Every process (the server, the CLI, tests) reads and writes the same
 * records; only a process started with `serve: true` loads models. It polls the records, so an
 * endpoint created or changed by the CLI is loaded without a restart, and on start-up it loads
 * every endpoint again (in the background). Other processes forward invocations to it over
 * loopback (its URL is kept fresh in KV) and read its metrics and logs from KV.
 *
 * States: create → NOT_READY; READY once every served version is loaded, checksum-verified and
 * warmed up; FAILED (with the message) when loading fails. An update loads the new versions while
 * the old keep serving (UPDATING, config update IN_PROGRESS), then switches (READY) or keeps the
 * old (config update UPDATE_FAILED with the message).
 *
 * Keys: ["serving","endpoint",name] → EndpointRecord; ["serving","server"] → the serving
 * process's URL (expiring); metrics and logs: see the engine.
 */
import { z } from "zod";
import { ConflictError, HttpError, NotFoundError, ServiceUnavailableError } from "@/lib/errors.ts";
import {
  checkEndpointName,
  createRequest,
  resolveEntities,
  updateRequest,
} from "@/lib/serving/endpoint_config.ts";
import { type EngineEntity, logsKey, ServingEngine } from "@/lib/serving/engine/engine.ts";
import { metricsFromStored, metricsKey } from "@/lib/serving/engine/metrics.ts";
import { invocationErrorMessage } from "@/lib/serving/invocation_error.ts";
import { getKv } from "@/lib/store/kv.ts";
import type {
  Endpoint,
  EndpointMetrics,
  EndpointSpec,
  InvocationInfo,
  PlannedRequest,
  ServingApi,
  Workspace,
} from "../types.ts";
import { plural } from "@/lib/format.ts";

const EntitySchema = z.object({
  name: z.string(),
  model: z.string(),
  version: z.string(),
  workloadSize: z.string().optional(),
  workloadType: z.string().optional(),
  scaleToZero: z.boolean(),
  trafficPercent: z.number(),
  state: z.string().optional(),
  stateMessage: z.string().optional(),
});

const RecordSchema = z.object({
  name: z.string(),
  entities: z.array(EntitySchema),
  /** The configuration an update is loading, while `entities` keep serving. */
  pending: z.array(EntitySchema).optional(),
  state: z.enum(["READY", "NOT_READY", "UPDATING", "FAILED"]),
  configUpdate: z.string(),
  message: z.string().optional(),
  inferenceTables: z.boolean().optional(),
  routeOptimized: z.boolean().optional(),
  creator: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Bumped by every create/update; the serving process loads each generation once. */
  generation: z.number().int(),
  runtime: z.object({
    loaded: z.boolean(),
    loadMs: z.number().optional(),
    warmupMs: z.number().optional(),
    provider: z.string().optional(),
    idleUnloadMinutes: z.number().optional(),
  }).optional(),
});
type EndpointRecord = z.infer<typeof RecordSchema>;
type EntityRecord = z.infer<typeof EntitySchema>;

const PREFIX = ["serving", "endpoint"];
const SERVER_KEY = ["serving", "server"];
const endpointKey = (name: string): Deno.KvKey => [...PREFIX, name];
/** The serving process refreshes its URL this often; it expires after three misses. */
const HEARTBEAT_MS = 5_000;

/** Options of the local serving adapter. */
export interface LocalServingOptions {
  workspace: () => Workspace;
  volume: string;
  /** Load and serve endpoints in this process (the app's server only). */
  serve?: boolean;
  /** Where this process answers, announced to other processes (serving process only). */
  serverUrl?: string;
  /** Overrides LAKEVISION_ENDPOINT_IDLE_MINUTES. */
  idleUnloadMinutes?: number;
  /** How often the records are polled for changes from other processes, ms (default 2000). */
  pollMs?: number;
  /** Engine overrides (tests: seeded `random`, fake `now`, small queues). */
  engine?: {
    random?: () => number;
    now?: () => number;
    concurrency?: number;
    maxQueued?: number;
  };
}

/** The local ServingApi. */
export class LocalServing implements ServingApi {
  #engine?: ServingEngine;
  /** Generation last deployed (or failed) per endpoint, by this process. */
  #handled = new Map<string, number>();
  /** Per-endpoint chain, so loads of one endpoint never overlap. */
  #chains = new Map<string, Promise<void>>();
  #timers: ReturnType<typeof setInterval>[] = [];
  #started?: Promise<void>;
  readonly #idleMinutes: number;

  constructor(readonly opts: LocalServingOptions) {
    this.#idleMinutes = opts.idleUnloadMinutes ?? 15;
  }

  /** Starts serving in this process: loads every endpoint (background) and follows changes. */
  start(): Promise<void> {
    if (!this.opts.serve) return Promise.resolve();
    this.#started ??= (async () => {
      const kv = await getKv();
      this.#engine = new ServingEngine({
        ws: this.opts.workspace(),
        volume: this.opts.volume,
        kv,
        idleUnloadMinutes: this.#idleMinutes,
        timers: true,
        ...this.opts.engine,
        onChange: (name) => void this.#syncRuntime(name).catch(() => {}),
      });
      const poll = setInterval(
        () => void this.reconcile().catch(() => {}),
        this.opts.pollMs ?? 2000,
      );
      Deno.unrefTimer(poll);
      this.#timers.push(poll);
      if (this.opts.serverUrl) {
        const beat = () =>
          kv.set(SERVER_KEY, { url: this.opts.serverUrl, pid: Deno.pid, at: Date.now() }, {
            expireIn: 3 * HEARTBEAT_MS,
          }).catch(() => {});
        await beat();
        const t = setInterval(beat, HEARTBEAT_MS);
        Deno.unrefTimer(t);
        this.#timers.push(t);
      }
      void this.reconcile().catch(() => {});
    })();
    return this.#started;
  }

  /**
   * Brings this process's engine in line with the records: loads new generations, drops deleted
   * endpoints. Returns when the loads it started have finished.
   */
  async reconcile(): Promise<void> {
    const engine = this.#engine;
    if (!engine) return;
    const records = await this.#list();
    const names = new Set(records.map((r) => r.name));
    const work: Promise<void>[] = [];
    for (const r of records) {
      if (this.#handled.get(r.name) === r.generation) {
        const pending = this.#chains.get(r.name); // started already: wait for it too
        if (pending) work.push(pending);
        continue;
      }
      if (r.state === "FAILED" && !this.#handled.has(r.name)) {
        this.#handled.set(r.name, r.generation); // failed before a restart: wait for an update
        continue;
      }
      work.push(this.#deploy(r.name, r.generation));
    }
    for (const name of [...this.#handled.keys()]) {
      if (!names.has(name)) {
        this.#handled.delete(name);
        work.push(this.#serial(name, () => engine.undeploy(name)));
      }
    }
    await Promise.all(work);
  }

  /** Unloads idle scale-to-zero sessions now (the server does it every 30 s; tests call it). */
  sweep(now?: number): void {
    this.#engine?.sweep(now);
  }

  /** Writes pending metrics and logs to KV now. */
  async flush(): Promise<void> {
    await this.#engine?.flush();
  }

  /** Stops polling and releases every session (tests; the server ends with the process). */
  async close(): Promise<void> {
    for (const t of this.#timers.splice(0)) clearInterval(t);
    await Promise.all([...this.#chains.values()]).catch(() => {});
    if (this.opts.serverUrl && this.#engine) {
      const kv = await getKv();
      await kv.delete(SERVER_KEY).catch(() => {});
    }
    await this.#engine?.close();
    this.#engine = undefined;
    this.#started = undefined;
  }

  async list(): Promise<Endpoint[]> {
    const records = await this.#list();
    const server = this.#engine ? null : await this.#server();
    return records.map((r) => this.#view(r, server));
  }

  async get(name: string): Promise<Endpoint> {
    const r = await this.#record(name);
    return this.#view(r, this.#engine ? null : await this.#server());
  }

  async plan(spec: EndpointSpec): Promise<PlannedRequest> {
    checkEndpointName(spec.name);
    const kv = await getKv();
    const exists = (await kv.get(endpointKey(spec.name))).value !== null;
    return exists ? updateRequest(spec) : createRequest(spec);
  }

  async create(spec: EndpointSpec): Promise<Endpoint> {
    const name = checkEndpointName(spec.name);
    const entities = await this.#entities(spec);
    const now = Date.now();
    const rec: EndpointRecord = RecordSchema.parse({
      name,
      entities,
      state: "NOT_READY",
      configUpdate: "NOT_UPDATING",
      inferenceTables: spec.inferenceTables,
      routeOptimized: spec.routeOptimized,
      creator: spec.createdBy,
      createdAt: now,
      updatedAt: now,
      generation: 1,
    });
    const kv = await getKv();
    const res = await kv.atomic().check({ key: endpointKey(name), versionstamp: null })
      .set(endpointKey(name), rec).commit();
    if (!res.ok) throw new ConflictError(`An endpoint named ${name} already exists.`);
    await kv.delete(metricsKey(name));
    await kv.delete(logsKey(name));
    this.#kick(name, rec.generation);
    return this.#view(rec, this.#engine ? null : await this.#server());
  }

  async update(spec: EndpointSpec): Promise<Endpoint> {
    const name = checkEndpointName(spec.name);
    const entities = await this.#entities(spec);
    const kv = await getKv();
    const got = await kv.get(endpointKey(name));
    if (got.value === null) throw new NotFoundError(`No endpoint named ${name}.`);
    const old = RecordSchema.parse(got.value);
    if (old.configUpdate === "IN_PROGRESS") {
      throw new ConflictError(
        `Endpoint ${name} is already being updated; wait until it is READY and try again.`,
      );
    }
    const serving = old.state === "READY";
    const rec: EndpointRecord = {
      ...old,
      ...(serving ? { pending: entities } : { entities, pending: undefined }),
      state: serving ? "UPDATING" : "NOT_READY",
      configUpdate: "IN_PROGRESS",
      message: undefined,
      updatedAt: Date.now(),
      generation: old.generation + 1,
    };
    const res = await kv.atomic().check(got).set(endpointKey(name), rec).commit();
    if (!res.ok) throw new ConflictError(`Endpoint ${name} changed meanwhile; try again.`);
    this.#kick(name, rec.generation);
    return this.#view(rec, this.#engine ? null : await this.#server());
  }

  async delete(name: string): Promise<void> {
    await this.#record(name);
    const kv = await getKv();
    await kv.delete(endpointKey(name));
    const engine = this.#engine;
    if (engine) {
      this.#handled.delete(name);
      await this.#serial(name, () => engine.undeploy(name));
    }
    await kv.delete(metricsKey(name));
    await kv.delete(logsKey(name));
  }

  async invoke(name: string, body: unknown, info: InvocationInfo = {}): Promise<unknown> {
    checkEndpointName(name);
    const engine = this.#engine;
    if (!engine) return await this.#forward(name, body, info);
    let r = await this.#record(name);
    if (this.#handled.get(name) !== r.generation) {
      // Created or changed by another process since the last poll: load it now; while a
      // previous configuration serves, it answers and the new one loads in the background.
      const loading = this.#deploy(name, r.generation);
      if (engine.generation(name) === undefined) {
        await loading;
        r = await this.#record(name);
      } else loading.catch(() => {});
    }
    if (engine.generation(name) === undefined) {
      // A load this process already started (at start-up or by its poll) may still be running.
      const pending = this.#chains.get(name);
      if (pending) {
        await pending;
        r = await this.#record(name);
      }
    }
    if (engine.generation(name) === undefined) {
      if (r.state === "FAILED") {
        throw new HttpError(
          503,
          `Endpoint ${name} failed to load: ${r.message ?? "unknown error"}`,
        );
      }
      throw new ServiceUnavailableError(`Endpoint ${name} is not ready yet.`, 2);
    }
    return await engine.invoke(name, body, info);
  }

  async logs(name: string, entity: string, kind: "build" | "server"): Promise<string | null> {
    await this.#record(name);
    if (kind === "build") return null; // nothing is built: the ONNX file is served as registered
    if (this.#engine) return this.#engine.logLines(name, entity).join("\n");
    const kv = await getKv();
    const stored = (await kv.get<{ lines?: { t: number; entity?: string; text: string }[] }>(
      logsKey(name),
    )).value;
    return (stored?.lines ?? [])
      .filter((l) => !l.entity || l.entity === entity)
      .map((l) => `${new Date(l.t).toISOString()} ${l.entity ? `[${l.entity}] ` : ""}${l.text}`)
      .join("\n");
  }

  async metrics(name: string): Promise<EndpointMetrics> {
    await this.#record(name);
    if (this.#engine) return this.#engine.metrics(name);
    const kv = await getKv();
    return metricsFromStored((await kv.get(metricsKey(name))).value);
  }

  /** Health line for the Settings page. */
  async health(): Promise<string> {
    const records = await this.#list();
    const ready = records.filter((r) => r.state === "READY").length;
    const where = this.#engine
      ? "served by this process"
      : (await this.#server())
      ? "served by the running app"
      : "no server process is serving them now";
    return `onnxruntime (cpu); ${plural(records.length, "endpoint")}, ${ready} READY, ${where}`;
  }

  // --- private -----------------------------------------------------------------------------

  /** Checks the spec's entities against the registry; names and traffic filled in. */
  async #entities(spec: EndpointSpec): Promise<EntityRecord[]> {
    const resolved = resolveEntities(spec.entities ?? []);
    const ws = this.opts.workspace();
    for (const e of resolved) {
      const v = await ws.registry.getVersion(e.model, e.version);
      if (v.status !== "READY") {
        throw new ConflictError(`${e.model} version ${e.version} is ${v.status}, not READY.`);
      }
    }
    return resolved.map((e) => ({
      name: e.name,
      model: e.model,
      version: e.version,
      workloadSize: e.workloadSize ?? "Small",
      workloadType: e.workloadType ?? "CPU",
      scaleToZero: e.scaleToZero ?? true,
      trafficPercent: e.trafficPercent,
    }));
  }

  async #list(): Promise<EndpointRecord[]> {
    const kv = await getKv();
    const out: EndpointRecord[] = [];
    for await (const e of kv.list({ prefix: PREFIX })) {
      const r = RecordSchema.safeParse(e.value);
      if (r.success) out.push(r.data);
    }
    return out;
  }

  async #record(name: string): Promise<EndpointRecord> {
    checkEndpointName(name);
    const kv = await getKv();
    const got = await kv.get(endpointKey(name));
    if (got.value === null) throw new NotFoundError(`No endpoint named ${name}.`);
    return RecordSchema.parse(got.value);
  }

  /** Starts loading a generation in the background (serving process only). */
  #kick(name: string, generation: number): void {
    if (this.#engine) void this.#deploy(name, generation).catch(() => {});
  }

  #serial(name: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.#chains.get(name) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    const tail = next.catch(() => {});
    this.#chains.set(name, tail);
    tail.then(() => {
      if (this.#chains.get(name) === tail) this.#chains.delete(name);
    });
    return next;
  }

  /** Loads `generation` of an endpoint unless already done; records READY / FAILED. */
  #deploy(name: string, generation: number): Promise<void> {
    return this.#serial(name, async () => {
      const engine = this.#engine;
      if (!engine || this.#handled.get(name) === generation) return;
      const kv = await getKv();
      const got = await kv.get(endpointKey(name));
      if (got.value === null) return;
      const rec = RecordSchema.parse(got.value);
      if (rec.generation !== generation) return; // superseded; the newer one follows
      this.#handled.set(name, generation);
      const target = rec.pending ?? rec.entities;
      await engine.restore(name);
      try {
        await engine.deploy(name, generation, target.map(toEngine));
        await this.#patch(name, generation, (r) => ({
          ...r,
          entities: target,
          pending: undefined,
          state: "READY",
          configUpdate: "NOT_UPDATING",
          message: undefined,
        }));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        const stillServing = engine.generation(name) !== undefined;
        await this.#patch(name, generation, (r) =>
          stillServing
            ? {
              ...r,
              pending: undefined,
              state: "READY",
              configUpdate: "UPDATE_FAILED",
              message: `The update failed; the previous versions keep serving. ${message}`,
            }
            : {
              ...r,
              pending: undefined,
              state: "FAILED",
              configUpdate: r.configUpdate === "IN_PROGRESS" ? "UPDATE_FAILED" : "NOT_UPDATING",
              message,
            });
      }
    });
  }

  /** Changes a record if it is still at `generation` (another process may have moved it on). */
  async #patch(
    name: string,
    generation: number | null,
    fn: (r: EndpointRecord) => EndpointRecord,
  ): Promise<void> {
    const kv = await getKv();
    for (let i = 0; i < 10; i++) {
      const got = await kv.get(endpointKey(name));
      if (got.value === null) return;
      const r = RecordSchema.parse(got.value);
      if (generation !== null && r.generation !== generation) return;
      const next = fn(r);
      next.runtime = this.#engine?.runtime(name) ?? next.runtime;
      const states = this.#engine?.entityStates(name);
      if (states) {
        next.entities = next.entities.map((e) => ({ ...e, ...states.get(e.name) }));
      }
      next.updatedAt = Date.now();
      if ((await kv.atomic().check(got).set(endpointKey(name), next).commit()).ok) return;
    }
  }

  async #syncRuntime(name: string): Promise<void> {
    await this.#patch(name, null, (r) => r);
  }

  /** The serving process's URL, when one is running. */
  async #server(): Promise<string | null> {
    const kv = await getKv();
    const v = (await kv.get<{ url?: string; at?: number }>(SERVER_KEY)).value;
    return v?.url && typeof v.at === "number" && Date.now() - v.at < 3 * HEARTBEAT_MS
      ? v.url
      : null;
  }

  /** Sends an invocation to the serving process (this one does not load models). */
  async #forward(name: string, body: unknown, info: InvocationInfo): Promise<unknown> {
    await this.#record(name);
    const url = await this.#server();
    if (!url) {
      throw new ServiceUnavailableError(
        `Endpoint ${name} is served by the Lakevision app, which is not running; start it ` +
          "(deno task start) and try again.",
        5,
      );
    }
    let res: Response;
    try {
      res = await fetch(`${url}/serving-endpoints/${encodeURIComponent(name)}/invocations`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (e) {
      throw new ServiceUnavailableError(
        `The Lakevision app at ${url} did not answer (${e instanceof Error ? e.message : e}).`,
        5,
      );
    }
    const text = await res.text();
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch { /* not JSON: shown as text */ }
    if (!res.ok) {
      const msg = invocationErrorMessage(value) ?? text.slice(0, 500);
      const retry = Number(res.headers.get("retry-after"));
      if (res.status === 503 && retry > 0) throw new ServiceUnavailableError(msg, retry);
      throw new HttpError(res.status, msg);
    }
    info.servedEntity = res.headers.get("served-model-name") ?? undefined;
    if (res.headers.get("x-cold-start") === "true") info.coldStart = true;
    return value;
  }

  #view(r: EndpointRecord, server: string | null): Endpoint {
    const engine = this.#engine;
    const states = engine?.entityStates(r.name);
    const runtime = engine?.runtime(r.name) ?? r.runtime;
    const pending = r.pending
      ? ` Loading ${r.pending.map((e) => `${e.name} (${e.trafficPercent}%)`).join(", ")}.`
      : "";
    let message = r.message ? r.message + pending : pending.trim() || undefined;
    if (!engine && !server && r.state !== "FAILED" && (r.state !== "READY" || r.pending)) {
      message = `${message ? message + " " : ""}Waiting for the Lakevision app to load it: ` +
        "no app is running now (start it with deno task start).";
    }
    // Another process (the CLI) shows the running app's address, not the one it would serve at.
    const base = server ?? this.opts.serverUrl ?? "";
    return {
      name: r.name,
      state: r.state,
      configUpdate: r.configUpdate,
      message,
      entities: r.entities.map((e) => ({ ...e, ...states?.get(e.name) })),
      url: `${base}/serving-endpoints/${r.name}/invocations`,
      creator: r.creator,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      inferenceTables: r.inferenceTables,
      routeOptimized: r.routeOptimized,
      runtime: runtime ?? { loaded: false, provider: "cpu", idleUnloadMinutes: this.#idleMinutes },
    };
  }
}

function toEngine(e: EntityRecord): EngineEntity {
  return {
    name: e.name,
    model: e.model,
    version: e.version,
    trafficPercent: e.trafficPercent,
    scaleToZero: e.scaleToZero,
  };
}
