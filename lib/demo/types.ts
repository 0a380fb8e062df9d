/**
 * Shapes shared by the demo generators, the seeder, the manifest and the tests.
 */
import type { Task } from "@/lib/config/tasks.ts";

/** A problem planted on purpose, which Data EDA must report. */
export interface PlantedProblem {
  /** The EDA rule that must report it (`lib/data` problem code). */
  code: string;
  severity: "error" | "warning";
  split: string;
  /** The file concerned, relative to the dataset root (absolute in the written manifest). */
  file?: string;
  image_id?: number;
  annotation_id?: number;
  /** What was done, in words a newcomer understands. */
  what: string;
}

/** One split's size. */
export interface SplitSummary {
  name: string;
  images: number;
  /** Objects (COCO, panoptic segments), or images for ImageFolder. */
  annotations: number;
}

/** The data paths a training config needs, relative to the dataset root. */
export interface DataPaths {
  train_data_path: string;
  val_data_path: string;
  train_annotation_file?: string;
  val_annotation_file?: string;
}

/** A generated dataset, still in memory. */
export interface GeneratedDataset {
  /** Folder name under the demo volume, e.g. `detection`. */
  id: string;
  task: Task;
  title: string;
  /** The EDA format name. */
  format: "coco" | "coco-panoptic" | "imagefolder" | "masks";
  classes: string[];
  splits: SplitSummary[];
  /** Relative path → bytes, in a stable order. */
  files: Map<string, Uint8Array>;
  planted: PlantedProblem[];
  data: DataPaths;
}
