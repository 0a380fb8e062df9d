/**
 * Disk paths of volumes. The local workspace keeps each volume as a folder on this machine, and
 * its jobs see them so, so a YAML written there may name its data by disk path
 * (`<data folder>/volumes/<c>/<s>/<v>/...`). The files port recognises such a path
 * (`volumePathOf`); an import rewrites it to its volume path and says so, and the editor offers
 * the same. A path that is refused is shown as it was written, with only the data folder's own
 * location hidden, never as a volume path that would look valid.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import { SECTIONS } from "./fields.ts";
import { isObject } from "./object.ts";

/** Said wherever a shown path has had the data folder's location taken out. */
export const HIDDEN_NOTE = "the data folder's location on this machine is hidden";

/**
 * The volume path that `path`, a disk path on this machine, stands for; undefined for a volume
 * path, a relative path, or a folder outside the volumes (and wherever the workspace has no disk).
 */
export function volumePathOfDisk(
  files: Pick<FilesApi, "volumePathOf">,
  path: string,
): string | undefined {
  if (!path.startsWith("/") || path.startsWith("/Volumes/")) return undefined;
  const vp = files.volumePathOf?.(path);
  return vp && vp.startsWith("/Volumes/") && vp !== path ? vp : undefined;
}

/**
 * A disk path of a volume as it was written, less the data folder's location:
 * `<data folder>/volumes/demo/cv/train/` for `/srv/lakevision/volumes/demo/cv/train/`.
 */
export function shownDiskPath(path: string, volumePath: string): string {
  const rest = volumePath.slice("/Volumes/".length);
  const trimmed = path.replace(/\/+$/, "");
  const trail = path.slice(trimmed.length);
  if (!trimmed.endsWith(`/${rest}`)) return `<data folder>/…/${rest}${trail}`;
  const root = trimmed.slice(0, trimmed.length - rest.length - 1);
  return `<data folder>/${root.split("/").pop()}/${rest}${trail}`;
}

/** What a refused disk path of a volume is told: what was written, and the path to write. */
export function diskPathProblem(path: string, volumePath: string): string {
  return `is a disk path on this machine, not a volume path: "${
    shownDiskPath(path, volumePath)
  }" (${HIDDEN_NOTE}); write its volume path ${volumePath}${trailOf(path)}`;
}

function trailOf(path: string): string {
  return path.endsWith("/") ? "/" : "";
}

/** One rewritten field of an import. */
export interface PathRewrite {
  /** Dotted field path, e.g. `data.train_data_path`. */
  field: string;
  /** What the file said, as `shownDiskPath` shows it. */
  from: string;
  /** The volume path it now holds. */
  to: string;
}

/** Dotted paths of the fields that hold volume paths (data, weights, results, checkpoints). */
export const VOLUME_PATH_FIELDS: readonly string[] = SECTIONS.flatMap((s) =>
  s.fields.filter((f) => f.type === "path" && f.pathKind === "volume").map((f) =>
    `${s.key}.${f.key}`
  )
);

/**
 * `doc` with every volume path field that holds a disk path of a volume rewritten to its volume
 * path (a trailing `/` kept), and the list of what changed. `doc` itself is left as it is.
 */
export function rewriteDiskPaths(
  doc: Record<string, unknown>,
  files: Pick<FilesApi, "volumePathOf">,
): { doc: Record<string, unknown>; rewrites: PathRewrite[] } {
  const rewrites: PathRewrite[] = [];
  const out: Record<string, unknown> = { ...doc };
  for (const field of VOLUME_PATH_FIELDS) {
    const [section, key] = field.split(".");
    const part = out[section];
    if (!isObject(part)) continue;
    const v = part[key];
    if (typeof v !== "string") continue;
    const vp = volumePathOfDisk(files, v.trim());
    if (!vp) continue;
    const to = vp + trailOf(v.trim());
    rewrites.push({ field, from: shownDiskPath(v.trim(), vp), to });
    out[section] = { ...part, [key]: to };
  }
  return { doc: out, rewrites };
}
