/**
 * Samples for the viewer: one image with its annotations, and lists of images filtered by class
 * or problem. COCO annotations are re-read exactly from the byte ranges kept by the index.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import { NotFoundError } from "@/lib/errors.ts";
import { annotationObject, type CocoIndex, parseCoco, rleFromString } from "./coco_parse.ts";

export { rleFromString };
import { IdLookup } from "./coco_check.ts";
import { isImageName } from "./image_header.ts";
import type { ScanResult, SplitPlan } from "./types.ts";

export interface SampleAnnotation {
  id?: number;
  category_id: number;
  bbox?: number[];
  /** Polygons; RLE masks come as `rle` (uncompressed, column-major counts) instead. */
  polygons?: number[][];
  rle?: { counts: number[]; size: [number, number] };
  iscrowd?: number;
  area?: number;
}

export interface Sample {
  split: string;
  /** COCO image id, or the file path for folder formats. */
  image: number | string;
  /** Volume path of the image file, when known. */
  file: string | null;
  width: number;
  height: number;
  annotations: SampleAnnotation[];
  /** Class of an ImageFolder image. */
  label?: number;
  /** Mask file of a semantic-segmentation image. */
  mask?: string;
  /** The image file is missing or unreadable. */
  broken?: boolean;
}

export interface SampleRef {
  image: number | string;
  file: string | null;
  classes: number[];
  /** The scan found the file missing or unreadable (the viewer shows a placeholder). */
  broken?: boolean;
}

/** Files the scan reported missing or unreadable. */
function brokenFiles(result: ScanResult): Set<string> {
  return new Set(
    result.problems.filter((p) =>
      (p.code === "image_missing" || p.code === "image_unreadable") && p.file
    )
      .map((p) => p.file!),
  );
}

interface Loaded {
  buf: Uint8Array;
  idx: CocoIndex;
  images: IdLookup;
  byImage: Map<number, number[]>;
}
const loaded = new Map<string, Loaded>();

async function loadCoco(files: FilesApi, sp: SplitPlan, key: string): Promise<Loaded> {
  const k = `${key}:${sp.name}`;
  const hit = loaded.get(k);
  if (hit) return hit;
  const buf = await files.readBytes(sp.annotationFile!);
  const idx = await parseCoco(buf, sp.annotationFile!);
  const images = new IdLookup(idx.images.id, idx.images.n);
  for (let i = 0; i < idx.images.n; i++) images.set(idx.images.id[i], i);
  const byImage = new Map<number, number[]>();
  for (let a = 0; a < idx.anns.n; a++) {
    const id = idx.anns.imageId[a];
    let l = byImage.get(id);
    if (!l) byImage.set(id, l = []);
    l.push(a);
  }
  const l: Loaded = { buf, idx, images, byImage };
  loaded.set(k, l);
  while (loaded.size > 2) loaded.delete(loaded.keys().next().value!);
  return l;
}

function splitOf(result: ScanResult, split: string): SplitPlan {
  const sp = result.plan?.splits.find((s) => s.name === split);
  if (!sp) throw new NotFoundError(`split "${split}" is not in this scan`);
  return sp;
}

async function listFolder(files: FilesApi, dir: string, out: string[], depth = 3): Promise<void> {
  for await (const e of files.list(dir)) {
    if (e.isDirectory && depth > 0) await listFolder(files, e.path, out, depth - 1);
    else if (!e.isDirectory && isImageName(e.name)) out.push(e.path);
  }
}

