/**
 * Dataset generation in a worker (the server's path) or in-process (the CLI and tests).
 */
import { DEMO_SEED, generateDemoDatasets } from "./datasets.ts";
import type { GeneratedDataset } from "./types.ts";

/** How datasets are produced; tests inject failing or tiny ones. */
export type Generate = (seed: number, only?: string[]) => Promise<GeneratedDataset[]>;

/** Generates in the current thread. */
export const generateHere: Generate = (seed = DEMO_SEED, only) =>
  Promise.resolve(generateDemoDatasets(seed, only));

/**
 * Generates in a Web Worker so the event loop stays free; falls back to the current thread
 * when a worker cannot be started.
 */
export const generateInWorker: Generate = (seed = DEMO_SEED, only) => {
  let worker: Worker;
  try {
    worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  } catch {
    return generateHere(seed, only);
  }
  return new Promise<GeneratedDataset[]>((resolve, reject) => {
    worker.onmessage = (
      e: MessageEvent<{ ok: boolean; datasets?: GeneratedDataset[]; error?: string }>,
    ) => {
      worker.terminate();
      if (e.data.ok) resolve(e.data.datasets!);
      else reject(new Error(`generating the demo datasets failed: ${e.data.error}`));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      reject(new Error(`generating the demo datasets failed: ${e.message}`));
    };
    worker.postMessage({ seed, only });
  });
};
