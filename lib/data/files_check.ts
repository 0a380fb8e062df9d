/**
 * Opening the image files a dataset refers to: existence (one directory listing per folder, not one
 * stat per file), readability and real dimensions from headers, and a content fingerprint used to
 * find the same image in two splits.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import type { ProblemSink } from "./problems.ts";
import { displaySize, type ImageHeader, readImageHead } from "./image_header.ts";

/** FileInfo.status values. */
export const F_OK = 0, F_MISSING = 1, F_UNREADABLE = 2;

export interface FileInfo {
  path: string;
  status: 0 | 1 | 2;
  size: number;
  header?: ImageHeader;
  /** Displayed size (EXIF orientation applied). */
  width: number;
  height: number;
  /** sha256 of the first 16 KiB + size: equal files have equal fingerprints. */
  fingerprint?: string;
  error?: string;
}

export interface CheckOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  concurrency?: number;
}

/** Joins a directory and a relative name with one slash. */
export function joinPath(dir: string, name: string): string {
  if (!dir) return name;
  return dir.endsWith("/") ? dir + name.replace(/^\/+/, "") : `${dir}/${name.replace(/^\/+/, "")}`;
}

/** Lists a directory into name → size; null when it does not exist or cannot be listed. */
async function listSizes(files: FilesApi, dir: string): Promise<Map<string, number> | null> {
  try {
    const out = new Map<string, number>();
    for await (const e of files.list(dir)) if (!e.isDirectory) out.set(e.name, e.size ?? -1);
    return out;
  } catch {
    return null;
  }
}

async function hex(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  let s = "";
  for (const b of d) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Opens every path (headers only); missing files are found from directory listings. */
export async function checkFiles(
  files: FilesApi,
  paths: string[],
  opts: CheckOptions = {},
): Promise<FileInfo[]> {
  const dirs = new Map<string, Map<string, number> | null>();
  for (const p of paths) {
    const d = p.slice(0, p.lastIndexOf("/"));
    if (!dirs.has(d)) dirs.set(d, await listSizes(files, d || "/"));
    opts.signal?.throwIfAborted();
  }
  const out: FileInfo[] = paths.map((path) => {
    const slash = path.lastIndexOf("/");
    const size = dirs.get(path.slice(0, slash))?.get(path.slice(slash + 1));
    return size === undefined
      ? { path, status: F_MISSING, size: 0, width: NaN, height: NaN }
      : { path, status: F_OK, size, width: NaN, height: NaN };
  });
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < out.length) {
      const f = out[next++];
      opts.signal?.throwIfAborted();
      if (f.status === F_OK) {
        try {
          const { header, head } = await readImageHead(files, f.path);
          if (f.size < 0) f.size = head.length;
          if (!header) {
            f.status = F_UNREADABLE;
            f.error = head.length === 0
              ? "the file is empty"
              : "not a PNG, JPEG, GIF, WebP, BMP or TIFF image";
          } else if (!(header.width > 0 && header.height > 0)) {
            f.status = F_UNREADABLE;
            f.error = `the ${header.kind} header gives a size of ${header.width}×${header.height}`;
          } else {
            f.header = header;
            const d = displaySize(header);
            f.width = d.width;
            f.height = d.height;
            f.fingerprint = `${f.size}:${await hex(head)}`;
          }
        } catch (e) {
          f.status = F_UNREADABLE;
          f.error = e instanceof Error ? e.message : String(e);
        }
      }
      done++;
      if ((done & 63) === 0 || done === out.length) opts.onProgress?.(done, out.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 16, out.length) }, worker));
  return out;
}

/** Files of one split, for leakage detection. */
export interface SplitFiles {
  split: string;
  files: FileInfo[];
  /** COCO image id of a file, so leakage problems link to the image. */
  imageIdOf?: (path: string) => number | undefined;
}

/**
 * The same image in two splits (train/val leakage) and identical files within a split. Candidates
 * share a fingerprint; they are confirmed by hashing the whole files.
 */
export async function findLeakage(
  files: FilesApi,
  splits: SplitFiles[],
  sinkFor: (split: string) => ProblemSink,
  signal?: AbortSignal,
): Promise<void> {
  type Member = { split: string; path: string; imageId?: number };
  const byPrint = new Map<string, Member[]>();
  for (const s of splits) {
    for (const f of s.files) {
      if (!f.fingerprint) continue;
      let g = byPrint.get(f.fingerprint);
      if (!g) byPrint.set(f.fingerprint, g = []);
      if (!g.some((x) => x.path === f.path)) {
        g.push({ split: s.split, path: f.path, imageId: s.imageIdOf?.(f.path) });
      }
    }
  }
  for (const group of byPrint.values()) {
    if (group.length < 2) continue;
    signal?.throwIfAborted();
    const byHash = new Map<string, Member[]>();
    for (const m of group) {
      const h = await hex(await files.readBytes(m.path));
      let g = byHash.get(h);
      if (!g) byHash.set(h, g = []);
      g.push(m);
    }
    for (const same of byHash.values()) {
      if (same.length < 2) continue;
      const first = same[0];
      for (const other of same.slice(1)) {
        if (other.split !== first.split) {
          sinkFor(other.split).add(
            "split_leakage",
            "error",
            `${other.path} (${other.split}) has the same content as ${first.path} (${first.split}); ` +
              `evaluation on ${other.split} is contaminated`,
            { file: other.path, image_id: other.imageId, where: `same as ${first.path}` },
          );
        } else {
          sinkFor(other.split).add(
            "duplicate_image_file",
            "warning",
            `${other.path} has the same content as ${first.path} in ${first.split}`,
            { file: other.path, image_id: other.imageId, where: `same as ${first.path}` },
          );
        }
      }
    }
  }
}
