/**
 * The Playground's actions, shared by its islands: choose a model, load it (onnxruntime-web is
 * imported here, lazily, only once a model is chosen), add images (pixel budget checked from the
 * header before decoding), run a batch with progress and cancel, and re-filter results when a
 * control moves — browser results re-decoded from the kept outputs, endpoint results filtered —
 * and, after a model's first answer in the browser, tell History that a session ran it.
 */
import { parseImageHeader } from "@/lib/data/image_header.ts";
import { filterPrediction, fromServingEntry } from "@/lib/inference/draw.ts";
import type { LoadedModel } from "@/lib/inference/ort_browser.ts";
import type { OutputTensor } from "@/lib/inference/postprocess.ts";
import {
  activeSlotsSig,
  batchSig,
  errorSig,
  imagesSig,
  type InputImage,
  paramsSig,
  patchSlot,
  putResult,
  resultsSig,
  slotOf,
  thresholdSourceSig,
  webgpuSig,
} from "./state.ts";

type OrtBrowser = typeof import("@/lib/inference/ort_browser.ts");
let ortModule: Promise<OrtBrowser> | null = null;
/** lib/inference/ort_browser.ts (and with it pre/post-processing), loaded on first need. */
export const ortBrowser = (): Promise<OrtBrowser> =>
  ortModule ??= import("@/lib/inference/ort_browser.ts");

const loaded = new Map<string, { key: string; backend: string; model: LoadedModel }>();
const kept = new Map<string, Record<string, OutputTensor>>();
const bitmaps = new Map<string, Promise<ImageBitmap>>();
/** The pixel budget (LAKEVISION_MAX_DECODE_PIXELS), set by the page. */
let maxPixels = 40_000_000;

/** Sets the pixel budget the server uses, so the browser refuses the same images. */
export function setPixelBudget(n: number): void {
  maxPixels = n;
}

/** Asks for a WebGPU adapter once; the answer (with why not) goes to webgpuSig. */
export async function probeWebGpu(): Promise<void> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  let v = { checked: true, ok: false, reason: "" };
  if (!gpu) v.reason = "this browser offers no WebGPU (navigator.gpu is missing)";
  else {
    try {
      v = (await gpu.requestAdapter())
        ? { checked: true, ok: true, reason: "a WebGPU adapter is available" }
        : { checked: true, ok: false, reason: "WebGPU returned no adapter (no usable GPU)" };
    } catch (e) {
      v.reason = `requesting a WebGPU adapter failed: ${(e as Error).message}`;
    }
  }
  webgpuSig.value = v;
}

/** Chooses the model of a slot: reads what the browser needs to know before downloading. */
export async function chooseModel(id: "a" | "b", key: string): Promise<void> {
  await unload(id);
  if (!key) return patchSlot(id, { choiceKey: "", info: null, status: "empty", error: undefined });
  const backend = key.startsWith("endpoint:")
    ? "endpoint"
    : slotOf(id).backend === "endpoint"
    ? "wasm"
    : slotOf(id).backend;
  patchSlot(id, { choiceKey: key, backend, info: null, status: "info", error: undefined });
  try {
    const res = await fetch(`/api/inference/model?key=${encodeURIComponent(key)}`);
    const body = await res.json();
    if (!res.ok) throw new Error(body?.error?.message ?? `the server answered ${res.status}`);
    if (slotOf(id).choiceKey !== key) return;
    patchSlot(id, { info: body, status: "info", ran: undefined, fallback: undefined });
    if (id === "a") {
      const t = body.threshold?.value ?? body.defaults.confidence_threshold;
      paramsSig.value = {
        ...paramsSig.value,
        confidence_threshold: t,
        max_detections: body.defaults.max_detections,
        top_k: body.defaults.top_k,
      };
      thresholdSourceSig.value = body.threshold?.source ?? "model.json defaults";
    }
  } catch (e) {
    patchSlot(id, { status: "error", error: `Could not read the model: ${(e as Error).message}` });
  }
}

/** Switches a slot's backend; a loaded model on another backend is released. */
export async function setBackend(id: "a" | "b", backend: "wasm" | "webgpu"): Promise<void> {
  await unload(id);
  patchSlot(id, { backend, status: slotOf(id).info ? "info" : "empty", ran: undefined });
}

async function unload(id: "a" | "b") {
  const l = loaded.get(id);
  loaded.delete(id);
  await l?.model.release().catch(() => {});
}

