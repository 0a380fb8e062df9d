/**
 * One model version as the batch runner uses it in the app's process: the version's verified
 * model.onnx + model.json, run with onnxruntime (WASM build, CPU, one thread) and decoded with
 * lib/inference — the preprocessing, decoding and contract JSON the local endpoint and the
 * Playground answer with, which were made to agree with jobs/lakevision_jobs/inference.py.
 */
import * as ort from "onnxruntime-web";
import { HttpError } from "@/lib/errors.ts";
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
import { readManifest, readVerified } from "@/lib/registry/files.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

ort.env.wasm.numThreads = 1;

/** A loaded model that answers one image at a time. */
export interface BatchPredictor {
  task: string;
  /** Execution backend, shown on the page ("onnxruntime-web (wasm, CPU)"). */
  backend: string;
  /** The serving-contract entry for one image's bytes; throws for an unreadable image. */
  predict(bytes: Uint8Array, what: string, params: DecodeParams): Promise<ServingEntry>;
  close(): Promise<void>;
}

/** An image that cannot be decoded (the row gets an error, the batch goes on). */
export class ImageError extends Error {}

/** Loads a version folder's model, checked against its manifest and its graph. */
export async function loadPredictor(ws: Workspace, dir: string): Promise<BatchPredictor> {
  const manifest = await readManifest(ws, dir);
  let onnx: Uint8Array, metaText: Uint8Array;
  try {
    onnx = await readVerified(ws, dir, "model.onnx", manifest);
    metaText = await readVerified(ws, dir, "model.json", manifest);
  } catch (e) {
    if ((e as { status?: number }).status === 404) {
      throw new HttpError(
        404,
        `The model files are missing from ${dir} (model.onnx and model.json); register the ` +
          "version again.",
      );
    }
    throw e;
  }
  const meta: ModelJson = parseModelJson(new TextDecoder().decode(metaText), `${dir}/model.json`);
  checkModelFits(readOnnxGraph(onnx, `${dir}/model.onnx`), meta);
  const session = await ort.InferenceSession.create(onnx, { executionProviders: ["wasm"] });
  return {
    task: meta.task,
    backend: "onnxruntime-web (wasm, CPU)",
    async predict(bytes, what, params) {
      let image;
      try {
        image = await decodeImageOffThread(bytes, what);
      } catch (e) {
        throw new ImageError(`cannot read image: ${e instanceof Error ? e.message : e}`);
      }
      const x = preprocess(image, meta);
      const out = await session.run({
        [meta.input.name]: new ort.Tensor("float32", x.tensor, x.dims),
      });
      const outputs: Record<string, OutputTensor> = {};
      for (const [k, t] of Object.entries(out)) {
        outputs[k] = { data: t.data as OutputTensor["data"], dims: t.dims };
      }
      const ctx = { width: image.width, height: image.height, params };
      return toServingEntry(decodeOutputs(outputs, meta, ctx), ctx);
    },
    async close() {
      await session.release();
    },
  };
}
