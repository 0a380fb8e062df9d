/**
 * Semantic-segmentation folders: `images/<name>.<ext>` + `masks/<name>.png`, one class id per
 * pixel, 255 = ignore (ADE20K / Pascal VOC `SegmentationClassPNG` style; palette PNGs count by
 * index, which is how VOC stores class ids).
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import { checkFiles, F_MISSING, F_UNREADABLE, type FileInfo } from "./files_check.ts";
import { isImageName } from "./image_header.ts";
import { classCountsOffThread } from "@/lib/image/decode_pool.ts";
import { ImageTooLargeError } from "@/lib/image/budget.ts";
import { HttpError } from "@/lib/errors.ts";
import { nearDuplicateNames, type ProblemSink } from "./problems.ts";
import { computeStats } from "./stats.ts";
import type { SplitStats } from "./types.ts";

/** Mask value that means "not labelled" (ADE20K / VOC convention). */
export const IGNORE_ID = 255;

const stem = (name: string) => {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
};

/** Reads `class_names.txt` / `labels.txt` style files: one name per line, index = class id. */
export function parseClassNames(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}

/**
 * Reads a label PNG for a scan through `decode` (a decode pool op, which does the whole of it
 * off the request thread). A PNG that cannot be decoded or is over the pixel budget (refused
 * from its header) is a problem of that file: it is recorded and null returned, so the scan goes
 * on. A decoder that is stopped or overloaded stops the scan.
 */
export async function decodeLabel<T>(
  decode: (bytes: Uint8Array, what: string) => Promise<T>,
  bytes: Uint8Array,
  file: string,
  sink: ProblemSink,
  loc: { image_id?: number } = {},
): Promise<T | null> {
  try {
    return await decode(bytes, file);
  } catch (e) {
    if (e instanceof ImageTooLargeError) {
      sink.add("mask_too_large", "error", `${e.message} Its labels are not checked.`, {
        ...loc,
        file,
      });
      return null;
    }
    if (e instanceof HttpError && e.status >= 500) throw e;
    sink.add(
      "mask_unreadable",
      "error",
      `${file} cannot be decoded: ${e instanceof Error ? e.message : e}`,
      { ...loc, file },
    );
    return null;
  }
}

export interface MaskScan {
  stats: SplitStats;
  files: FileInfo[];
}