/** Downloads (or reads from cache) and starts the slot's model; endpoints need nothing. */
export async function loadSlot(id: "a" | "b"): Promise<LoadedModel | null> {
  const s = slotOf(id);
  if (!s.info) throw new Error("Choose a model first.");
  if (s.backend === "endpoint") {
    patchSlot(id, { status: "ready", ran: "endpoint" });
    return null;
  }
  const have = loaded.get(id);
  if (have && have.key === s.choiceKey && have.backend === s.backend) return have.model;
  const info = s.info;
  try {
    patchSlot(id, { status: "downloading", progress: 0, error: undefined });
    const ort = await ortBrowser();
    const dl = await ort.fetchModel(
      { onnxUrl: info.onnxUrl!, bytes: info.bytes, sha256: info.sha256, cacheKey: info.cacheKey! },
      (n, total) => patchSlot(id, { progress: total ? n / total : undefined }),
    );
    patchSlot(id, {
      status: "loading",
      downloadMs: dl.ms,
      fromCache: dl.fromCache,
      note: dl.note,
      progress: 1,
    });
    const want = s.backend === "webgpu" && webgpuSig.value.ok ? "webgpu" : "wasm";
    const model = await ort.loadModel(dl.bytes, info.meta!, want);
    loaded.set(id, { key: s.choiceKey, backend: s.backend, model });
    patchSlot(id, {
      status: "ready",
      ran: model.backend,
      fallback: model.fallback ??
        (s.backend === "webgpu" && want === "wasm"
          ? `WebGPU is unavailable (${webgpuSig.value.reason}); WASM ran instead.`
          : undefined),
      loadMs: model.loadMs,
      warmupMs: model.warmupMs,
    });
    return model;
  } catch (e) {
    patchSlot(id, { status: "error", error: `Loading the model failed: ${(e as Error).message}` });
    throw e;
  }
}

/** Adds images, refusing any whose header declares more pixels than the budget. */
export async function addImages(
  items: { blob: Blob; name: string; source: InputImage["source"] }[],
) {
  const added: InputImage[] = [];
  const problems: string[] = [];
  for (const it of items) {
    try {
      const head = parseImageHeader(new Uint8Array(await it.blob.slice(0, 1 << 20).arrayBuffer()));
      if (head && head !== "need-more") checkBudget(head.width, head.height, it.name);
      const id = crypto.randomUUID().slice(0, 8);
      const bmp = createImageBitmap(it.blob);
      const b = await bmp;
      checkBudget(b.width, b.height, it.name);
      bitmaps.set(id, bmp);
      added.push({
        id,
        ...it,
        width: b.width,
        height: b.height,
        url: URL.createObjectURL(it.blob),
      });
    } catch (e) {
      problems.push(`${it.name}: ${(e as Error).message || "not an image this browser decodes"}`);
    }
  }
  imagesSig.value = [...imagesSig.value, ...added];
  errorSig.value = problems.length ? problems.join(" · ") : null;
  return added;
}

function checkBudget(w: number, h: number, name: string) {
  if (w * h > maxPixels) {
    throw new Error(
      `${name} is ${w}×${h} (${(w * h / 1e6).toFixed(1)} megapixels); images of up to ` +
        `${(maxPixels / 1e6).toFixed(0)} megapixels are decoded here.`,
    );
  }
}

/** Removes every image and result. */
export function clearImages(): void {
  for (const img of imagesSig.value) URL.revokeObjectURL(img.url);
  imagesSig.value = [];
  resultsSig.value = {};
  kept.clear();
  bitmaps.clear();
}

/** The decoded bitmap of an image (for drawing). */
export function bitmapOf(id: string): Promise<ImageBitmap> | undefined {
  return bitmaps.get(id);
}

