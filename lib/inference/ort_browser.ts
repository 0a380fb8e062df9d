/**
 * onnxruntime-web in the Playground: model bytes downloaded once and kept in the Cache API under
 * their checksum (re-verified on every read, so a damaged cache entry is dropped, not run), a
 * session on WASM or — only when asked and when an adapter exists — WebGPU, a warm-up run, and
 * per-image inference through the same lib/inference pre- and post-processing as the server.
 * Loaded by dynamic import after a model is chosen: no other page, and no Playground visit
 * before a choice, downloads onnxruntime.
 */
import type * as Ort from "onnxruntime-web";
import type { ModelJson } from "@/lib/inference/model_json.ts";
import { preprocess, type RgbaImage } from "@/lib/inference/preprocess.ts";
import {
  decodeOutputs,
  type DecodeParams,
  type OutputTensor,
  type Prediction,
} from "@/lib/inference/postprocess.ts";
import { type ServingEntry, toServingEntry } from "@/lib/inference/contract.ts";

/** Where `deno task build` copies onnxruntime-web's wasm files (served from 'self' for the CSP). */
export const ORT_WASM_PATH = "/ort/";
const CACHE_NAME = "lakevision-models-v1";

/** What the page knows about a model before downloading it. */
export interface ModelSource {
  /** URL of model.onnx. */
  onnxUrl: string;
  /** Expected size in bytes, when known (said before downloading). */
  bytes?: number;
  /** sha256 hex of model.onnx from the version manifest; verified after every read. */
  sha256?: string;
  /** Cache API key; the checksum when there is one. */
  cacheKey: string;
}

/** How the model bytes were obtained. */
export interface Downloaded {
  bytes: Uint8Array;
  fromCache: boolean;
  ms: number;
  /** Set when a cached copy failed its checksum and was downloaded again. */
  note?: string;
}

/** Downloads model.onnx (or reads the cached copy), verifying the checksum when known. */
export async function fetchModel(
  src: ModelSource,
  onProgress?: (loaded: number, total: number | undefined) => void,
): Promise<Downloaded> {
  const t0 = performance.now();
  const key = new Request(`/_lv-model-cache/${encodeURIComponent(src.cacheKey)}`);
  const cache = "caches" in globalThis ? await caches.open(CACHE_NAME).catch(() => null) : null;
  let note: string | undefined;
  const hit = await cache?.match(key);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    if (!src.sha256 || (await sha256Hex(bytes)) === src.sha256) {
      return { bytes, fromCache: true, ms: performance.now() - t0 };
    }
    await cache!.delete(key);
    note = "The cached copy did not match the model's checksum; it was downloaded again.";
  }
  const res = await fetch(src.onnxUrl);
  if (!res.ok) throw new Error(await errorText(res, "model.onnx"));
  const total = Number(res.headers.get("content-length") ?? src.bytes ?? NaN);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.(loaded, Number.isFinite(total) ? total : undefined);
  }
  const bytes = new Uint8Array(loaded);
  let pos = 0;
  for (const c of chunks) (bytes.set(c, pos), pos += c.byteLength);
  if (src.sha256) {
    const got = await sha256Hex(bytes);
    if (got !== src.sha256) {
      throw new Error(
        `model.onnx arrived with sha256 ${got.slice(0, 12)}…, not the registered ` +
          `${src.sha256.slice(0, 12)}…: the download was damaged. Try again.`,
      );
    }
  }
  await cache?.put(
    key,
    new Response(bytes, { headers: { "content-type": "application/octet-stream" } }),
  ).catch(() => {/* quota: run without caching */});
  return { bytes, fromCache: false, ms: performance.now() - t0, note };
}

/** Drops every cached model (the page's "clear cache" action). */
export async function clearModelCache(): Promise<void> {
  if ("caches" in globalThis) await caches.delete(CACHE_NAME);
}

/** A loaded model, ready to run images. */
export interface LoadedModel {
  /** The backend that actually runs it. */
  backend: "wasm" | "webgpu";
  /** Why the asked-for backend is not the one running (WebGPU failed → WASM), if so. */
  fallback?: string;
  loadMs: number;
  warmupMs: number;
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(image: RgbaImage, params: DecodeParams): Promise<ImageRun>;
  release(): Promise<void>;
}

