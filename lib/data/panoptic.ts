/**
 * COCO panoptic: a JSON whose annotations list `segments_info` per image, plus one RGB PNG per
 * image where segment id = R + 256·G + 65536·B (0 = unlabelled). PNGs live in a folder named after
 * the JSON stem unless given.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import { checkFiles, F_MISSING, F_UNREADABLE, type FileInfo } from "./files_check.ts";
import { segmentAreasOffThread } from "@/lib/image/decode_pool.ts";
import { decodeLabel } from "./masks.ts";
import type { ProblemSink } from "./problems.ts";
import { computeStats } from "./stats.ts";
import type { SplitStats } from "./types.ts";

interface PImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}
interface PSegment {
  id: number;
  category_id: number;
  area?: number;
  bbox?: number[];
  iscrowd?: number;
}
interface PAnn {
  image_id: number;
  file_name: string;
  segments_info: PSegment[];
}

/** Default PNG folder: `panoptic_val2017.json` → `panoptic_val2017/` beside it. */
export function defaultPanopticDir(jsonPath: string): string {
  return jsonPath.replace(/\.json$/i, "");
}

export interface PanopticScan {
  stats: SplitStats;
  files?: FileInfo[];
  imagesRead: number;
  annotationsRead: number;
}

/** Scans one panoptic split; `imagesDir` undefined = image files not opened (PNGs still are). */
export async function scanPanoptic(
  files: FilesApi,
  jsonPath: string,
  text: string,
  sink: ProblemSink,
  opts: {
    pngDir?: string;
    imagesDir?: string;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<PanopticScan> {
  let doc: { images?: PImage[]; annotations?: PAnn[]; categories?: { id: number; name: string }[] };
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${jsonPath}: invalid JSON (${e instanceof Error ? e.message : e})`);
  }
  const images = Array.isArray(doc.images) ? doc.images : [];
  const anns = Array.isArray(doc.annotations) ? doc.annotations : [];
  const cats = Array.isArray(doc.categories) ? doc.categories : [];
  if (!Array.isArray(doc.images)) {
    sink.add("json_missing_key", "error", `${jsonPath} has no "images" list`, { file: jsonPath });
  }
  if (!Array.isArray(doc.categories)) {
    sink.add("json_missing_key", "error", `${jsonPath} has no "categories" list`, {
      file: jsonPath,
    });
  }
  if (anns.length === 0) {
    sink.add("no_annotations", "error", `${jsonPath} has no annotations`, { file: jsonPath });
  }
  const catIdx = new Map<number, number>();
  cats.forEach((c, i) => {
    if (catIdx.has(c.id)) {
      sink.add("duplicate_category_id", "error", `category id ${c.id} is defined twice`, {
        category_id: c.id,
        file: jsonPath,
      });
    } else catIdx.set(c.id, i);
    if (c.id === 0) {
      sink.add(
        "category_id_zero",
        "warning",
        `category "${c.name}" has id 0, which collides with "unlabelled"`,
        { category_id: 0, file: jsonPath },
      );
    }
  });
  const imgIdx = new Map<number, number>();
  images.forEach((im, i) => {
    if (imgIdx.has(im.id)) {
      sink.add("duplicate_image_id", "error", `image id ${im.id} is used twice`, {
        image_id: im.id,
        file: im.file_name,
        where: `images[${i}]`,
      });
    } else imgIdx.set(im.id, i);
  });
  const pngDir = opts.pngDir ?? defaultPanopticDir(jsonPath);
  const pixels = new Float64Array(cats.length);
  const counts = new Array(cats.length).fill(0);
  const withCls = new Array(cats.length).fill(0);
  const perImage = new Uint32Array(images.length);
  const annImg: number[] = [], annCat: number[] = [];
  const bx: number[] = [],
    by: number[] = [],
    bw: number[] = [],
    bh: number[] = [],
    area: number[] = [];
  let nSeg = 0;
  for (let a = 0; a < anns.length; a++) {
    opts.signal?.throwIfAborted();
    const ann = anns[a];
    const where = `annotations[${a}]`;
    const ii = imgIdx.get(ann.image_id) ?? -1;
    if (ii < 0) {
      sink.add(
        "annotation_unknown_image",
        "error",
        `${where} points to image ${ann.image_id}, which is not in "images"`,
        { image_id: ann.image_id, where },
      );
    }
    const segs = Array.isArray(ann.segments_info) ? ann.segments_info : [];
    const segIds = new Map<number, PSegment>();
    const seenCls = new Set<number>();
    for (const s of segs) {
      nSeg++;
      const ci = catIdx.get(s.category_id) ?? -1;
      if (segIds.has(s.id)) {
        sink.add("duplicate_segment_id", "error", `segment id ${s.id} appears twice in ${where}`, {
          image_id: ann.image_id,
          where,
        });
      }
      segIds.set(s.id, s);
      if (ci < 0) {
        sink.add(
          "annotation_unknown_category",
          "error",
          `segment ${s.id} in ${where} has category_id ${s.category_id}, which is not in "categories"`,
          {
            image_id: ann.image_id,
            category_id: s.category_id,
            where,
          },
        );
      } else {
        counts[ci]++;
        if (!seenCls.has(ci)) {
          seenCls.add(ci);
          withCls[ci]++;
        }
      }
      if (ii >= 0) perImage[ii]++;
      annImg.push(ii);
      annCat.push(ci);
      const b = Array.isArray(s.bbox) && s.bbox.length === 4 ? s.bbox : [NaN, NaN, NaN, NaN];
      bx.push(b[0]);
      by.push(b[1]);
      bw.push(b[2]);
      bh.push(b[3]);
      area.push(s.area ?? NaN);
    }
    const png = `${pngDir}/${ann.file_name}`;
    const bytes = await files.readBytes(png).catch(() => null);
    if (!bytes) {
      sink.add(
        "panoptic_png_missing",
        "error",
        `${png} is missing; the image is dropped from training`,
        { image_id: ann.image_id, file: png, where },
      );
      continue;
    }
    // pixels per segment id are counted off-thread; the PNG's pixels never come here
    const dec = await decodeLabel(segmentAreasOffThread, bytes, png, sink, {
      image_id: ann.image_id,
    });
    if (!dec) continue;
    if (!dec.areas) {
      sink.add(
        "mask_not_rgb",
        "error",
        `${png} must be an 8-bit RGB PNG (id = R + 256·G + 65536·B)`,
        { image_id: ann.image_id, file: png },
      );
      continue;
    }
    const im = ii >= 0 ? images[ii] : undefined;
    if (im && (dec.width !== im.width || dec.height !== im.height)) {
      sink.add(
        "mask_size_mismatch",
        "error",
        `${png} is ${dec.width}×${dec.height} but image ${im.id} is ${im.width}×${im.height}`,
        { image_id: im.id, file: png },
      );
    }
    // segment id → pixels, in the order the ids first appear in the PNG
    const px = new Map<number, number>();
    const { ids, pixels: areas } = dec.areas;
    for (let k = 0; k < ids.length; k++) px.set(ids[k], areas[k]);
    for (const [id, n] of px) {
      if (id === 0) continue;
      const s = segIds.get(id);
      if (!s) {
        sink.add(
          "panoptic_unknown_segment",
          "error",
          `${png} has ${n} pixels of segment id ${id}, which is not in segments_info`,
          {
            image_id: ann.image_id,
            file: png,
          },
        );
        continue;
      }
      const ci = catIdx.get(s.category_id);
      if (ci !== undefined) pixels[ci] += n;
      if (s.area !== undefined && Math.abs(s.area - n) > Math.max(1, 0.01 * n)) {
        sink.add(
          "area_inconsistent",
          "warning",
          `segment ${id} says area ${s.area} but has ${n} pixels in ${png}`,
          {
            image_id: ann.image_id,
            file: png,
          },
        );
      }
    }
    for (const id of segIds.keys()) {
      if (!px.has(id)) {
        sink.add(
          "panoptic_segment_missing",
          "warning",
          `segment ${id} of ${where} has no pixels in ${png}`,
          { image_id: ann.image_id, file: png, where },
        );
      }
    }
    if ((a & 15) === 0) {
      opts.onProgress?.(a + 1, anns.length);
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  cats.forEach((c, i) => {
    if (counts[i] === 0) {
      sink.add(
        "class_empty",
        "warning",
        `class "${c.name}" (id ${c.id}) has no segments in this split`,
        { category_id: c.id },
      );
    }
  });
  let info: FileInfo[] | undefined;
  if (opts.imagesDir) {
    info = await checkFiles(files, images.map((im) => `${opts.imagesDir}/${im.file_name}`), {
      signal: opts.signal,
    });
    info.forEach((f, i) => {
      const im = images[i];
      if (f.status === F_MISSING) {
        sink.add("image_missing", "error", `${f.path} does not exist (image ${im.id})`, {
          image_id: im.id,
          file: f.path,
        });
      } else if (f.status === F_UNREADABLE) {
        sink.add("image_unreadable", "error", `${f.path} cannot be read: ${f.error}`, {
          image_id: im.id,
          file: f.path,
        });
      } else if (f.width !== im.width || f.height !== im.height) {
        sink.add(
          "image_size_mismatch",
          "error",
          `${f.path} is ${f.width}×${f.height} but the JSON says ${im.width}×${im.height}`,
          { image_id: im.id, file: f.path },
        );
      }
    });
  }
  const stats = computeStats({
    imgW: images.map((im) => im.width),
    imgH: images.map((im) => im.height),
    imgLabel: (i) => images[i].id,
    categories: cats,
    annImg: Int32Array.from(annImg),
    annCat: Int32Array.from(annCat),
    bx,
    by,
    bw,
    bh,
    area,
    classPixels: Array.from(pixels),
  });
  stats.classes.forEach((c, i) => (c.images = withCls[i]));
  return { stats, files: info, imagesRead: images.length, annotationsRead: nSeg };
}
