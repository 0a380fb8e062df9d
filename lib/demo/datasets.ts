/**
 * The demo datasets: which sets exist, where they go, and the sizes that keep generation to a
 * few seconds and a local CPU training run to a few minutes.
 */
import type { Task } from "@/lib/config/tasks.ts";
import { generateCoco } from "./coco_gen.ts";
import { generateClassification, generateSemantic } from "./folder_gen.ts";
import { generatePanoptic } from "./panoptic_gen.ts";
import type { GeneratedDataset } from "./types.ts";

/** The volume the demo content lives in. */
export const DEMO_VOLUME = "/Volumes/demo/cv/data";
/** The default seed: the same seed always gives the same bytes. */
export const DEMO_SEED = 20260401;

/** One demo dataset: its folder and how to make it. */
export interface DemoDatasetSpec {
  id: string;
  task: Task;
  generate(seed: number): GeneratedDataset;
}

/** Every demo dataset, one per task. */
export const DEMO_DATASETS: readonly DemoDatasetSpec[] = [
  {
    id: "shapes-detection",
    task: "detection",
    generate: (seed) =>
      generateCoco({
        id: "shapes-detection",
        task: "detection",
        seed,
        width: 192,
        height: 144,
        train: 192,
        val: 24,
        objects: [1, 4],
        radius: [10, 30],
      }),
  },
  {
    id: "shapes-classification",
    task: "classification",
    generate: (seed) =>
      generateClassification({ id: "shapes-classification", seed, size: 96, train: 24, val: 8 }),
  },
  {
    id: "shapes-semantic",
    task: "semantic_segmentation",
    generate: (seed) =>
      generateSemantic({
        id: "shapes-semantic",
        seed,
        width: 160,
        height: 120,
        train: 160,
        val: 24,
        objects: [1, 4],
        radius: [10, 28],
      }),
  },
  {
    id: "shapes-instances",
    task: "instance_segmentation",
    generate: (seed) =>
      generateCoco({
        id: "shapes-instances",
        task: "instance_segmentation",
        seed,
        width: 160,
        height: 120,
        train: 128,
        val: 24,
        objects: [1, 3],
        radius: [12, 30],
      }),
  },
  {
    id: "shapes-panoptic",
    task: "panoptic_segmentation",
    generate: (seed) =>
      generatePanoptic({
        id: "shapes-panoptic",
        seed,
        width: 160,
        height: 120,
        train: 24,
        val: 8,
        objects: [1, 4],
        radius: [10, 26],
      }),
  },
];

/** Generates every demo dataset (or those named in `only`). */
export function generateDemoDatasets(
  seed = DEMO_SEED,
  only?: readonly string[],
): GeneratedDataset[] {
  return DEMO_DATASETS.filter((d) => !only || only.includes(d.id)).map((d) => d.generate(seed));
}
