/**
 * One model version as the batch runner uses it in the app's process: loaded by the local
 * endpoint's own loader (lib/serving/engine/model.ts — the version's checksummed model.onnx +
 * model.json, onnxruntime-node on the CPU, one warm-up inference) and answered with its
 * `predict`, so a batch row and the endpoint's answer for the same image are the same code's
 * output (lib/inference decoding, which was made to agree with jobs/lakevision_jobs/inference.py).
 */
import { HttpError } from "@/lib/errors.ts";
import type { ServingEntry } from "@/lib/inference/contract.ts";
import type { DecodeParams } from "@/lib/inference/postprocess.ts";
import { loadModel } from "@/lib/serving/engine/model.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

/** A loaded model that answers one image at a time. */
export interface BatchPredictor {
  task: string;
  /** Execution backend, shown on the page. */
  backend: string;
  /** The serving-contract entry for one image's bytes; ImageError for an unusable image. */
  predict(bytes: Uint8Array, what: string, params: DecodeParams): Promise<ServingEntry>;
  close(): Promise<void>;
}

/** An image that cannot be used (the row gets this error, the batch goes on). */
export class ImageError extends Error {}

/** Loads `model` version `version` from the app's volume, as the local endpoint does. */
export async function loadPredictor(
  ws: Workspace,
  volume: string,
  model: string,
  version: string,
): Promise<BatchPredictor> {
  let loaded;
  try {
    loaded = await loadModel(ws, volume, model, version);
  } catch (e) {
    if ((e as { status?: number }).status === 404) {
      throw new HttpError(
        404,
        `The model files of ${model} version ${version} are missing from the volume ` +
          `(${(e as Error).message}); register the version again.`,
      );
    }
    throw e;
  }
  return {
    task: loaded.meta.task,
    backend: `onnxruntime-node (${loaded.provider})`,
    async predict(bytes, what, params) {
      try {
        return await loaded.predict(bytes, params, what);
      } catch (e) {
        // The engine answers an unusable image (unreadable, too large) with a 4xx.
        if (e instanceof HttpError && e.status >= 400 && e.status < 500) {
          throw new ImageError(`cannot read image: ${e.message}`);
        }
        throw e;
      }
    },
    async close() {
      await loaded.release();
    },
  };
}
