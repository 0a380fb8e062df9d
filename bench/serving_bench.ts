/**
 * The local endpoint on loopback: the app's real HTTP server on a free 127.0.0.1 port, 500
 * invocations at concurrency 8 with the tiny classifier (one base64 PNG each). Baseline in the
 * same run: the same model and image straight through onnxruntime-node (decode, preprocess, run,
 * decode outputs) at the same concurrency; the ratio is what serving adds (HTTP, JSON, base64,
 * queue, traffic split, metrics).
 */
import * as ort from "onnxruntime-node";
import { encodePng } from "@/lib/image/png.ts";
import { decodeRgba } from "@/lib/image/rgba.ts";
import { base64 } from "@/lib/inference/contract.ts";
import { parseModelJson } from "@/lib/inference/model_json.ts";
import { decodeOutputs, type OutputTensor } from "@/lib/inference/postprocess.ts";
import { preprocess } from "@/lib/inference/preprocess.ts";
import { importModel } from "@/lib/registry/register.ts";
import { createApp } from "@/lib/web/app.ts";
import { LocalServing } from "@/lib/workspace/local/serving.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import { ROOT, testApp } from "@/tests/helpers.ts";

const REQUESTS = 500;
const CONCURRENCY = 8;
const FIX = new URL("../tests/fixtures/onnx/tiny_classifier/", import.meta.url);

/** Runs `n` tasks `c` at a time; returns each task's latency (ms) and the wall time. */
async function pool(n: number, c: number, task: () => Promise<boolean>) {
  const lat: number[] = [];
  let errors = 0, next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async () => {
    while (next++ < n) {
      const t = performance.now();
      if (!(await task().catch(() => false))) errors++;
      lat.push(performance.now() - t);
    }
  }));
  return { lat: lat.sort((a, b) => a - b), errors, wallMs: performance.now() - t0 };
}

const pct = (s: number[], q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];

function line(what: string, r: Awaited<ReturnType<typeof pool>>) {
  const rps = (REQUESTS / r.wallMs) * 1000;
  console.log(
    `serving     ${what.padEnd(34)} errors ${r.errors}  p50 ${pct(r.lat, 0.5).toFixed(2)} ms  ` +
      `p95 ${pct(r.lat, 0.95).toFixed(2)} ms  ${rps.toFixed(0)} req/s`,
  );
  return { p50: pct(r.lat, 0.5), p95: pct(r.lat, 0.95), rps };
}

/** Prints endpoint latency/throughput beside direct onnxruntime-node. */
export async function run(): Promise<void> {
  const onnx = await Deno.readFile(new URL("model.onnx", FIX));
  const json = await Deno.readTextFile(new URL("model.json", FIX));
  const meta = parseModelJson(json);
  const w = 64, h = 48;
  const rgba = new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
  const png = encodePng({ width: w, height: h, channels: 4, data: rgba });
  const body = JSON.stringify({ dataframe_split: { columns: ["image"], data: [[base64(png)]] } });

  const t = await testApp();
  const ws = createLocalWorkspace({ dataDir: t.dataDir, volume: t.settings.volume });
  const serving = new LocalServing({
    workspace: () => ws,
    volume: t.settings.volume,
    serve: true,
    idleUnloadMinutes: 0,
  });
  ws.serving = serving;
  await serving.start();
  const app = await createApp({ settings: t.settings, workspace: ws, root: ROOT });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => app.fetch(req),
  );
  try {
    await importModel({ ws, volume: t.settings.volume, user: "bench" }, onnx, json, {
      name: "main.bench.tiny",
    });
    await serving.create({ name: "bench", entities: [{ model: "main.bench.tiny", version: "1" }] });
    for (let i = 0; i < 500 && (await serving.get("bench")).state !== "READY"; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const ep = await serving.get("bench");
    console.log(
      `serving     endpoint ${ep.state}: load ${ep.runtime?.loadMs} ms, warm-up ${ep.runtime?.warmupMs} ms (${ep.runtime?.provider})`,
    );
    const url = `http://127.0.0.1:${server.addr.port}/serving-endpoints/bench/invocations`;
    const call = async () => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const j = await res.json();
      return res.status === 200 && Array.isArray(j.predictions) && !!j.predictions[0]?.top_k;
    };
    for (let i = 0; i < 20; i++) await call(); // warm the HTTP path
    const viaHttp = line(
      `endpoint over HTTP (${REQUESTS}, c=${CONCURRENCY})`,
      await pool(REQUESTS, CONCURRENCY, call),
    );

    const session = await ort.InferenceSession.create(onnx, {
      executionProviders: ["cpu"],
      intraOpNumThreads: Math.max(1, Math.floor((navigator.hardwareConcurrency ?? 2) / 2)),
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
    });
    const direct = async () => {
      const img = decodeRgba(png, "bench image");
      const x = preprocess(img, meta);
      const out = await session.run({
        [meta.input.name]: new ort.Tensor("float32", x.tensor, x.dims),
      });
      const outputs: Record<string, OutputTensor> = {};
      for (const [k, v] of Object.entries(out)) {
        outputs[k] = { data: v.data as Float32Array, dims: v.dims };
      }
      const p = decodeOutputs(outputs, meta, { width: img.width, height: img.height });
      return "top_k" in p;
    };
    for (let i = 0; i < 20; i++) await direct();
    const base = line(
      `onnxruntime-node direct (c=${CONCURRENCY})`,
      await pool(REQUESTS, CONCURRENCY, direct),
    );
    await session.release();
    console.log(
      `serving     overhead ratio (endpoint / direct): p50 ${
        (viaHttp.p50 / base.p50).toFixed(2)
      }x, ` +
        `throughput ${(base.rps / viaHttp.rps).toFixed(2)}x fewer req/s`,
    );
  } finally {
    await server.shutdown();
    await serving.close();
    await t.close();
  }
}

if (import.meta.main) await run();
