/**
 * The local serving engine: per endpoint, its served entities' onnxruntime sessions, one bounded
 * queue, a traffic split between entities, scale to zero (idle sessions unloaded, reloaded on the
 * next request, which is then answered as a cold start), request metrics and log lines. It holds
 * no endpoint records: lib/workspace/local/serving.ts decides what is deployed and keeps state.
 *
 * A request is parsed before it queues (a malformed body costs nothing), then runs in a queue
 * slot: each image decoded (off-thread when large, within the one pixel budget), preprocessed,
 * run and decoded. A bad image answers `{error}` in its place, as the pyfunc wrapper does; when
 * every image is bad the request fails with that image's 4xx instead.
 */
import { HttpError, NotFoundError, ServiceUnavailableError } from "@/lib/errors.ts";
import type { ServingEntry } from "@/lib/inference/contract.ts";
import type { Endpoint, InvocationInfo, ServedEntity, Workspace } from "@/lib/workspace/types.ts";
import { BoundedQueue } from "./queue.ts";
import { EndpointMeter, metricsKey } from "./metrics.ts";
import { type LoadedModel, loadModel, PROVIDER } from "./model.ts";
import { imageBytes, parseInvocation } from "./request.ts";

/** Requests that may wait per endpoint before a 503. */
export const MAX_QUEUED = 32;
/** Requests run at once per endpoint. */
export const CONCURRENCY = 2;
/** What a refused client is told to wait, seconds. */
export const RETRY_AFTER_SECONDS = 1;
/** Log lines kept per endpoint. */
export const MAX_LOG_LINES = 200;
/** How often idle sessions are looked for, and metrics and logs written to KV. */
const SWEEP_MS = 30_000;
const FLUSH_MS = 5_000;

/** One served entity as the engine runs it. */
export interface EngineEntity {
  name: string;
  model: string;
  version: string;
  trafficPercent: number;
  /** Unloaded when idle (Model Serving's `scale_to_zero_enabled`, on by default). */
  scaleToZero: boolean;
}

/** The response body: one entry per image, `{error}` for an image that could not be used. */
export interface Predictions {
  predictions: (ServingEntry | { error: string })[];
}

/** Engine settings; `random` and `now` are for tests. */
export interface EngineOptions {
  ws: Workspace;
  volume: string;
  kv: Deno.Kv;
  /** Minutes idle before a scale-to-zero entity unloads; 0 = never. */
  idleUnloadMinutes: number;
  concurrency?: number;
  maxQueued?: number;
  retryAfterSeconds?: number;
  /** Uniform [0, 1) for the traffic split (seeded in tests). */
  random?: () => number;
  now?: () => number;
  /** Called after an entity loads, unloads or fails to reload, so the record can follow. */
  onChange?: (endpoint: string) => void;
  /** Run the idle sweep and KV flush on timers (the server); tests call them directly. */
  timers?: boolean;
}

interface Slot {
  entity: EngineEntity;
  model?: LoadedModel;
  loading?: Promise<LoadedModel>;
  inflight: number;
  lastUsed: number;
  last?: { loadMs: number; warmupMs: number };
  error?: string;
  retired?: boolean;
}

interface Deployed {
  generation: number;
  slots: Slot[];
  queue: BoundedQueue;
}

interface LogLine {
  t: number;
  entity?: string;
  text: string;
}

/** The key of an endpoint's stored log lines. */
export const logsKey = (name: string): Deno.KvKey => ["serving", "logs", name];

/** Loads, serves, scales and measures local endpoints. */
export class ServingEngine {
  #deployed = new Map<string, Deployed>();
  #logs = new Map<string, { lines: LogLine[]; dirty: boolean }>();
  #meters = new Map<string, EndpointMeter>();
  #timers: ReturnType<typeof setInterval>[] = [];
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(readonly opts: EngineOptions) {
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
    if (opts.timers) {
      const sweep = setInterval(() => this.sweep(), SWEEP_MS);
      const flush = setInterval(() => this.flush().catch(() => {}), FLUSH_MS);
      Deno.unrefTimer(sweep);
      Deno.unrefTimer(flush);
      this.#timers.push(sweep, flush);
    }
  }

