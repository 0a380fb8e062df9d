/**
 * Checks a config's data paths against the workspace before anything is launched: each is a
 * `/Volumes/...` path, exists, and holds the layout the training job will read (class folders,
 * images/ + masks/, or a COCO JSON file), and the classes found there agree with the config
 * (`data_classes.ts`). The editor shows the result beside the fields as they are edited, and the
 * launch refuses a config that fails it, so a run never dies on a missing folder after queueing.
 * Messages name the volume path as written in the config; a path refused for its shape is shown
 * as written, with only this machine's data folder hidden. Server-only: the editor's own checks
 * as you type are `volume_paths.ts`.
 */
import { WorkspaceError } from "@/lib/errors.ts";
import { PAGE_DEADLINE_MS, seconds, withDeadline } from "@/lib/workspace/deadline.ts";
import type { FilesApi, Workspace } from "@/lib/workspace/types.ts";
import { checkClasses, type DataSeen, type Listing } from "./data_classes.ts";
import { diskPathProblem, HIDDEN_NOTE, volumePathOfDisk } from "./host_paths.ts";
import type { Problem } from "./validate.ts";
import { isPlaceholder, volumePathProblem } from "./volume_paths.ts";

export { isPlaceholder, volumePathProblem };

/** What the data fields hold; unknown keys are ignored. */
type DataSection = Record<string, unknown>;

const FOLDERS = ["train_data_path", "val_data_path"] as const;
const FILES = ["train_annotation_file", "val_annotation_file"] as const;

/** Entries listed to judge a folder's layout (listing a whole image folder would be slow remotely). */
const LAYOUT_ENTRIES = 200;
/** Entries listed of a class-folder dataset's split, to count its classes. */
export const CLASS_FOLDERS_MAX = 5000;

/** How this machine's folders are hidden in messages (the workspace's `hidePaths`). */
export interface PathOptions {
  hidePaths?: (text: string) => string;
}

/** The path options of a workspace: its own way of hiding this machine's folders. */
export function pathOptionsOf(ws: Pick<Workspace, "hidePaths">): PathOptions {
  return ws.hidePaths ? { hidePaths: (text) => ws.hidePaths!(text) } : {};
}

/** The first `max` entries of a folder, and whether that is all of them. */
async function listUpTo(files: FilesApi, dir: string, max: number): Promise<Listing> {
  const entries: Listing["entries"] = [];
  for await (const e of files.list(dir)) {
    if (entries.length >= max) return { entries, complete: false };
    entries.push({ name: e.name, isDirectory: e.isDirectory });
  }
  return { entries, complete: true };
}

