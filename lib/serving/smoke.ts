/**
 * The smoke test of an endpoint: one image from the served model's validation data (or one the
 * person uploads) sent through the workspace's `invoke` in the serving contract's
 * `dataframe_split` form, the latency measured by the app around the call, and the decoded answer
 * kept with the image so the page can draw it. Results live in the app's volume
 * (`<volume>/deployments/smoke/<endpoint>/<id>.json`, the image and any mask beside it), so they
 * survive restarts and work the same in both workspaces.
 */
import { BadRequestError, errorMessage, HttpError, NotFoundError } from "@/lib/errors.ts";
import { displaySize, isImageName, parseImageHeader } from "@/lib/data/image_header.ts";
import { evalInputs } from "@/lib/evaluation/sources.ts";
import { base64 } from "@/lib/inference/contract.ts";
import { readVersionMetrics } from "@/lib/registry/browse.ts";
import { logActivity } from "@/lib/store/activity.ts";
import type { Endpoint, InvocationInfo, Workspace } from "@/lib/workspace/types.ts";
import type { ServingContext } from "./service.ts";

/** Largest image a smoke test sends (an upload over it is refused with this figure). */
export const MAX_SMOKE_IMAGE_BYTES = 20 * 1024 * 1024;

/** A box to draw, in the image's pixels. */
export interface SmokeBox {
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
  score: number;
}

/** What the page draws over the image. */
export interface SmokeOverlay {
  kind: "detection" | "classification" | "segmentation" | "unknown";
  boxes: SmokeBox[];
  topK: { label: string; score: number }[];
  /** Volume path of the returned class-index mask PNG. */
  maskPath?: string;
  classes?: number[];
}

/** One smoke test as stored. */
export interface SmokeResult {
  id: string;
  endpoint: string;
  at: number;
  who: string;
  image: { path: string; fileName: string; width: number; height: number; source: string };
  /** Served version the test was aimed at (the one with the most traffic). */
  target: { model: string; version: string };
  params: Record<string, number>;
  latencyMs: number;
  /** The served entity that answered, when the workspace says. */
  servedEntity?: string;
  /** True when the model was loaded for this request (scale to zero). */
  coldStart?: boolean;
  ok: boolean;
  error?: string;
  /** The endpoint's answer as sent (mask_png shortened; the mask itself is kept as a file). */
  response?: unknown;
  overlay?: SmokeOverlay;
}

/** The serving contract's `dataframe_split` body for some images, with optional `params`. */
export function invocationBody(images: Uint8Array[], params: Record<string, number> = {}) {
  return {
    dataframe_split: { columns: ["image"], data: images.map((b) => [base64(b)]) },
    ...(Object.keys(params).length ? { params } : {}),
  };
}

/** The smoke-test folder of an endpoint. */
export function smokeDir(volume: string, endpoint: string): string {
  return `${volume.replace(/\/+$/, "")}/deployments/smoke/${endpoint}`;
}

/**
 * A validation image of a version: from its run's validation images (`lakevision.run_dir` →
 * the run config's `val_data_path`), else its `lakevision.val_dataset` tag (an ImageFolder
 * folder, or a COCO file whose first image is looked for beside it). Null with the reason.
 */
export async function sampleImage(
  ws: Workspace,
  model: string,
  version: string,
): Promise<{ path: string } | { missing: string }> {
  const v = await ws.registry.getVersion(model, version);
  const runDir = v.tags["lakevision.run_dir"];
  const tried: string[] = [];
  if (runDir?.startsWith("/Volumes/")) {
    const dir = await evalInputs(ws, runDir).then((i) => i.imageDir, () => undefined);
    if (dir) {
      tried.push(dir);
      const p = await firstImage(ws, dir, 3);
      if (p) return { path: p };
    }
  }
  const val = v.tags["lakevision.val_dataset"];
  if (val?.startsWith("/Volumes/")) {
    tried.push(val);
    const p = val.toLowerCase().endsWith(".json")
      ? await cocoFirstImage(ws, val)
      : await firstImage(ws, val, 3);
    if (p) return { path: p };
  }
  return {
    missing: tried.length
      ? `No image found in ${tried.join(" or ")}. Upload an image to test with.`
      : `${model} v${version} records no validation data (it was imported, not trained here). Upload an image to test with.`,
  };
}