  /** The generation an endpoint is deployed at, or undefined. */
  generation(name: string): number | undefined {
    return this.#deployed.get(name)?.generation;
  }

  /**
   * Loads the entities of `generation` (reusing sessions of unchanged versions), checks and warms
   * each up, then switches traffic to them; the previous ones keep serving until then and are
   * released once their requests finish. Throws the load error; the previous set stays.
   */
  async deploy(name: string, generation: number, entities: EngineEntity[]): Promise<void> {
    const old = this.#deployed.get(name);
    const fresh: Slot[] = [];
    /** Old slots whose sessions the new configuration takes over at the switch. */
    const taken = new Set<Slot>();
    try {
      for (const e of entities) {
        const reuse = old?.slots.find((s) =>
          s.model && !taken.has(s) && s.entity.model === e.model && s.entity.version === e.version
        );
        if (reuse) {
          taken.add(reuse);
          fresh.push({ entity: e, inflight: 0, lastUsed: reuse.lastUsed, last: reuse.last });
          continue;
        }
        const slot: Slot = { entity: e, inflight: 0, lastUsed: this.#now() };
        slot.model = await this.#load(name, slot, "loading");
        fresh.push(slot);
      }
    } catch (e) {
      for (const s of fresh) await s.model?.release().catch(() => {});
      throw e;
    }
    // The switch, without an await: old slots keep serving until here.
    for (let i = 0, k = 0; i < entities.length; i++) {
      if (fresh[i].model) continue;
      const from = [...taken][k++];
      if (!from.model) {
        // Scaled to zero meanwhile: the new slot loads on its first request.
        continue;
      }
      fresh[i].model = from.model;
      from.model = undefined;
    }
    const queue = old?.queue ?? new BoundedQueue({
      concurrency: this.opts.concurrency ?? CONCURRENCY,
      maxQueued: this.opts.maxQueued ?? MAX_QUEUED,
      retryAfterSeconds: this.opts.retryAfterSeconds ?? RETRY_AFTER_SECONDS,
    }, `Endpoint ${name}`);
    this.#deployed.set(name, { generation, slots: fresh, queue });
    for (const s of old?.slots ?? []) this.#retire(s);
    if (old) this.log(name, `serving configuration ${generation} (${describe(entities)})`);
  }

  /** Stops serving an endpoint: sessions released once their requests finish. */
  async undeploy(name: string, why = "deleted"): Promise<void> {
    const d = this.#deployed.get(name);
    this.#deployed.delete(name);
    if (d) {
      for (const s of d.slots) this.#retire(s);
      this.log(name, `stopped (${why})`);
    }
    await this.flush(name);
    this.#logs.delete(name);
    this.#meters.delete(name);
  }

  /** Answers one request in the Model Serving formats; `info` says who served it. */
  async invoke(name: string, body: unknown, info: InvocationInfo = {}): Promise<Predictions> {
    const d = this.#deployed.get(name);
    if (!d) throw new NotFoundError(`Endpoint ${name} is not being served.`);
    const t0 = performance.now();
    let ok = false;
    try {
      const req = parseInvocation(body);
      const out = await d.queue.run(async () => {
        const slot = this.#pick(d.slots);
        info.servedEntity = slot.entity.name;
        slot.inflight++;
        try {
          const model = await this.#ensureLoaded(name, slot, info);
          const predictions: Predictions["predictions"] = [];
          const failures: HttpError[] = [];
          for (let i = 0; i < req.images.length; i++) {
            const what = req.images.length > 1 ? `image ${i} of ${req.images.length}` : "the image";
            try {
              const bytes = imageBytes(req.images[i], what);
              predictions.push(await model.predict(bytes, req.params, what));
            } catch (e) {
              if (!(e instanceof HttpError) || e.status >= 500) throw e;
              failures.push(e);
              predictions.push({ error: e.message });
            }
          }
          if (failures.length === req.images.length) {
            const same = failures.every((f) => f.status === failures[0].status);
            throw same ? failures[0] : new HttpError(400, failures[0].message);
          }
          return { predictions };
        } finally {
          slot.inflight--;
          slot.lastUsed = this.#now();
          if (slot.retired) this.#retire(slot);
        }
      });
      ok = true;
      return out;
    } catch (e) {
      if (!(e instanceof HttpError) || e.status >= 500) {
        this.log(name, `request failed: ${e instanceof Error ? e.message : e}`, info.servedEntity);
      }
      throw e;
    } finally {
      this.#meter(name).record(performance.now() - t0, ok, this.#now());
    }
  }

  /** How the endpoint runs now, for `Endpoint.runtime`. */
  runtime(name: string): Endpoint["runtime"] | undefined {
    const d = this.#deployed.get(name);
    if (!d) return undefined;
    const lasts = d.slots.map((s) => s.last).filter((x) => x !== undefined);
    return {
      loaded: d.slots.every((s) => s.model),
      loadMs: lasts.length ? round(Math.max(...lasts.map((l) => l.loadMs))) : undefined,
      warmupMs: lasts.length ? round(Math.max(...lasts.map((l) => l.warmupMs))) : undefined,
      provider: PROVIDER,
      idleUnloadMinutes: this.opts.idleUnloadMinutes,
    };
  }

  /** Each served entity's state: READY, LOADING, SCALED_TO_ZERO or FAILED, with a message. */
  entityStates(name: string): Map<string, Pick<ServedEntity, "state" | "stateMessage">> {
    const out = new Map<string, Pick<ServedEntity, "state" | "stateMessage">>();
    for (const s of this.#deployed.get(name)?.slots ?? []) {
      const timing = s.last
        ? `loaded in ${round(s.last.loadMs)} ms, warm-up ${round(s.last.warmupMs)} ms (${PROVIDER})`
        : undefined;
      out.set(
        s.entity.name,
        s.model
          ? { state: "READY", stateMessage: timing }
          : s.loading
          ? { state: "LOADING", stateMessage: "loading the model" }
          : s.error
          ? { state: "FAILED", stateMessage: s.error }
          : {
            state: "SCALED_TO_ZERO",
            stateMessage: "unloaded while idle; the next request loads it",
          },
      );
    }
    return out;
  }

  /** Log lines of an endpoint (optionally those of one entity and the endpoint's own). */
  logLines(name: string, entity?: string): string[] {
    return (this.#logs.get(name)?.lines ?? [])
      .filter((l) => !entity || !l.entity || l.entity === entity)
      .map(formatLine);
  }

  /** The endpoint's meter (created on first use, from its KV snapshot when there is one). */
  metrics(name: string) {
    return this.#meter(name).view();
  }

  /** Appends a log line for an endpoint (and entity). */
  log(name: string, text: string, entity?: string): void {
    let l = this.#logs.get(name);
    if (!l) this.#logs.set(name, l = { lines: [], dirty: false });
    l.lines.push({ t: this.#now(), entity, text: text.slice(0, 400) });
    if (l.lines.length > MAX_LOG_LINES) l.lines.splice(0, l.lines.length - MAX_LOG_LINES);
    l.dirty = true;
  }

  /** Restores an endpoint's metrics and logs from KV (after a restart). */
  async restore(name: string): Promise<void> {
    const [m, l] = await this.opts.kv.getMany([metricsKey(name), logsKey(name)]);
    if (m.value && !this.#meters.has(name)) {
      this.#meters.set(name, EndpointMeter.fromStored(m.value));
    }
    const lines = (l.value as { lines?: LogLine[] } | null)?.lines;
    if (Array.isArray(lines) && !this.#logs.has(name)) {
      this.#logs.set(name, { lines: lines.slice(-MAX_LOG_LINES), dirty: false });
    }
  }

  /** Unloads scale-to-zero entities idle for `idleUnloadMinutes`. */
  sweep(now = this.#now()): void {
    const idleMs = this.opts.idleUnloadMinutes * 60_000;
    if (!(idleMs > 0)) return;
    for (const [name, d] of this.#deployed) {
      let changed = false;
      for (const s of d.slots) {
        if (!s.model || s.inflight || !s.entity.scaleToZero || now - s.lastUsed < idleMs) continue;
        const m = s.model;
        s.model = undefined;
        m.release().catch(() => {});
        this.log(
          name,
          `unloaded after ${this.opts.idleUnloadMinutes} idle minute(s) (scale to zero)`,
          s.entity.name,
        );
        changed = true;
      }
      if (changed) this.opts.onChange?.(name);
    }
  }

  /** Writes changed metrics and logs to KV (bounded values). */
  async flush(only?: string): Promise<void> {
    const kv = this.opts.kv;
    for (const [name, m] of this.#meters) {
      if ((only && name !== only) || !m.dirty) continue;
      m.dirty = false;
      await kv.set(metricsKey(name), m.toStored());
    }
    for (const [name, l] of this.#logs) {
      if ((only && name !== only) || !l.dirty) continue;
      l.dirty = false;
      await kv.set(logsKey(name), { lines: l.lines });
    }
  }

  /** Stops timers, writes what is pending and releases every session. */
  async close(): Promise<void> {
    for (const t of this.#timers.splice(0)) clearInterval(t);
    await this.flush().catch(() => {});
    for (const d of this.#deployed.values()) {
      for (const s of d.slots) {
        s.retired = true;
        await s.model?.release().catch(() => {});
        s.model = undefined;
      }
    }
    this.#deployed.clear();
  }

  #meter(name: string): EndpointMeter {
    let m = this.#meters.get(name);
    if (!m) this.#meters.set(name, m = new EndpointMeter());
    return m;
  }

  async #load(name: string, slot: Slot, verb: string): Promise<LoadedModel> {
    const e = slot.entity;
    this.log(name, `${verb} ${e.model} version ${e.version}`, e.name);
    try {
      const threads = Math.max(
        1,
        Math.floor((navigator.hardwareConcurrency ?? 2) / (this.opts.concurrency ?? CONCURRENCY)),
      );
      const m = await loadModel(this.opts.ws, this.opts.volume, e.model, e.version, {
        intraOpThreads: threads,
      });
      slot.last = { loadMs: m.loadMs, warmupMs: m.warmupMs };
      slot.error = undefined;
      slot.lastUsed = this.#now();
      this.log(
        name,
        `checksums verified; session on ${m.provider} in ${round(m.loadMs)} ms; ` +
          `warm-up inference ${round(m.warmupMs)} ms`,
        e.name,
      );
      return m;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      slot.error = msg;
      this.log(name, `loading failed: ${msg}`, e.name);
      throw err;
    }
  }

  async #ensureLoaded(name: string, slot: Slot, info: InvocationInfo): Promise<LoadedModel> {
    if (slot.model) return slot.model;
    info.coldStart = true;
    if (!slot.loading) {
      slot.loading = this.#load(name, slot, "cold start: reloading")
        .then((m) => {
          if (slot.retired) {
            m.release().catch(() => {});
            throw new ServiceUnavailableError("The endpoint changed while loading; retry.", 1);
          }
          slot.model = m;
          return m;
        })
        .finally(() => {
          slot.loading = undefined;
          this.opts.onChange?.(name);
        });
    }
    try {
      return await slot.loading;
    } catch (e) {
      if (e instanceof ServiceUnavailableError) throw e;
      throw new HttpError(
        503,
        `Endpoint ${name} could not load ${slot.entity.model} version ${slot.entity.version}: ${
          e instanceof Error ? e.message : e
        }`,
      );
    }
  }

  /** A weighted random pick by traffic percentage. */
  #pick(slots: Slot[]): Slot {
    const live = slots.filter((s) => s.entity.trafficPercent > 0);
    if (!live.length) return slots[0];
    const total = live.reduce((a, s) => a + s.entity.trafficPercent, 0);
    let r = this.#random() * total;
    for (const s of live) {
      r -= s.entity.trafficPercent;
      if (r < 0) return s;
    }
    return live[live.length - 1];
  }

  #retire(s: Slot): void {
    s.retired = true;
    if (s.inflight || !s.model) return;
    const m = s.model;
    s.model = undefined;
    m.release().catch(() => {});
  }
}

function describe(entities: EngineEntity[]): string {
  return entities.map((e) => `${e.name} ${e.trafficPercent}%`).join(", ");
}

function formatLine(l: LogLine): string {
  return `${new Date(l.t).toISOString()} ${l.entity ? `[${l.entity}] ` : ""}${l.text}`;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
