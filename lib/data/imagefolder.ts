/**
 * ImageFolder (`root/<class>/<image>`, classes = sorted folder names), as torchvision and the
 * accelerator's classification trainer read it.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import { checkFiles, F_MISSING, F_UNREADABLE, type FileInfo } from "./files_check.ts";
import { isImageName } from "./image_header.ts";
import { nearDuplicateNames, type ProblemSink } from "./problems.ts";
import { computeStats } from "./stats.ts";
import type { SplitStats } from "./types.ts";

export interface FolderScan {
  stats: SplitStats;
  files: FileInfo[];
}

/** Recursively lists image files under `dir` (class folders may have sub-folders). */
async function listImages(
  files: FilesApi,
  dir: string,
  sink: ProblemSink,
  out: string[],
): Promise<void> {
  for await (const e of files.list(dir)) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory) await listImages(files, e.path, sink, out);
    else if (isImageName(e.name)) out.push(e.path);
    else {
      sink.add(
        "file_not_image",
        "warning",
        `${e.path} is not an image (by extension); the trainer ignores it`,
        {
          file: e.path,
        },
      );
    }
  }
}

/** Scans one ImageFolder split. */
export async function scanImageFolder(
  files: FilesApi,
  root: string,
  sink: ProblemSink,
  opts: {
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
    classNames?: string[];
  },
): Promise<FolderScan> {
  const dirs: string[] = [];
  for await (const e of files.list(root)) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory) dirs.push(e.name);
    else if (isImageName(e.name)) {
      sink.add(
        "image_outside_class",
        "warning",
        `${e.path} is not inside a class folder; it is ignored`,
        {
          file: e.path,
        },
      );
    }
  }
  dirs.sort();
  let classes = dirs;
  if (opts.classNames?.length) {
    for (const d of dirs) {
      if (!opts.classNames.includes(d)) {
        sink.add(
          "class_not_in_config",
          "warning",
          `folder "${d}" is not one of the configured class names; its images are skipped`,
          {
            file: `${root}/${d}`,
          },
        );
      }
    }
    classes = opts.classNames;
  }
  if (classes.length === 0) {
    sink.add(
      "no_classes",
      "error",
      `${root} has no class folders (expected ${root}/<class>/<image>)`,
      { file: root },
    );
  }
  const paths: string[] = [];
  const cls: number[] = [];
  const counts = new Array(classes.length).fill(0);
  for (let c = 0; c < classes.length; c++) {
    const list: string[] = [];
    if (dirs.includes(classes[c])) await listImages(files, `${root}/${classes[c]}`, sink, list);
    list.sort();
    counts[c] = list.length;
    for (const p of list) {
      paths.push(p);
      cls.push(c);
    }
    if (list.length === 0) {
      sink.add(
        "class_empty",
        "warning",
        `class "${classes[c]}" has no images${
          dirs.includes(classes[c]) ? "" : " (no such folder)"
        }`,
        {
          category_id: c,
          file: `${root}/${classes[c]}`,
        },
      );
    }
    opts.signal?.throwIfAborted();
  }
  const info = await checkFiles(files, paths, { signal: opts.signal, onProgress: opts.onProgress });
  for (const f of info) {
    if (f.status === F_UNREADABLE) {
      sink.add("image_unreadable", "error", `${f.path} cannot be read as an image: ${f.error}`, {
        file: f.path,
      });
    } else if (f.status === F_MISSING) {
      sink.add("image_missing", "error", `${f.path} was listed but cannot be found`, {
        file: f.path,
      });
    }
  }
  for (const g of nearDuplicateNames(paths)) {
    for (const n of g.slice(1)) {
      sink.add(
        "near_duplicate_file_name",
        "warning",
        `${n} and ${g[0]} differ only by case, extension or a copy marker`,
        {
          file: n,
        },
      );
    }
  }
  const categories = classes.map((name, id) => ({ id, name }));
  const stats = computeStats({
    imgW: info.map((f) => f.width),
    imgH: info.map((f) => f.height),
    imgLabel: (i) => paths[i],
    categories,
    classCounts: counts,
    classImages: counts,
    objectsPerImage: new Uint32Array(paths.length).fill(1),
  });
  void cls;
  return { stats, files: info };
}
