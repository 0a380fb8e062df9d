/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * Generates demo datasets off the main thread, so a server seeding at start-up keeps
 * answering requests while images are drawn and encoded.
 */
import { generateDemoDatasets } from "./datasets.ts";

self.onmessage = (e: MessageEvent<{ seed: number; only?: string[] }>) => {
  try {
    const datasets = generateDemoDatasets(e.data.seed, e.data.only);
    self.postMessage({ ok: true, datasets });
  } catch (err) {
    self.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
  self.close();
};
