/**
 * Request metrics the app measures for a local endpoint: per minute, the request count, errors
 * and p50/p95 latency. Kept in memory (latencies of the open minute as samples, a bounded
 * reservoir) and as a compact KV snapshot of finished minutes, so the numbers survive a restart
 * and other processes (the CLI) can read them. Both are bounded: MAX_BUCKETS minutes.
 *
 * Key: ["serving","metrics",endpoint] → {v: 1, b: [[t, requests, errors, p50, p95], ...]}.
 */
import type { EndpointMetrics } from "@/lib/workspace/types.ts";

/** Bucket width: one minute. */
export const BUCKET_MS = 60_000;
/** Minutes kept (12 hours); older buckets are dropped. */
export const MAX_BUCKETS = 720;
/** Latency samples kept per bucket for its percentiles. */
const MAX_SAMPLES = 512;
/** What the port says the numbers are. */
export const METRICS_SOURCE = "measured by the app";

interface Bucket {
  t: number;
  requests: number;
  errors: number;
  samples: number[];
  /** Percentiles from a snapshot (samples were not kept across the restart). */
  restored?: { p50: number | null; p95: number | null };
}

/** A compact stored bucket: [t, requests, errors, p50, p95]. */
type StoredBucket = [number, number, number, number | null, number | null];

/** The key of an endpoint's metrics snapshot. */
export const metricsKey = (name: string): Deno.KvKey => ["serving", "metrics", name];

/** Per-minute metrics of one endpoint. */
export class EndpointMeter {
  #buckets: Bucket[] = [];
  #seen = 0;
  dirty = false;

  /** Records one request that took `ms` and did (`ok`) or did not succeed. */
  record(ms: number, ok: boolean, now = Date.now()): void {
    const t = now - (now % BUCKET_MS);
    let b = this.#buckets.at(-1);
    if (!b || b.t !== t) {
      b = this.#buckets.find((x) => x.t === t);
      if (!b) {
        b = { t, requests: 0, errors: 0, samples: [] };
        this.#buckets.push(b);
        this.#buckets.sort((x, y) => x.t - y.t);
        if (this.#buckets.length > MAX_BUCKETS) {
          this.#buckets.splice(0, this.#buckets.length - MAX_BUCKETS);
        }
      }
      this.#seen = b.samples.length;
    }
    b.requests++;
    if (!ok) b.errors++;
    // Reservoir sampling keeps a fair sample of a busy minute in bounded memory.
    this.#seen++;
    if (b.samples.length < MAX_SAMPLES) b.samples.push(ms);
    else {
      const j = Math.floor(Math.random() * this.#seen);
      if (j < MAX_SAMPLES) b.samples[j] = ms;
    }
    this.dirty = true;
  }

  /** The port's view: buckets oldest first. */
  view(): EndpointMetrics {
    return {
      bucketMs: BUCKET_MS,
      points: this.#buckets.map((b) => {
        const p = percentiles(b);
        return { t: b.t, requests: b.requests, errors: b.errors, p50Ms: p.p50, p95Ms: p.p95 };
      }),
      source: METRICS_SOURCE,
    };
  }

  /** The compact form written to KV. */
  toStored(): { v: 1; b: StoredBucket[] } {
    return {
      v: 1,
      b: this.#buckets.map((b) => {
        const p = percentiles(b);
        return [b.t, b.requests, b.errors, p.p50, p.p95];
      }),
    };
  }

  /** A meter from a stored snapshot (unknown shapes give an empty meter). */
  static fromStored(value: unknown): EndpointMeter {
    const m = new EndpointMeter();
    const b = (value as { b?: unknown })?.b;
    if (!Array.isArray(b)) return m;
    for (const x of b.slice(-MAX_BUCKETS)) {
      if (!Array.isArray(x) || x.length !== 5 || typeof x[0] !== "number") continue;
      const [t, requests, errors, p50, p95] = x as StoredBucket;
      m.#buckets.push({ t, requests, errors, samples: [], restored: { p50, p95 } });
    }
    return m;
  }
}

/** Metrics as stored in KV, for processes that do not serve (the CLI). */
export function metricsFromStored(value: unknown): EndpointMetrics {
  return EndpointMeter.fromStored(value).view();
}

function percentiles(b: Bucket): { p50: number | null; p95: number | null } {
  if (!b.samples.length) return b.restored ?? { p50: null, p95: null };
  const s = [...b.samples].sort((x, y) => x - y);
  // Nearest-rank percentiles: an actual observed latency, never an interpolated one.
  const at = (q: number) => round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]);
  return { p50: at(0.5), p95: at(0.95) };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
