/**
 * The demo manifest (`/Volumes/demo/cv/data/demo-manifest.json`): which datasets the demo wrote,
 * every file with its content hash (so `demo reset` removes only untouched demo files), the
 * data paths for configs, and the planted problems Data EDA must find. It holds no timestamps,
 * so the same seed writes the same manifest.
 */
import { z } from "zod";
import { NotFoundError } from "@/lib/errors.ts";
import type { DatasetPlan, SplitPlan } from "@/lib/data/types.ts";
import type { FilesApi } from "@/lib/workspace/types.ts";
import { DEMO_VOLUME } from "./datasets.ts";
import type { GeneratedDataset } from "./types.ts";

/** Where the manifest lives. */
export const MANIFEST_PATH = `${DEMO_VOLUME}/demo-manifest.json`;
/** Marks files and records as written by the demo. */
export const GENERATOR = "lakevision-demo";

const PlantedSchema = z.object({
  code: z.string(),
  severity: z.enum(["error", "warning"]),
  split: z.string(),
  file: z.string().optional(),
  image_id: z.number().optional(),
  annotation_id: z.number().optional(),
  what: z.string(),
});

const DatasetSchema = z.object({
  id: z.string(),
  task: z.string(),
  title: z.string(),
  format: z.string(),
  /** Volume path of the dataset folder. */
  path: z.string(),
  classes: z.array(z.string()),
  splits: z.array(z.object({ name: z.string(), images: z.number(), annotations: z.number() })),
  /** Absolute data paths, as configs use them. */
  data: z.record(z.string(), z.string()),
  planted: z.array(PlantedSchema),
  /** Relative path → sha-256 (hex) of what the demo wrote. */
  files: z.record(z.string(), z.string()),
});

const ManifestSchema = z.object({
  generator: z.literal(GENERATOR),
  version: z.literal(1),
  seed: z.number(),
  datasets: z.array(DatasetSchema),
});

/** One dataset as recorded in the manifest. */
export type ManifestDataset = z.infer<typeof DatasetSchema>;
/** The manifest file's content. */
export type DemoManifest = z.infer<typeof ManifestSchema>;

/** Lower-case hex sha-256. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The manifest record of a generated dataset written under `volume`. */
export async function manifestEntry(
  ds: GeneratedDataset,
  volume = DEMO_VOLUME,
): Promise<ManifestDataset> {
  const path = `${volume}/${ds.id}`;
  const files: Record<string, string> = {};
  for (const [rel, bytes] of ds.files) files[rel] = await sha256Hex(bytes);
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(ds.data)) if (v) data[k] = `${path}/${v}`;
  return {
    id: ds.id,
    task: ds.task,
    title: ds.title,
    format: ds.format,
    path,
    classes: ds.classes,
    splits: ds.splits,
    data,
    planted: ds.planted.map((p) => (p.file ? { ...p, file: `${path}/${p.file}` } : p)),
    files,
  };
}

/** Serialises a manifest (datasets in a stable order). */
export function manifestJson(m: DemoManifest): string {
  const datasets = [...m.datasets].sort((a, b) => a.id.localeCompare(b.id));
  return JSON.stringify({ ...m, datasets }, null, 2) + "\n";
}

/**
 * Reads the manifest: null when there is none; throws when a file is there but is not a demo
 * manifest (so nothing of the user's is taken for demo content).
 */
export async function readManifest(
  files: FilesApi,
  path = MANIFEST_PATH,
): Promise<DemoManifest | null> {
  let text: string;
  try {
    text = await files.readText(path);
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message}); it was left alone`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${path} is not a Lakevision demo manifest; it was left alone`);
  }
  return parsed.data;
}

/**
 * The scan plan a config-driven Data EDA scan uses for a demo dataset: each split with its
 * annotation file and images folder (plus the panoptic PNG or mask folders), exactly what the
 * dataset's demo configuration points at.
 */
export function scanPlan(ds: ManifestDataset): DatasetPlan {
  const splits: SplitPlan[] = [];
  for (const name of ["train", "val"]) {
    const dataPath = ds.data[`${name}_data_path`];
    const ann = ds.data[`${name}_annotation_file`];
    if (!dataPath) continue;
    switch (ds.format) {
      case "coco":
        splits.push({ name, annotationFile: ann, imagesDir: dataPath });
        break;
      case "coco-panoptic":
        splits.push({
          name,
          annotationFile: ann,
          imagesDir: dataPath,
          panopticDir: ann.replace(/\.json$/i, ""),
        });
        break;
      case "imagefolder":
        splits.push({ name, root: dataPath });
        break;
      default:
        splits.push({
          name,
          imagesDir: `${dataPath}/images`,
          masksDir: `${dataPath}/masks`,
          classNames: ds.classes,
        });
    }
  }
  return {
    format: ds.format as DatasetPlan["format"],
    splits,
    reason: `the demo configuration's data paths (${ds.format})`,
  };
}
