/**
 * Live training updates: how long from a metric line being appended to a run's metrics.jsonl
 * until a browser-side client has it, over real HTTP. SSE (the live page) against the polling
 * fallback (GET /api/runs/<id>/metrics every 3 s, as the page does when SSE fails), measured
 * in the same run on the same server.
 */
import { createRun, newRunId } from "@/lib/training/records.ts";
import { stopMonitor } from "@/lib/training/refresh.ts";
import type { RunRecord } from "@/lib/training/types.ts";
import { testApp } from "@/tests/helpers.ts";

const SAMPLES = 20;
const GAP_MS = 300;
const POLL_MS = 3_000;

function stats(xs: number[]): { p50: number; p95: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}

async function seedRun(volume: string): Promise<RunRecord> {
  const id = newRunId();
  const now = Date.now();
  const { run } = await createRun({
    id,
    name: "bench",
    createdAt: now,
    createdBy: "bench",
    config: { name: "bench", version: 1, task: "classification", model: "torchvision/resnet18" },
    compute: { kind: "local", device: "cpu" },
    distribution: "local",
    status: "running",
    phase: "training",
    runDir: `${volume}/runs/${id}`,
    configPath: `${volume}/configs/bench/v1.yaml`,
    command: ["python", "jobs/train.py"],
    idempotencyToken: `bench-${id}`,
    updatedAt: now,
    progress: null,
    lastMetrics: {},
  });
  return run;
}

/** Appends `SAMPLES` metric lines and returns each line's write → delivery latency (ms). */
async function measure(
  metricsFile: string,
  received: Map<number, number>,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 1; i <= SAMPLES; i++) {
    const step = 1_000_000 + i + Math.floor(Math.random() * 1000) * 1000;
    const ts = Date.now();
    await Deno.writeTextFile(
      metricsFile,
      JSON.stringify({ step, epoch: 0, name: "loss", value: 1 / i, ts }) + "\n",
      { append: true },
    );
    const end = ts + 15_000;
    while (!received.has(step) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    out.push((received.get(step) ?? end) - ts);
    // A random gap, so writes do not line up with the polling clock.
    await new Promise((r) => setTimeout(r, GAP_MS + Math.random() * POLL_MS));
  }
  return out;
}

/** Prints SSE and polling delivery latencies. */
export async function run(): Promise<void> {
  const app = await testApp();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    (req) => {
      const u = new URL(req.url);
      return app.request(u.pathname + u.search, { method: req.method, headers: req.headers });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const ac = new AbortController();
  try {
    const volume = app.settings.volume;
    const sseRun = await seedRun(volume);
    const pollRun = await seedRun(volume);
    const disk = (r: RunRecord) => `${app.dataDir}/volumes/${r.runDir.slice("/Volumes/".length)}`;
    for (const r of [sseRun, pollRun]) await Deno.mkdir(disk(r), { recursive: true });

    // SSE client.
    const sseGot = new Map<number, number>();
    const res = await fetch(`${base}/api/runs/${sseRun.id}/events`, {
      headers: { accept: "text/event-stream" },
      signal: ac.signal,
    });
    (async () => {
      const dec = new TextDecoder();
      let buf = "";
      try {
        for await (const chunk of res.body!) {
          buf += dec.decode(chunk, { stream: true });
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            if (!block.includes("event: metrics")) continue;
            const data = JSON.parse(block.slice(block.indexOf("data: ") + 6));
            const now = Date.now();
            for (const p of data.points) sseGot.set(p.step, now);
          }
        }
      } catch { /* aborted */ }
    })();
    await new Promise((r) => setTimeout(r, 500));
    const sse = stats(await measure(`${disk(sseRun)}/metrics.jsonl`, sseGot));

    // Polling client (the page's fallback).
    const pollGot = new Map<number, number>();
    let from = 0;
    const timer = setInterval(async () => {
      const r = await fetch(`${base}/api/runs/${pollRun.id}/metrics?from=${from}`);
      const body = await r.json();
      const now = Date.now();
      for (const p of body.points) pollGot.set(p.step, now);
      from = body.total;
    }, POLL_MS);
    const poll = stats(await measure(`${disk(pollRun)}/metrics.jsonl`, pollGot));
    clearInterval(timer);

    console.log(
      `sse.metric_to_browser  ${SAMPLES} metrics  p50 ${sse.p50} ms  p95 ${sse.p95} ms  max ${sse.max} ms` +
        `  (target < 2000 ms)`,
    );
    console.log(
      `sse.vs_polling         polling every ${
        POLL_MS / 1000
      } s: p50 ${poll.p50} ms  p95 ${poll.p95} ms` +
        `  → SSE ${(poll.p50 / Math.max(sse.p50, 1)).toFixed(1)}x faster at p50 (same run)`,
    );
  } finally {
    ac.abort();
    stopMonitor();
    await server.shutdown();
    await app.close();
  }
}

if (import.meta.main) await run();