/** Scans an images/ + masks/ pair of folders. */
export async function scanMasks(
  files: FilesApi,
  imagesDir: string,
  masksDir: string,
  sink: ProblemSink,
  opts: {
    classNames?: string[];
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<MaskScan> {
  const images: string[] = [];
  for await (const e of files.list(imagesDir)) {
    if (!e.isDirectory && isImageName(e.name)) images.push(e.name);
  }
  images.sort();
  const masks = new Map<string, string>();
  for await (const e of files.list(masksDir)) {
    if (!e.isDirectory && /\.png$/i.test(e.name)) masks.set(stem(e.name), e.name);
  }
  // every image of the split; `mask` null when it has none (counted, reported, not decoded)
  const paired: { image: string; mask: string | null }[] = [];
  const used = new Set<string>();
  for (const img of images) {
    const m = masks.get(stem(img));
    if (!m) {
      sink.add(
        "mask_missing",
        "error",
        `${imagesDir}/${img} has no mask (${masksDir}/${stem(img)}.png); the pair is dropped`,
        {
          file: `${imagesDir}/${img}`,
        },
      );
      paired.push({ image: `${imagesDir}/${img}`, mask: null });
      continue;
    }
    used.add(stem(img));
    paired.push({ image: `${imagesDir}/${img}`, mask: `${masksDir}/${m}` });
  }
  for (const [s, m] of masks) {
    if (!used.has(s)) {
      sink.add("mask_orphan", "warning", `${masksDir}/${m} has no image in ${imagesDir}`, {
        file: `${masksDir}/${m}`,
      });
    }
  }
  for (const g of nearDuplicateNames(images)) {
    for (const n of g.slice(1)) {
      sink.add(
        "near_duplicate_file_name",
        "warning",
        `${n} and ${g[0]} differ only by case, extension or a copy marker`,
        {
          file: `${imagesDir}/${n}`,
        },
      );
    }
  }

  const info = await checkFiles(files, paired.map((p) => p.image), { signal: opts.signal });
  const known = opts.classNames;
  const pixels = new Float64Array(65536);
  const imagesWith = new Float64Array(65536);
  const perImage = new Uint32Array(paired.length);
  for (let i = 0; i < paired.length; i++) {
    opts.signal?.throwIfAborted();
    const { image, mask } = paired[i];
    const fi = info[i];
    if (fi.status === F_MISSING) continue;
    if (fi.status === F_UNREADABLE) {
      sink.add("image_unreadable", "error", `${image} cannot be read as an image: ${fi.error}`, {
        file: image,
      });
    }
    if (mask === null) continue;
    let bytes;
    try {
      bytes = await files.readBytes(mask);
    } catch (e) {
      sink.add(
        "mask_unreadable",
        "error",
        `${mask} cannot be decoded: ${e instanceof Error ? e.message : e}`,
        {
          file: mask,
        },
      );
      continue;
    }
    // the pixel count per value is made off-thread; the mask's pixels never come here
    const dec = await decodeLabel(classCountsOffThread, bytes, mask, sink);
    if (!dec) continue;
    const hist = dec.counts;
    if (!hist) {
      sink.add(
        "mask_not_single_channel",
        "error",
        `${mask} has ${dec.channels} channels; class-id masks must be single-channel (gray or palette)`,
        {
          file: mask,
        },
      );
      continue;
    }
    if (fi.width > 0 && (dec.width !== fi.width || dec.height !== fi.height)) {
      sink.add(
        "mask_size_mismatch",
        "error",
        `${mask} is ${dec.width}×${dec.height} but ${image} is ${fi.width}×${fi.height}`,
        {
          file: mask,
        },
      );
    }
    const unknown: string[] = [];
    for (let v = 0; v < hist.length; v++) {
      if (!hist[v]) continue;
      if (v === IGNORE_ID) continue;
      pixels[v] += hist[v];
      imagesWith[v]++;
      perImage[i]++;
      if (known && v >= known.length) unknown.push(`${v} (${hist[v]} px)`);
    }
    if (unknown.length) {
      sink.add(
        "mask_unknown_class",
        "error",
        `${mask} contains class ids ${unknown.join(", ")} not in the ${
          known!.length
        }-class label set (0–${known!.length - 1}, 255 = ignore)`,
        {
          file: mask,
        },
      );
    }
    if ((i & 15) === 0) {
      opts.onProgress?.(i + 1, paired.length);
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  let maxId = -1;
  for (let v = 0; v < 65536; v++) if (pixels[v] && v !== IGNORE_ID) maxId = v;
  const n = known ? known.length : maxId + 1;
  const categories = Array.from(
    { length: n },
    (_, id) => ({ id, name: known?.[id] ?? `class_${id}` }),
  );
  if (known) {
    categories.forEach((c) => {
      if (!imagesWith[c.id]) {
        sink.add(
          "class_empty",
          "warning",
          `class "${c.name}" (id ${c.id}) appears in no mask of this split`,
          {
            category_id: c.id,
          },
        );
      }
    });
  }
  const stats = computeStats({
    imgW: info.map((f) => f.width),
    imgH: info.map((f) => f.height),
    imgLabel: (i) => paired[i].image,
    categories,
    classCounts: categories.map((c) => imagesWith[c.id]),
    classImages: categories.map((c) => imagesWith[c.id]),
    classPixels: categories.map((c) => pixels[c.id]),
    objectsPerImage: perImage,
  });
  return { stats, files: info };
}