/** Images of a split, optionally only those with class `classId`; paged. */
export async function listSamples(
  files: FilesApi,
  result: ScanResult,
  split: string,
  opts: { classId?: number; problem?: string; offset?: number; limit?: number } = {},
): Promise<{ total: number; items: SampleRef[] }> {
  const sp = splitOf(result, split);
  const offset = opts.offset ?? 0, limit = Math.min(opts.limit ?? 24, 200);
  const all: SampleRef[] = [];
  if (result.format === "coco") {
    const l = await loadCoco(files, sp, result.key);
    const { idx } = l;
    for (let i = 0; i < idx.images.n; i++) {
      const id = idx.images.id[i];
      const anns = l.byImage.get(id) ?? [];
      const classes = [...new Set(anns.map((a) => idx.anns.categoryId[a]))];
      if (opts.classId !== undefined && !classes.includes(opts.classId)) continue;
      all.push({
        image: id,
        file: sp.imagesDir ? `${sp.imagesDir}/${idx.images.fileName[i]}` : null,
        classes,
      });
    }
  } else if (result.format === "imagefolder") {
    const names = result.splits.find((s) => s.name === split)!.stats.classes;
    const perClass: SampleRef[][] = [];
    for (const c of names) {
      if (opts.classId !== undefined && c.id !== opts.classId) continue;
      const list: string[] = [];
      await listFolder(files, `${sp.root}/${c.name}`, list).catch(() => {});
      perClass.push(list.sort().map((p) => ({ image: p, file: p, classes: [c.id] })));
    }
    // Class by class in turn, so the first page shows every class, not 24 of the first one.
    for (let i = 0; perClass.some((l) => i < l.length); i++) {
      for (const l of perClass) if (i < l.length) all.push(l[i]);
    }
  } else if (result.format === "masks") {
    const list: string[] = [];
    await listFolder(files, sp.imagesDir!, list, 0);
    for (const p of list.sort()) all.push({ image: p, file: p, classes: [] });
  } else {
    throw new NotFoundError(`the sample viewer does not show ${result.format} datasets yet`);
  }
  let rows = all;
  if (opts.problem) {
    const hit = new Set<number | string>();
    for (const p of result.problems) {
      if (p.code !== opts.problem || (p.split !== undefined && p.split !== split)) continue;
      if (p.image_id !== undefined) hit.add(p.image_id);
      if (p.file) hit.add(p.file);
    }
    rows = all.filter((r) => hit.has(r.image) || (r.file !== null && hit.has(r.file)));
  }
  const broken = brokenFiles(result);
  const items = rows.slice(offset, offset + limit).map((
    r,
  ) => (r.file && broken.has(r.file) ? { ...r, broken: true } : r));
  return { total: rows.length, items };
}

/** One image with everything drawn on it. */
export async function loadSample(
  files: FilesApi,
  result: ScanResult,
  split: string,
  image: string,
): Promise<Sample> {
  const sp = splitOf(result, split);
  if (result.format === "coco") {
    const l = await loadCoco(files, sp, result.key);
    const id = Number(image);
    const i = l.images.get(id);
    if (i < 0) throw new NotFoundError(`image ${image} is not in ${sp.annotationFile}`);
    const anns = (l.byImage.get(id) ?? []).map((a) => {
      const o = annotationObject(l.buf, l.idx.anns, a);
      const seg = o.segmentation;
      const out: SampleAnnotation = {
        id: typeof o.id === "number" ? o.id : undefined,
        category_id: Number(o.category_id),
        bbox: Array.isArray(o.bbox) ? (o.bbox as number[]) : undefined,
        iscrowd: Number(o.iscrowd ?? 0),
        area: typeof o.area === "number" ? o.area : undefined,
      };
      if (Array.isArray(seg)) out.polygons = (seg as unknown[]).filter(Array.isArray) as number[][];
      else if (seg && typeof seg === "object") {
        const r = seg as { counts?: unknown; size?: unknown };
        const size = Array.isArray(r.size)
          ? (r.size as [number, number])
          : [0, 0] as [number, number];
        const counts = typeof r.counts === "string"
          ? rleFromString(r.counts)
          : Array.isArray(r.counts)
          ? (r.counts as number[])
          : [];
        out.rle = { counts, size };
      }
      return out;
    });
    const file = sp.imagesDir ? `${sp.imagesDir}/${l.idx.images.fileName[i]}` : null;
    return {
      split,
      image: id,
      broken: file !== null && brokenFiles(result).has(file),
      file,
      width: l.idx.images.width[i],
      height: l.idx.images.height[i],
      annotations: anns,
    };
  }
  if (result.format === "imagefolder" || result.format === "masks") {
    const base = result.format === "imagefolder" ? sp.root! : sp.imagesDir!;
    if (!image.startsWith(base + "/")) throw new NotFoundError(`${image} is not in split ${split}`);
    const stats = result.splits.find((s) => s.name === split)!.stats;
    const sample: Sample = { split, image, file: image, width: 0, height: 0, annotations: [] };
    if (result.format === "imagefolder") {
      const cls = image.slice(base.length + 1).split("/")[0];
      sample.label = stats.classes.find((c) => c.name === cls)?.id;
    } else {
      const stem = image.slice(image.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "");
      sample.mask = `${sp.masksDir}/${stem}.png`;
    }
    return sample;
  }
  throw new NotFoundError(`the sample viewer does not show ${result.format} datasets yet`);
}
