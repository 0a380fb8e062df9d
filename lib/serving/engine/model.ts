/**
 * One registered model version loaded into onnxruntime-node: its files read against their
 * manifest checksums, model.json parsed, the graph checked against its decoding, a session on the
 * CPU provider, and one warm-up inference on a zero tensor of the input size. Images are then
 * answered with the shared pre/post-processing in lib/inference, so the local endpoint, the
 * Playground and the pyfunc wrapper decode alike.
 */
import type * as Ort from "onnxruntime-node";
import { BadRequestError, HttpError } from "@/lib/errors.ts";
import { decodeImageOffThread } from "@/lib/image/decode_pool.ts";
import { checkModelFits } from "@/lib/inference/check_model.ts";
import { type ServingEntry, toServingEntry } from "@/lib/inference/contract.ts";
import { type ModelJson, parseModelJson } from "@/lib/inference/model_json.ts";
import { readOnnxGraph } from "@/lib/inference/onnx_graph.ts";
import {
  decodeOutputs,
  type DecodeParams,
  type OutputTensor,
} from "@/lib/inference/postprocess.ts";
import { preprocess } from "@/lib/inference/preprocess.ts";
import { readManifest, readVerified, versionDir } from "@/lib/registry/files.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

/**
 * onnxruntime-node, loaded on first use: its native binding needs FFI, which hosts such as Deno
 * Deploy do not give, and only local endpoints and the app batch runner load models.
 */
let ortModule: Promise<typeof Ort> | undefined;
function loadOrt(): Promise<typeof Ort> {
  return ortModule ??= import("onnxruntime-node").catch(() => {
    ortModule = undefined;
    throw new HttpError(
      501,
      "This host cannot load models in the app's process (onnxruntime-node needs native " +
        "add-ons, which Deno Deploy does not run): serve the model from a Databricks serving " +
        "endpoint, or run batch inference as a Databricks job.",
    );
  });
}

/** The execution provider local endpoints use. */
export const PROVIDER = "cpu";

/** A loaded, warmed-up model version. */
export interface LoadedModel {
  model: string;
  version: string;
  meta: ModelJson;
  /** Reading + verifying the files and creating the session, ms. */
  loadMs: number;
  /** The first inference, ms. */
  warmupMs: number;
  provider: string;
  /** One image's entry; a 4xx HttpError when the image is not usable. */
  predict(bytes: Uint8Array, params: DecodeParams, what: string): Promise<ServingEntry>;
  /** Frees the session. */
  release(): Promise<void>;
}

/** Session options: threads per session so that `concurrency` sessions share the cores. */
export interface LoadOptions {
  intraOpThreads?: number;
}

/**
 * Loads `model` version `version` from the app's volume. Throws (with a message for the
 * endpoint's state) when the version is not READY, its files are missing or do not match their
 * checksums, model.json is invalid, or the graph does not fit it.
 */
export async function loadModel(
  ws: Workspace,
  volume: string,
  model: string,
  version: string,
  opts: LoadOptions = {},
): Promise<LoadedModel> {
  const t0 = performance.now();
  const v = await ws.registry.getVersion(model, version);
  if (v.status !== "READY") {
    throw new BadRequestError(`${model} version ${version} is ${v.status}, not READY.`);
  }
  const dir = versionDir(volume, model, version);
  const manifest = await readManifest(ws, dir);
  if (!manifest?.files["model.onnx"]) {
    throw new BadRequestError(
      `${model} version ${version} has no checksum manifest for model.onnx in ${dir}; ` +
        "register it again so its files can be verified.",
    );
  }
  const onnx = await readVerified(ws, dir, "model.onnx", manifest);
  const meta = parseModelJson(
    new TextDecoder().decode(await readVerified(ws, dir, "model.json", manifest)),
    `${model} version ${version} model.json`,
  );
  checkModelFits(readOnnxGraph(onnx), meta);
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: [PROVIDER],
    intraOpNumThreads: opts.intraOpThreads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  try {
    const inp = meta.input;
    const dims = inp.layout === "NHWC"
      ? [1, inp.height, inp.width, 3]
      : [1, 3, inp.height, inp.width];
    const zero = new ort.Tensor("float32", new Float32Array(3 * inp.height * inp.width), dims);
    const out = await session.run({ [inp.name]: zero });
    for (const t of Object.values(out)) t.dispose();
  } catch (e) {
    await session.release().catch(() => {});
    throw new Error(`the warm-up inference failed: ${e instanceof Error ? e.message : e}`);
  }
  const warmupMs = performance.now() - t1;
  let released = false;
  return {
    model,
    version,
    meta,
    loadMs,
    warmupMs,
    provider: PROVIDER,
    async predict(bytes, params, what) {
      const rgba = await decodeImageOffThread(bytes, what).catch((e) => {
        throw imageError(e, what);
      });
      const x = preprocess(rgba, meta);
      if (released) throw new HttpError(503, "The model was unloaded; retry the request.");
      const out = await session.run({
        [meta.input.name]: new ort.Tensor("float32", x.tensor, x.dims),
      });
      try {
        const outputs: Record<string, OutputTensor> = {};
        for (const [k, t] of Object.entries(out)) {
          outputs[k] = { data: t.data as OutputTensor["data"], dims: t.dims };
        }
        const ctx = { width: rgba.width, height: rgba.height, params };
        return toServingEntry(decodeOutputs(outputs, meta, ctx), ctx);
      } finally {
        for (const t of Object.values(out)) t.dispose();
      }
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}

/** A decode failure as a 4xx naming the image: too large stays 422, anything else is a 400. */
function imageError(e: unknown, what: string): HttpError {
  if (e instanceof HttpError) {
    if (e.status === 422 && e.name === "ImageTooLargeError") return e;
    if (e.status >= 400 && e.status < 500) return new BadRequestError(e.message);
    return e;
  }
  return new BadRequestError(`${what} cannot be decoded: ${e instanceof Error ? e.message : e}`);
}