/** True for the workspace not answering in time (a page's deadline). */
function isTimeout(e: unknown): boolean {
  return (e instanceof WorkspaceError && e.errorCode === "TIMEOUT") ||
    (e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError"));
}

/** Why a workspace call failed, as a finding; workspace errors (which may carry host paths) are not shown. */
function failed(e: unknown, what: string, path: string): string {
  return isTimeout(e)
    ? `was not checked: the workspace did not answer in time (${path})`
    : `${what}: ${path}`;
}

/** The entry at `path`, or null; a failure is returned, not thrown. */
async function statQuiet(files: FilesApi, path: string) {
  try {
    return { entry: await files.stat(path) };
  } catch (e) {
    return { error: e };
  }
}

/**
 * What is wrong with a data path before it is even looked up (placeholder, not a volume path),
 * with a fix when it is this machine's disk path of a volume.
 */
function shapeProblem(
  path: string,
  files: FilesApi,
  opts: PathOptions,
): { message: string; fix?: string } | null {
  if (isPlaceholder(path)) {
    return { message: `is still a placeholder (${path}): point it at your data` };
  }
  const vp = volumePathOfDisk(files, path);
  if (vp) {
    return { message: diskPathProblem(path, vp), fix: vp + (path.endsWith("/") ? "/" : "") };
  }
  const shown = opts.hidePaths?.(path) ?? path;
  const message = volumePathProblem(path, shown);
  if (!message) return null;
  return { message: shown === path ? message : `${message} (${HIDDEN_NOTE})` };
}

/** True when `path` could never be a data path (see `shapeProblem`); placeholders pass. */
export function isShapeProblem(path: unknown): boolean {
  return typeof path === "string" && !isPlaceholder(path) && volumePathProblem(path) !== null;
}

/**
 * Problems with the data paths of `doc` (a config document), each at its field's dotted path.
 * `task` picks the expected layout; with an annotation file the folder only has to hold files.
 */
export async function checkDataPaths(
  doc: Record<string, unknown>,
  task: string | null,
  files: FilesApi,
  opts: PathOptions = {},
): Promise<Problem[]> {
  const data = (doc.data ?? {}) as DataSection;
  const out: Problem[] = [];
  const seen: DataSeen = { folders: {}, annotations: {} };
  const err = (key: string, message: string, fix?: string) =>
    out.push({ path: `data.${key}`, message, ...(fix ? { fix } : {}) });
  for (const key of FILES) {
    const path = data[key];
    if (typeof path !== "string" || path === "") continue;
    const shape = shapeProblem(path, files, opts);
    if (shape) {
      err(key, shape.message, shape.fix);
      continue;
    }
    const st = await statQuiet(files, path);
    if ("error" in st) err(key, failed(st.error, "could not be read", path));
    else if (!st.entry) err(key, `file not found: ${path}`);
    else if (st.entry.isDirectory) err(key, `is a folder, expected a COCO JSON file: ${path}`);
    else if (!path.toLowerCase().endsWith(".json")) {
      err(key, `expected a COCO .json annotation file: ${path}`);
    } else seen.annotations[splitOf(key)] = st.entry;
  }
  for (const key of FOLDERS) {
    const path = data[key];
    if (typeof path !== "string" || path === "") continue;
    const shape = shapeProblem(path, files, opts);
    if (shape) {
      err(key, shape.message, shape.fix);
      continue;
    }
    const st = await statQuiet(files, path);
    if ("error" in st) {
      err(key, failed(st.error, "could not be read", path));
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
    const annotation = data[key.replace("_data_path", "_annotation_file")];
    const annotated = typeof annotation === "string" && annotation !== "";
    let listing;
    try {
      // Class folders are counted, so those are listed whole (up to a bound); else a glance.
      const classes = task === "classification" && !annotated;
      listing = await listUpTo(files, path, classes ? CLASS_FOLDERS_MAX : LAYOUT_ENTRIES);
    } catch (e) {
      err(key, failed(e, "could not be listed", path));
      continue;
    }
    const layout = layoutProblem(listing.entries, task, annotated);
    if (layout) err(key, `${layout}: ${path}`);
    else seen.folders[splitOf(key)] = listing;
  }
  for (const p of await checkClasses(doc, task, files, seen)) {
    if (!out.some((o) => o.path === p.path)) out.push(p);
  }
  return out;
}

/**
 * `checkDataPaths` within a page's time for the workspace (`PAGE_DEADLINE_MS`): a workspace that
 * does not answer in time gives one note saying so instead of holding the page or the editor.
 */
export async function checkDataPathsWithin(
  doc: Record<string, unknown>,
  task: string | null,
  files: FilesApi,
  opts: PathOptions & { ms?: number } = {},
): Promise<Problem[]> {
  const ms = opts.ms ?? PAGE_DEADLINE_MS;
  try {
    return await withDeadline(ms, () => checkDataPaths(doc, task, files, opts));
  } catch (e) {
    if (!isTimeout(e)) throw e;
    return [{
      path: "",
      message: `The data paths were not checked: the workspace did not answer within ${
        seconds(ms)
      }. Launching checks them again.`,
    }];
  }
}

function splitOf(key: string): "train" | "val" {
  return key.startsWith("train") ? "train" : "val";
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