/** One image through the model. */
export interface ImageRun {
  /** Graph outputs, kept so new thresholds re-decode without re-running. */
  outputs: Record<string, OutputTensor>;
  prediction: Prediction;
  preMs: number;
  inferMs: number;
  postMs: number;
}

async function ortFor(backend: "wasm" | "webgpu"): Promise<typeof Ort> {
  const ort = backend === "webgpu"
    ? await import("onnxruntime-web/webgpu")
    : await import("onnxruntime-web/wasm");
  ort.env.wasm.wasmPaths = ORT_WASM_PATH;
  // Threads need cross-origin isolation (SharedArrayBuffer); without it ORT would warn and use 1.
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated
    ? Math.min(4, navigator.hardwareConcurrency || 1)
    : 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  return ort;
}

/**
 * Creates a session on `want`. WebGPU that fails to start falls back to WASM and says so in
 * `fallback`; nothing falls back silently.
 */
export async function loadModel(
  bytes: Uint8Array,
  meta: ModelJson,
  want: "wasm" | "webgpu",
): Promise<LoadedModel> {
  let backend = want;
  let fallback: string | undefined;
  let ort: typeof Ort;
  let session: Ort.InferenceSession;
  const t0 = performance.now();
  try {
    ort = await ortFor(want);
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: [want],
      graphOptimizationLevel: "all",
    });
  } catch (e) {
    if (want !== "webgpu") throw e;
    fallback = `WebGPU failed (${(e as Error).message.slice(0, 300)}); WASM ran instead.`;
    backend = "wasm";
    ort = await ortFor("wasm");
    session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  }
  const loadMs = performance.now() - t0;
  const inputName = meta.input.name;
  if (!session.inputNames.includes(inputName)) {
    await session.release();
    throw new Error(
      `model.json names the input "${inputName}", but the graph's inputs are ${
        session.inputNames.map((n) => `"${n}"`).join(", ")
      }.`,
    );
  }
  const dims = meta.input.layout === "NHWC"
    ? [1, meta.input.height, meta.input.width, 3]
    : [1, 3, meta.input.height, meta.input.width];
  const tensorOf = (data: Float32Array, d: number[]) => new ort.Tensor("float32", data, d);
  const t1 = performance.now();
  // The first run pays for kernel compilation and allocation; it is timed apart from the images.
  await session.run({
    [inputName]: tensorOf(new Float32Array(dims.reduce((a, b) => a * b)), dims),
  });
  const warmupMs = performance.now() - t1;
  return {
    backend,
    fallback,
    loadMs,
    warmupMs,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(image, params) {
      const a = performance.now();
      const x = preprocess(image, meta);
      const b = performance.now();
      const out = await session.run({ [inputName]: tensorOf(x.tensor, x.dims) });
      const c = performance.now();
      const outputs: Record<string, OutputTensor> = {};
      for (const [k, t] of Object.entries(out)) {
        outputs[k] = { data: t.data as OutputTensor["data"], dims: t.dims };
      }
      const prediction = decode(outputs, meta, image, params);
      return { outputs, prediction, preMs: b - a, inferMs: c - b, postMs: performance.now() - c };
    },
    release: () => session.release(),
  };
}

/** Re-decodes kept outputs with new parameters (threshold, max detections, top-k). */
export function decode(
  outputs: Record<string, OutputTensor>,
  meta: ModelJson,
  image: { width: number; height: number },
  params: DecodeParams,
): Prediction {
  return decodeOutputs(outputs, meta, { width: image.width, height: image.height, params });
}

/** The serving-contract JSON of a prediction, exactly as an endpoint answers. */
export function servingEntry(
  p: Prediction,
  image: { width: number; height: number },
): ServingEntry {
  return toServingEntry(p, image);
}

/** sha256 hex of bytes (Web Crypto). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function errorText(res: Response, what: string): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const msg = JSON.parse(text)?.error?.message;
    if (msg) return `${what}: ${msg}`;
  } catch { /* not JSON */ }
  return `${what}: the server answered ${res.status}${text ? ` (${text.slice(0, 200)})` : ""}`;
}
