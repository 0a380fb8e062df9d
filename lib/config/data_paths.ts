/**
 * Checks a config's data paths against the workspace before anything is launched: each is a
 * `/Volumes/...` path, exists, and holds the layout the training job will read (class folders,
 * images/ + masks/, or a COCO JSON file). The editor shows the result beside the fields and the
 * launch refuses a config that fails it, so a run never dies on a missing folder after queueing.
 * Messages name the volume path as written in the config, never a host path.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import type { Problem } from "./validate.ts";

/** What the data fields hold; unknown keys are ignored. */
type DataSection = Record<string, unknown>;

const FOLDERS = ["train_data_path", "val_data_path"] as const;
const FILES = ["train_annotation_file", "val_annotation_file"] as const;
/** A path inside a volume: /Volumes/<catalog>/<schema>/<volume>/<something>. */
const VOLUME_PATH = /^\/Volumes\/[^/]+\/[^/]+\/[^/]+\/./;

/** True for template placeholders such as `/Volumes/<catalog>/...` (fine to save, not to run). */
export function isPlaceholder(path: string): boolean {
  return /<[^>]*>/.test(path);
}

/**
 * Why `path` can never be a data path (not absolute, outside a volume, `..`), or null when its
 * shape is fine. Placeholders pass: they are filled in later, and refused only at launch.
 */
export function volumePathProblem(path: string): string | null {
  if (isPlaceholder(path)) return null;
  if (!path.startsWith("/")) {
    return `must be an absolute /Volumes/<catalog>/<schema>/<volume>/… path, got "${path}"`;
  }
  if (!VOLUME_PATH.test(path)) {
    return `must be inside a volume (/Volumes/<catalog>/<schema>/<volume>/…), got "${path}"`;
  }
  if (path.split("/").some((s) => s === ".." || s === ".")) {
    return `must not contain "." or ".." segments, got "${path}"`;
  }
  return null;
}

/** The first `max` entries of a folder (listing a whole dataset would be slow remotely). */
async function firstEntries(files: FilesApi, dir: string, max = 200) {
  const out: { name: string; isDirectory: boolean }[] = [];
  for await (const e of files.list(dir)) {
    out.push({ name: e.name, isDirectory: e.isDirectory });
    if (out.length >= max) break;
  }
  return out;
}

/** The entry at `path`, or null; workspace errors (which may carry host paths) are not shown. */
async function statQuiet(files: FilesApi, path: string) {
  try {
    return { entry: await files.stat(path) };
  } catch {
    return { error: true as const };
  }
}

/**
 * Problems with the data paths of `doc` (a config document), each at its field's dotted path.
 * `task` picks the expected layout; with an annotation file the folder only has to hold files.
 */
/** What is wrong with a data path before it is even looked up (placeholder, not a volume path). */
function shapeProblem(path: string): string | null {
  return isPlaceholder(path)
    ? `is still a placeholder (${path}): point it at your data`
    : volumePathProblem(path);
}

export async function checkDataPaths(
  doc: Record<string, unknown>,
  task: string | null,
  files: FilesApi,
): Promise<Problem[]> {
  const data = (doc.data ?? {}) as DataSection;
  const out: Problem[] = [];
  const err = (key: string, message: string) => out.push({ path: `data.${key}`, message });
  for (const key of FILES) {
    const path = data[key];
    if (typeof path !== "string" || path === "") continue;
    const shape = shapeProblem(path);
    if (shape) {
      err(key, shape);
      continue;
    }
    const st = await statQuiet(files, path);
    if ("error" in st) err(key, `could not be read: ${path}`);
    else if (!st.entry) err(key, `file not found: ${path}`);
    else if (st.entry.isDirectory) err(key, `is a folder, expected a COCO JSON file: ${path}`);
    else if (!path.toLowerCase().endsWith(".json")) {
      err(key, `expected a COCO .json annotation file: ${path}`);
    }
  }
  for (const key of FOLDERS) {
    const path = data[key];
    if (typeof path !== "string" || path === "") continue;
    const shape = shapeProblem(path);
    if (shape) {
      err(key, shape);
      continue;
    }
    const st = await statQuiet(files, path);
    if ("error" in st) {
      err(key, `could not be read: ${path}`);
      continue;
    }
    if (!st.entry) {
      err(key, `folder not found: ${path}`);
      continue;
    }
    if (!st.entry.isDirectory) {
      err(key, `is a file, expected a folder: ${path}`);
      continue;
    }
    const annotated = typeof data[key.replace("_data_path", "_annotation_file")] === "string" &&
      data[key.replace("_data_path", "_annotation_file")] !== "";
    let entries;
    try {
      entries = await firstEntries(files, path);
    } catch {
      err(key, `could not be listed: ${path}`);
      continue;
    }
    const layout = layoutProblem(entries, task, annotated);
    if (layout) err(key, `${layout}: ${path}`);
  }
  return out;
}

/** What is wrong with a folder's layout for the task, as the training job reads it. */
function layoutProblem(
  entries: { name: string; isDirectory: boolean }[],
  task: string | null,
  annotated: boolean,
): string | null {
  const visible = entries.filter((e) => !e.name.startsWith("."));
  if (visible.length === 0) return "is empty";
  if (annotated) {
    return visible.some((e) => !e.isDirectory) ? null : "holds no image files";
  }
  const dirs = new Set(visible.filter((e) => e.isDirectory).map((e) => e.name));
  if (task === "classification") {
    return dirs.size > 0 ? null : "has no class folders (expected <folder>/<class name>/<images>)";
  }
  if (task === "semantic_segmentation") {
    return dirs.has("images") && dirs.has("masks")
      ? null
      : "expected images/ and masks/ folders (or set an annotation file)";
  }
  return null;
}