async function firstImage(ws: Workspace, dir: string, depth: number): Promise<string | null> {
  const entries: { path: string; name: string; isDirectory: boolean }[] = [];
  try {
    for await (const e of ws.files.list(dir)) {
      if (!e.name.startsWith(".")) entries.push(e);
      if (entries.length >= 2000) break;
    }
  } catch {
    return null;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const img = entries.find((e) => !e.isDirectory && isImageName(e.name));
  if (img) return img.path;
  if (depth <= 0) return null;
  for (const d of entries.filter((e) => e.isDirectory).slice(0, 20)) {
    const p = await firstImage(ws, d.path, depth - 1);
    if (p) return p;
  }
  return null;
}

async function cocoFirstImage(ws: Workspace, file: string): Promise<string | null> {
  const st = await ws.files.stat(file).catch(() => null);
  if (!st || (st.size ?? 0) > 200 * 1024 * 1024) return null;
  let name: string | undefined;
  try {
    const doc = JSON.parse(await ws.files.readText(file)) as { images?: { file_name?: string }[] };
    name = doc.images?.find((i) => typeof i.file_name === "string")?.file_name;
  } catch {
    return null;
  }
  if (!name) return null;
  const dir = file.slice(0, file.lastIndexOf("/"));
  const parent = dir.slice(0, dir.lastIndexOf("/"));
  for (const c of [`${dir}/${name}`, `${dir}/images/${name}`, `${parent}/images/${name}`]) {
    if (await ws.files.stat(c).catch(() => null)) return c;
  }
  const base = name.split("/").at(-1)!;
  return await findByName(ws, parent, base, 2);
}

async function findByName(
  ws: Workspace,
  dir: string,
  name: string,
  depth: number,
): Promise<string | null> {
  if (await ws.files.stat(`${dir}/${name}`).catch(() => null)) return `${dir}/${name}`;
  if (depth <= 0) return null;
  const subs: string[] = [];
  try {
    for await (const e of ws.files.list(dir)) if (e.isDirectory) subs.push(e.path);
  } catch {
    return null;
  }
  for (const s of subs.slice(0, 20)) {
    const p = await findByName(ws, s, name, depth - 1);
    if (p) return p;
  }
  return null;
}

/** The served entity a smoke test is aimed at: the one with the most traffic. */
export function mainEntity(e: Endpoint) {
  return [...e.entities].sort((a, b) => (b.trafficPercent ?? 100) - (a.trafficPercent ?? 100))[0];
}

/**
 * Runs a smoke test: the uploaded image, else a validation image of the main served version.
 * The recommended confidence threshold of that version (its registered metrics) goes in
 * `params`. A failed call is recorded and returned too, with its message. Logged.
 */
export async function runSmokeTest(
  ctx: ServingContext,
  name: string,
  upload?: { bytes: Uint8Array; fileName: string },
): Promise<SmokeResult> {
  const endpoint = await ctx.ws.serving.get(name);
  const target = mainEntity(endpoint);
  if (!target) throw new BadRequestError(`${name} serves no model version.`);
  let bytes: Uint8Array, fileName: string, source: string;
  if (upload) {
    if (upload.bytes.byteLength > MAX_SMOKE_IMAGE_BYTES) {
      throw new HttpError(413, `The image is over ${MAX_SMOKE_IMAGE_BYTES / 1024 / 1024} MB.`);
    }
    ({ bytes, fileName } = upload);
    source = "uploaded";
  } else {
    const s = await sampleImage(ctx.ws, target.model, target.version);
    if ("missing" in s) throw new BadRequestError(s.missing);
    bytes = await ctx.ws.files.readBytes(s.path);
    fileName = s.path.split("/").at(-1)!;
    source = s.path;
  }
  const header = parseImageHeader(bytes.subarray(0, 4 * 1024 * 1024));
  if (!header || header === "need-more") {
    throw new BadRequestError(`${fileName} is not an image this app can read (PNG, JPEG, ...).`);
  }
  const size = displaySize(header);
  const metrics = await readVersionMetrics(ctx, target.model, target.version).catch(() => null);
  const params: Record<string, number> = {};
  if (metrics?.threshold) params.confidence_threshold = metrics.threshold.threshold;
  const id = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 6)}`;
  const dir = smokeDir(ctx.volume, name);
  const ext = header.kind === "jpeg" ? "jpg" : header.kind;
  const imagePath = `${dir}/${id}.${ext}`;
  await ctx.ws.files.mkdirs(dir);
  await ctx.ws.files.write(imagePath, bytes, { overwrite: true });
  const body = invocationBody([bytes], params);
  const t0 = performance.now();
  let response: unknown, error: string | undefined;
  const info: InvocationInfo = {};
  try {
    response = await ctx.ws.serving.invoke(name, body, info);
  } catch (e) {
    error = errorMessage(e);
  }
  const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
  const result: SmokeResult = {
    id,
    endpoint: name,
    at: Date.now(),
    who: ctx.user,
    image: { path: imagePath, fileName, ...size, source },
    target: { model: target.model, version: target.version },
    params,
    latencyMs,
    ...(info.servedEntity ? { servedEntity: info.servedEntity } : {}),
    ...(info.coldStart ? { coldStart: true } : {}),
    ok: error === undefined,
    ...(error ? { error } : {}),
  };
  if (error === undefined) {
    const { overlay, shown, mask } = readAnswer(response);
    if (mask) {
      overlay.maskPath = `${dir}/${id}.mask.png`;
      await ctx.ws.files.write(overlay.maskPath, mask, { overwrite: true });
    }
    result.overlay = overlay;
    result.response = shown;
    if (overlay.kind === "unknown") {
      result.ok = false;
      result.error = "The answer is not in the serving contract's form ({predictions: [...]}).";
    }
  }
  await ctx.ws.files.write(`${dir}/${id}.json`, JSON.stringify(result), { overwrite: true });
  await logActivity({
    who: ctx.user,
    what: "ran smoke test",
    subject: `endpoint:${name}`,
    details: { ok: result.ok, latencyMs, image: fileName, ...(error ? { error } : {}) },
  });
  return result;
}

/** A stored smoke test. */
export async function getSmokeResult(
  ctx: ServingContext,
  name: string,
  id: string,
): Promise<SmokeResult> {
  if (!/^[0-9a-z]{1,12}-[0-9a-f]{6}$/.test(id)) throw new NotFoundError(`No smoke test "${id}".`);
  try {
    return JSON.parse(await ctx.ws.files.readText(`${smokeDir(ctx.volume, name)}/${id}.json`));
  } catch (e) {
    if (e instanceof SyntaxError) throw new NotFoundError(`Smoke test ${id} is damaged.`);
    throw new NotFoundError(`No smoke test ${id} for ${name}.`);
  }
}

/** The newest smoke test of an endpoint, or null. */
export async function latestSmokeResult(
  ctx: ServingContext,
  name: string,
): Promise<SmokeResult | null> {
  let newest = "";
  try {
    for await (const e of ctx.ws.files.list(smokeDir(ctx.volume, name))) {
      const m = /^([0-9a-z]{1,12}-[0-9a-f]{6})\.json$/.exec(e.name);
      if (m && m[1] > newest) newest = m[1];
    }
  } catch {
    return null;
  }
  return newest ? await getSmokeResult(ctx, name, newest).catch(() => null) : null;
}

/**
 * What to draw from an answer (`{predictions: [entry]}`): boxes `[x1,y1,x2,y2]` with names and
 * scores, the top-k list, or the class mask (returned as bytes to keep as a file). `shown` is the
 * answer with a long `mask_png` shortened so the raw JSON stays readable.
 */
export function readAnswer(response: unknown): {
  overlay: SmokeOverlay;
  shown: unknown;
  mask?: Uint8Array;
} {
  const entry = (response as { predictions?: unknown[] })?.predictions?.[0] as
    | Record<string, unknown>
    | undefined;
  const overlay: SmokeOverlay = { kind: "unknown", boxes: [], topK: [] };
  if (!entry || typeof entry !== "object") return { overlay, shown: response };
  if (Array.isArray(entry.boxes)) {
    overlay.kind = "detection";
    const scores = (entry.scores ?? []) as number[];
    const names = (entry.label_names ?? entry.labels ?? []) as unknown[];
    overlay.boxes = (entry.boxes as number[][]).slice(0, 300).map((b, i) => ({
      x: b[0],
      y: b[1],
      w: b[2] - b[0],
      h: b[3] - b[1],
      label: String(names[i] ?? "?"),
      score: Number(scores[i] ?? 0),
    }));
    return { overlay, shown: response };
  }
  if (Array.isArray(entry.top_k)) {
    overlay.kind = "classification";
    overlay.topK = (entry.top_k as { label?: unknown; label_name?: unknown; score?: unknown }[])
      .slice(0, 10).map((t) => ({
        label: String(t.label_name ?? t.label ?? "?"),
        score: Number(t.score ?? 0),
      }));
    return { overlay, shown: response };
  }
  if (typeof entry.mask_png === "string") {
    overlay.kind = "segmentation";
    overlay.classes = Array.isArray(entry.classes) ? (entry.classes as number[]) : [];
    let mask: Uint8Array | undefined;
    try {
      mask = Uint8Array.from(atob(entry.mask_png), (c) => c.charCodeAt(0));
    } catch {
      mask = undefined;
    }
    const s = entry.mask_png;
    const shown = {
      ...(response as object),
      predictions: [{
        ...entry,
        mask_png: s.length > 80 ? `${s.slice(0, 60)}… (${s.length} chars)` : s,
      }],
    };
    return { overlay, shown, mask };
  }
  return { overlay, shown: response };
}
