/**
 * COCO ground truth and result files: the shapes we read and their validation. Validation is a
 * hand-written single pass (result files reach millions of entries) that reports the first
 * problem with its JSON path, e.g. `results.json: [812].bbox: expected 4 numbers`.
 */
import { MetricsInputError } from "./input_error.ts";
import { type Rle, rleArea, rleToBbox, segmentationToRle } from "./mask_rle.ts";

/** An image entry; width/height are needed to rasterise polygons for segm. */
export interface CocoImage {
  id: number;
  width: number;
  height: number;
  file_name?: string;
}

/** A ground-truth annotation (only the fields evaluation reads). */
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: number[];
  area: number;
  iscrowd: number;
  segmentation?: unknown;
}

/** A category; `id` is what results refer to. */
export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
}

/** A ground-truth file after validation. */
export interface CocoGt {
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** One detection from a results file after validation, with the fields loadRes adds. */
export interface CocoDetection {
  /** 1-based position in the results file, as pycocotools assigns. */
  id: number;
  image_id: number;
  category_id: number;
  score: number;
  bbox?: number[];
  segmentation?: unknown;
  /** The decoded mask, kept when parsing had to decode it (mask-only results). */
  mask?: Rle;
  /** Whether the results file gave a mask (not just the box polygon loadRes makes up). */
  hasMask?: boolean;
  /** Box area (bbox results) or mask area (segmentation-only results), as loadRes sets it. */
  area?: number;
}

/** What is being evaluated: boxes or masks. */
export type IouType = "bbox" | "segm";

function isNum(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function isBox(v: unknown): v is number[] {
  return Array.isArray(v) && v.length === 4 && v.every(isNum);
}

function fail(source: string, where: string, problem: string): never {
  throw new MetricsInputError(source, where, problem);
}

/** Validates a parsed COCO ground-truth object; `source` names the file in errors. */
export function parseCocoGt(json: unknown, source: string): CocoGt {
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    fail(source, "", "expected a COCO object with images, annotations and categories");
  }
  const o = json as Record<string, unknown>;
  for (const key of ["images", "annotations", "categories"]) {
    if (!Array.isArray(o[key])) fail(source, key, "missing or not a list");
  }
  const images = o.images as unknown[];
  const imageIds = new Set<number>();
  for (let i = 0; i < images.length; i++) {
    const im = images[i] as Record<string, unknown>;
    if (!im || typeof im !== "object") fail(source, `images[${i}]`, "not an object");
    if (!isNum(im.id)) fail(source, `images[${i}].id`, "missing or not a number");
    if (imageIds.has(im.id)) fail(source, `images[${i}].id`, `duplicate image id ${im.id}`);
    imageIds.add(im.id);
    if (im.width !== undefined && !isNum(im.width)) {
      fail(source, `images[${i}].width`, "not a number");
    }
    if (im.height !== undefined && !isNum(im.height)) {
      fail(source, `images[${i}].height`, "not a number");
    }
  }
  const cats = o.categories as unknown[];
  for (let i = 0; i < cats.length; i++) {
    const c = cats[i] as Record<string, unknown>;
    if (!c || typeof c !== "object" || !isNum(c.id)) {
      fail(source, `categories[${i}].id`, "missing or not a number");
    }
  }
  const anns = o.annotations as unknown[];
  for (let i = 0; i < anns.length; i++) {
    const a = anns[i] as Record<string, unknown>;
    const at = `annotations[${i}]`;
    if (!a || typeof a !== "object") fail(source, at, "not an object");
    if (!isNum(a.id)) fail(source, `${at}.id`, "missing or not a number");
    if (!isNum(a.image_id)) fail(source, `${at}.image_id`, "missing or not a number");
    if (!isNum(a.category_id)) fail(source, `${at}.category_id`, "missing or not a number");
    if (a.bbox !== undefined && !isBox(a.bbox)) {
      fail(source, `${at}.bbox`, "expected [x, y, width, height] numbers");
    }
    if (a.area !== undefined && !isNum(a.area)) fail(source, `${at}.area`, "not a number");
    if (
      a.iscrowd !== undefined && a.iscrowd !== 0 && a.iscrowd !== 1 && a.iscrowd !== true &&
      a.iscrowd !== false
    ) {
      fail(source, `${at}.iscrowd`, "expected 0 or 1");
    }
    if (a.area === undefined) {
      // pycocotools needs `area`; derive it from the box so hand-made files still evaluate
      const b = a.bbox as number[] | undefined;
      a.area = b ? b[2] * b[3] : 0;
    }
    a.iscrowd = a.iscrowd ? 1 : 0;
  }
  return json as CocoGt;
}

/**
 * Validates a results list against its ground truth like pycocotools' loadRes: every image id
 * must exist in the ground truth; the first entry decides whether boxes or masks define the
 * detection area (box results get area = w*h and a box polygon as segmentation).
 */
export function parseCocoResults(json: unknown, gt: CocoGt, source: string): CocoDetection[] {
  let list = json;
  if (list && typeof list === "object" && !Array.isArray(list)) {
    const o = list as Record<string, unknown>;
    list = o.annotations ?? o.predictions ?? o.results;
  }
  if (!Array.isArray(list)) {
    fail(source, "", "expected a list of detections (COCO results format)");
  }
  const images = new Map(gt.images.map((im) => [im.id, im]));
  const imageIds = new Set(images.keys());
  const out: CocoDetection[] = new Array(list.length);
  // pycocotools' loadRes: a non-empty `bbox` on the first entry makes these box results
  const first = list[0] as Record<string, unknown> | undefined;
  const boxMode = first?.bbox !== undefined &&
    !(Array.isArray(first.bbox) && first.bbox.length === 0);
  for (let i = 0; i < list.length; i++) {
    const r = list[i] as Record<string, unknown>;
    const at = `[${i}]`;
    if (!r || typeof r !== "object") fail(source, at, "not an object");
    if (!isNum(r.image_id)) fail(source, `${at}.image_id`, "missing or not a number");
    if (!imageIds.has(r.image_id)) {
      fail(source, `${at}.image_id`, `image ${r.image_id} is not in the ground truth`);
    }
    if (!isNum(r.category_id)) fail(source, `${at}.category_id`, "missing or not a number");
    if (!isNum(r.score)) fail(source, `${at}.score`, "missing or not a number");
    const det: CocoDetection = {
      id: i + 1,
      image_id: r.image_id,
      category_id: r.category_id,
      score: r.score,
      hasMask: r.segmentation !== undefined,
    };
    if (boxMode) {
      if (!isBox(r.bbox)) fail(source, `${at}.bbox`, "expected [x, y, width, height] numbers");
      const b = r.bbox;
      det.bbox = b;
      det.area = b[2] * b[3];
      det.segmentation = r.segmentation ??
        [[b[0], b[1], b[0], b[1] + b[3], b[0] + b[2], b[1] + b[3], b[0] + b[2], b[1]]];
    } else {
      if (r.segmentation === undefined) {
        fail(source, `${at}`, "needs a bbox or a segmentation");
      }
      if (r.bbox !== undefined && !isBox(r.bbox)) {
        fail(source, `${at}.bbox`, "expected [x, y, width, height] numbers");
      }
      // loadRes: the area is the mask's, the box (when absent) the mask's tight box
      const im = images.get(r.image_id)!;
      if (Array.isArray(r.segmentation) && !(im.height > 0 && im.width > 0)) {
        fail(source, `${at}.segmentation`, `polygons need image ${im.id}'s width and height`);
      }
      let rle: Rle;
      try {
        rle = segmentationToRle(r.segmentation, im.height, im.width);
      } catch (e) {
        fail(source, `${at}.segmentation`, (e as Error).message);
      }
      det.bbox = (r.bbox as number[] | undefined) ?? rleToBbox(rle);
      det.area = rleArea(rle);
      det.mask = rle;
      det.segmentation = r.segmentation;
    }
    out[i] = det;
  }
  return out;
}