async function rgbaOf(img: InputImage) {
  const bmp = await bitmaps.get(img.id)!;
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext("2d", { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  const d = ctx.getImageData(0, 0, bmp.width, bmp.height);
  return { width: d.width, height: d.height, data: d.data };
}

/** Runs every image through every active slot, with progress; `cancel()` stops between images. */
export async function runBatch(): Promise<void> {
  const images = imagesSig.value;
  const slots = activeSlotsSig.value.filter((s) => s.info);
  if (!images.length || !slots.length) return;
  errorSig.value = null;
  batchSig.value = { running: true, done: 0, total: images.length * slots.length, cancel: false };
  try {
    const models = new Map<string, LoadedModel | null>();
    for (const s of slots) models.set(s.id, await loadSlot(s.id));
    let done = 0;
    for (const img of images) {
      for (const s of slots) {
        if (batchSig.value.cancel) return;
        await runOne(s.id, img, models.get(s.id) ?? null, s.choiceKey);
        batchSig.value = { ...batchSig.value, done: ++done };
      }
    }
  } catch (e) {
    errorSig.value = `The run stopped: ${(e as Error).message}`;
  } finally {
    batchSig.value = { ...batchSig.value, running: false };
  }
}

/** Asks the running batch to stop after the current image. */
export function cancelBatch(): void {
  batchSig.value = { ...batchSig.value, cancel: true };
}

async function runOne(
  slot: "a" | "b",
  img: InputImage,
  model: LoadedModel | null,
  key: string,
) {
  const t0 = performance.now();
  const base = { slot, imageId: img.id };
  try {
    if (model) {
      const r = await model.run(await rgbaOf(img), paramsSig.value);
      kept.set(`${slot}:${img.id}`, r.outputs);
      putResult({
        ...base,
        prediction: r.prediction,
        ran: model.backend,
        preMs: r.preMs,
        inferMs: r.inferMs,
        postMs: r.postMs,
        totalMs: performance.now() - t0,
      });
      logSession(key, model.backend);
    } else {
      const r = await invokeEndpoint(slotOf(slot).info!.choice.endpoint!, img);
      putResult({
        ...base,
        raw: r.prediction,
        prediction: filterPrediction(r.prediction, paramsSig.value),
        ran: "endpoint",
        inferMs: r.serverMs,
        totalMs: performance.now() - t0,
      });
    }
  } catch (e) {
    putResult({ ...base, error: (e as Error).message, totalMs: performance.now() - t0 });
  }
}

/** Models this page has logged an in-browser session for (History keeps one per half hour). */
const sessionsLogged = new Set<string>();

/**
 * Tells History, once per model and page, that this person ran `key` in the browser on
 * `backend` (what actually ran). Fire-and-forget: a failure to log never touches inference.
 */
function logSession(key: string, backend: LoadedModel["backend"]): void {
  if (!key || sessionsLogged.has(key)) return;
  sessionsLogged.add(key);
  fetch("/api/inference/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: key, backend }),
    keepalive: true,
  }).then((res) => res.body?.cancel(), () => {}).catch(() => {});
}

async function invokeEndpoint(name: string, img: InputImage) {
  const bytes = new Uint8Array(await img.blob.arrayBuffer());
  const { base64 } = await import("@/lib/inference/contract.ts");
  const res = await fetch(`/api/inference/invoke?endpoint=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      dataframe_split: { columns: ["image"], data: [[base64(bytes)]] },
      // Permissive, so the controls can filter without calling the endpoint again.
      params: { confidence_threshold: 0, max_detections: 100, top_k: 100 },
    }),
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `the endpoint answered ${res.status}`);
  const entry = body?.predictions?.[0];
  if (!entry) throw new Error("the endpoint's answer has no predictions[0]");
  const timing = /dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "");
  return {
    prediction: await fromServingEntry(entry),
    serverMs: timing ? Number(timing[1]) : undefined,
  };
}

/** Re-filters every result with the current controls; models are not run again. */
export async function refilter(): Promise<void> {
  const params = paramsSig.value;
  const out = { ...resultsSig.value };
  const ort = kept.size ? await ortBrowser() : null;
  for (const [k, r] of Object.entries(out)) {
    if (r.error) continue;
    if (r.raw) out[k] = { ...r, prediction: filterPrediction(r.raw, params) };
    else if (ort && kept.has(k)) {
      const info = slotOf(r.slot).info;
      const img = imagesSig.value.find((i) => i.id === r.imageId);
      if (!info?.meta || !img) continue;
      out[k] = { ...r, prediction: ort.decode(kept.get(k)!, info.meta, img, params) };
    }
  }
  resultsSig.value = out;
}

/** The serving-contract JSON of one slot's results, `{predictions: [...]}` in image order. */
export async function contractJson(slot: "a" | "b"): Promise<{ predictions: unknown[] } | null> {
  const rows = imagesSig.value.map((img) => ({ img, r: resultsSig.value[`${slot}:${img.id}`] }));
  if (!rows.some((x) => x.r?.prediction)) return null;
  const ort = await ortBrowser();
  return {
    predictions: rows.map(({ img, r }) =>
      r?.prediction ? ort.servingEntry(r.prediction, img) : { error: r?.error ?? "not run" }
    ),
  };
}
