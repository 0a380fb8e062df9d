/**
 * Test helpers for the demo: the default datasets generated once per test process, and a
 * tiny generator that writes the same layout in milliseconds for seeding tests.
 */
import { DEMO_SEED, generateDemoDatasets } from "./datasets.ts";
import type { Generate } from "./generate.ts";
import type { GeneratedDataset } from "./types.ts";

let cached: Promise<GeneratedDataset[]> | null = null;

/** Every demo dataset at the default seed, generated once and shared by the tests. */
export function defaultDatasets(): Promise<GeneratedDataset[]> {
  cached ??= Promise.resolve(generateDemoDatasets(DEMO_SEED));
  return cached;
}

/** A Generate that serves the shared default datasets (fast after the first call). */
export const cachedGenerate: Generate = async (_seed, only) =>
  (await defaultDatasets()).filter((d) => !only || only.includes(d.id));
