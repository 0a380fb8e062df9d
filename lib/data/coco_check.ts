/**
 * Validation of a parsed COCO instances file: every rule that makes a trainer fail or silently
 * drop data (the Label Studio / CVAT export bugs users report) yields one located problem per
 * offending record. Also reduces the index to the flat columns the statistics need.
 */
import {
  A_BAD_BBOX,
  A_BAD_CATEGORY_ID,
  A_BAD_IMAGE_ID,
  A_NO_BBOX,
  A_NO_ID,
  A_NOT_OBJECT,
  A_RLE_BAD,
  A_SEG_BAD,
  A_SEG_FLAT,
  type CocoIndex,
  I_BAD_SIZE,
  I_NO_FILE,
  I_NO_ID,
} from "./coco_parse.ts";
import { F_MISSING, F_UNREADABLE, type FileInfo } from "./files_check.ts";
import { checkGeometry } from "./coco_geometry.ts";
import { duplicateIds, IdLookup } from "./ids.ts";
import { nearDuplicateNames, type ProblemSink } from "./problems.ts";
import { computeStats } from "./stats.ts";
import type { SplitStats } from "./types.ts";

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/** Runs every COCO rule and computes the split's statistics. `files[i]` describes image i. */
export async function checkCoco(
  idx: CocoIndex,
  sink: ProblemSink,
  files?: FileInfo[],
  signal?: AbortSignal,
): Promise<SplitStats> {
  // a million annotations take a second or two: hand the event loop back every ~25 ms
  let last = performance.now();
  const pause = async () => {
    if (performance.now() - last < 25) return;
    await new Promise((r) => setTimeout(r, 0));
    signal?.throwIfAborted();
    last = performance.now();
  };
  const { images: im, anns: a, categories } = idx;
  const src = idx.source;

  // ---- structure
  for (const s of idx.structural) {
    sink.add("json_structure", "error", `${src}: ${s}`, { file: src });
  }
  if (!idx.keys.images) {
    sink.add("json_missing_key", "error", `${src} has no "images" list`, {
      file: src,
      where: "images",
    });
  }
  if (!idx.keys.categories) {
    sink.add("json_missing_key", "error", `${src} has no "categories" list`, {
      file: src,
      where: "categories",
    });
  }
  if (!idx.keys.annotations || a.n === 0) {
    sink.add(
      "no_annotations",
      "error",
      idx.keys.annotations
        ? `${src} has an empty "annotations" list: nothing to train on`
        : `${src} has no "annotations" list (a broken export?)`,
      { file: src, where: "annotations" },
    );
  }

  // ---- categories
  const catIndex = new Map<number, number>();
  const catNames = new Map<string, number>();
  categories.forEach((c, i) => {
    const where = `categories[${c.index}]`;
    if (catIndex.has(c.id)) {
      sink.add(
        "duplicate_category_id",
        "error",
        `category id ${c.id} ("${c.name}") is defined twice`,
        {
          category_id: c.id,
          where,
          file: src,
        },
      );
    } else catIndex.set(c.id, i);
    if (catNames.has(c.name)) {
      sink.add(
        "duplicate_category_name",
        "warning",
        `category name "${c.name}" is used by ids ${catNames.get(c.name)} and ${c.id}`,
        {
          category_id: c.id,
          where,
          file: src,
        },
      );
    } else catNames.set(c.name, c.id);
    if (c.id === 0) {
      sink.add(
        "category_id_zero",
        "warning",
        `category "${c.name}" has id 0; many trainers reserve 0 for background, so this class may be ignored`,
        { category_id: 0, where, file: src },
      );
    }
  });
  const ids = [...catIndex.keys()].sort((x, y) => x - y);
  const catLookup = new IdLookup(ids, ids.length);
  for (const id of ids) catLookup.set(id, catIndex.get(id)!);
  if (ids.length > 1) {
    const gaps: number[] = [];
    for (let i = 1; i < ids.length && gaps.length < 20; i++) {
      for (let g = ids[i - 1] + 1; g < ids[i] && gaps.length < 20; g++) gaps.push(g);
    }
    if (gaps.length) {
      sink.add(
        "category_ids_noncontiguous",
        "warning",
        `category ids run from ${ids[0]} to ${ids[ids.length - 1]} with gaps (missing ${
          gaps.join(", ")
        }${gaps.length === 20 ? ", …" : ""}); code that uses ids as class indices will misalign`,
        { file: src, where: "categories" },
      );
    }
  }

  // ---- images
  const imgIndex = new IdLookup(im.id, im.n);
  const dupImg = duplicateIds(im.id, im.n);
  const names = new Map<string, number>();
  for (let i = 0; i < im.n; i++) {
    if ((i & 4095) === 4095) await pause();
    const id = im.id[i];
    const file = im.fileName[i] || undefined;
    const where = `images[${i}]`;
    const f = im.flags[i];
    if (f & I_NO_ID) {
      sink.add(
        "image_invalid",
        "error",
        `images[${i}] has no numeric "id"; its annotations cannot be matched`,
        { where, file },
      );
    } else if (dupImg.has(id)) {
      if (imgIndex.has(id)) {
        sink.add(
          "duplicate_image_id",
          "error",
          `image id ${id} is used again by ${file ?? where} (first: ${
            im.fileName[imgIndex.get(id)!]
          })`,
          {
            image_id: id,
            file,
            where,
          },
        );
      } else imgIndex.set(id, i);
    } else imgIndex.set(id, i);
    if (f & I_NO_FILE) {
      sink.add("image_invalid", "error", `image ${fmt(id)} has no "file_name"`, {
        image_id: id,
        where,
      });
    } else {
      const prev = names.get(file!);
      if (prev !== undefined) {
        sink.add(
          "duplicate_file_name",
          "warning",
          `${file} is listed twice (image ids ${im.id[prev]} and ${id})`,
          {
            image_id: id,
            file,
            where,
          },
        );
      } else names.set(file!, i);
      if (
        /^[a-z][a-z0-9+.-]*:\/\//i.test(file!) || file!.startsWith("/") || file!.includes("\\") ||
        file!.split("/").includes("..")
      ) {
        sink.add(
          "file_name_path",
          "warning",
          `file_name "${file}" is an absolute path, URL or escapes the images folder; it will not resolve under the images directory`,
          {
            image_id: id,
            file,
            where,
          },
        );
      }
    }
    if (f & I_BAD_SIZE) {
      sink.add(
        "image_size_invalid",
        "error",
        `image ${fmt(id)} has width ${im.width[i]} and height ${
          im.height[i]
        }; both must be positive numbers (boxes are normalised by them)`,
        {
          image_id: id,
          file,
          where,
        },
      );
    }
  }
  for (const group of nearDuplicateNames([...names.keys()])) {
    for (const n of group.slice(1)) {
      sink.add(
        "near_duplicate_file_name",
        "warning",
        `${n} and ${
          group[0]
        } differ only by case, extension or a copy marker; probably the same image twice`,
        {
          image_id: im.id[names.get(n)!],
          file: n,
        },
      );
    }
  }

  // ---- image files
  if (files) {
    for (let i = 0; i < im.n; i++) {
      if ((i & 4095) === 4095) await pause();
      const fi = files[i];
      if (!fi) continue;
      const loc = { image_id: im.id[i], file: fi.path, where: `images[${i}]` };
      if (fi.status === F_MISSING) {
        sink.add(
          "image_missing",
          "error",
          `${fi.path} does not exist (image ${fmt(im.id[i])}); the trainer will fail or skip it`,
          loc,
        );
      } else if (fi.status === F_UNREADABLE) {
        sink.add(
          "image_unreadable",
          "error",
          `${fi.path} cannot be read as an image: ${fi.error}`,
          loc,
        );
      } else if (fi.header && im.width[i] > 0 && im.height[i] > 0) {
        const jw = im.width[i], jh = im.height[i];
        const rw = fi.header.width, rh = fi.header.height;
        if (jw === fi.width && jh === fi.height) continue;
        if (jw === rw && jh === rh) {
          sink.add(
            "image_exif_rotated",
            "warning",
            `${fi.path} is stored ${rw}×${rh} but its EXIF orientation ${fi.header.orientation} shows it ${fi.width}×${fi.height}; loaders that apply EXIF rotation misplace the boxes`,
            loc,
          );
        } else {
          sink.add(
            "image_size_mismatch",
            "error",
            `${fi.path} is ${fi.width}×${fi.height} but the JSON says ${jw}×${jh}; boxes will be scaled wrongly`,
            loc,
          );
        }
      }
    }
  }

  // ---- annotations
  const dupAnn = duplicateIds(a.id, a.n);
  const firstAnn = new Map<number, number>();
  const annImg = new Int32Array(a.n);
  const annCat = new Int32Array(a.n);
  const catCount = new Float64Array(categories.length);
  for (let i = 0; i < a.n; i++) {
    if ((i & 4095) === 4095) await pause();
    const f = a.flags[i];
    const id = a.id[i];
    const where = `annotations[${i}]`;
    const imgId = a.imageId[i];
    const catId = a.categoryId[i];
    const ii = imgIndex.get(imgId);
    const ci = catLookup.get(catId);
    annImg[i] = ii;
    annCat[i] = ci;
    if (ci >= 0) catCount[ci]++;
    if (f === 0 && ii >= 0 && ci >= 0 && !dupAnn.has(id)) {
      // fast path: geometry only
      checkGeometry(idx, i, ii, sink, files);
      continue;
    }
    const loc = {
      annotation_id: Number.isFinite(id) ? id : undefined,
      image_id: Number.isFinite(imgId) ? imgId : undefined,
      category_id: Number.isFinite(catId) ? catId : undefined,
      file: ii >= 0 ? (files?.[ii]?.path ?? im.fileName[ii]) : undefined,
      where,
    };
    if (f & A_NOT_OBJECT) {
      sink.add("annotation_invalid", "error", `${where} is not an object`, loc);
      continue;
    }
    if (f & A_NO_ID) sink.add("annotation_invalid", "error", `${where} has no numeric "id"`, loc);
    else if (dupAnn.has(id)) {
      if (firstAnn.has(id)) {
        sink.add(
          "duplicate_annotation_id",
          "error",
          `annotation id ${id} is used again at ${where} (first at annotations[${
            firstAnn.get(id)
          }])`,
          loc,
        );
      } else firstAnn.set(id, i);
    }
    if (ii < 0) {
      sink.add(
        "annotation_unknown_image",
        "error",
        f & A_BAD_IMAGE_ID
          ? `${where} has no numeric "image_id"; it is dropped`
          : `${where} points to image ${imgId}, which is not in "images"; it is dropped`,
        loc,
      );
    }
    if (ci < 0) {
      sink.add(
        "annotation_unknown_category",
        "error",
        f & A_BAD_CATEGORY_ID
          ? `${where} has no numeric "category_id"`
          : `${where} has category_id ${catId}, which is not in "categories"`,
        loc,
      );
    }
    if (f & A_NO_BBOX) {
      sink.add("bbox_missing", "error", `${where} has no "bbox"; detection trainers need one`, loc);
    }
    if (f & A_BAD_BBOX) {
      sink.add(
        "bbox_invalid",
        "error",
        `${where}.bbox must be 4 numbers [x, y, width, height], got [${
          [a.bx[i], a.by[i], a.bw[i], a.bh[i]].join(", ")
        }]`,
        {
          ...loc,
          where: `${where}.bbox`,
        },
      );
    }
    if (f & A_SEG_FLAT) {
      sink.add(
        "segmentation_invalid",
        "error",
        `${where}.segmentation is a flat list of numbers; COCO expects a list of polygons [[x1, y1, x2, y2, ...]]`,
        {
          ...loc,
          where: `${where}.segmentation`,
        },
      );
    } else if (f & A_SEG_BAD) {
      sink.add(
        "segmentation_invalid",
        "error",
        `${where}.segmentation is malformed (non-numeric values, an odd number of coordinates, or neither polygons nor RLE)`,
        {
          ...loc,
          where: `${where}.segmentation`,
        },
      );
    }
    if (f & A_RLE_BAD) {
      sink.add(
        "rle_invalid",
        "error",
        `${where}.segmentation RLE is invalid: size must be [height, width] and uncompressed counts must sum to height×width`,
        {
          ...loc,
          where: `${where}.segmentation`,
        },
      );
    }
    if (ii >= 0) checkGeometry(idx, i, ii, sink, files);
  }

  // ---- empty classes
  categories.forEach((c, i) => {
    if (catCount[i] === 0) {
      sink.add(
        "class_empty",
        "warning",
        `class "${c.name}" (id ${c.id}) has no annotations in this split`,
        {
          category_id: c.id,
          file: src,
        },
      );
    }
  });

  await pause();
  const w = files
    ? Float64Array.from(
      im.width.subarray(0, im.n),
      (v, i) => (files[i]?.width > 0 ? files[i].width : v),
    )
    : im.width.subarray(0, im.n);
  const h = files
    ? Float64Array.from(
      im.height.subarray(0, im.n),
      (v, i) => (files[i]?.height > 0 ? files[i].height : v),
    )
    : im.height.subarray(0, im.n);
  return computeStats({
    imgW: w,
    imgH: h,
    imgLabel: (i) => im.id[i],
    categories,
    annImg,
    annCat,
    bx: a.bx.subarray(0, a.n),
    by: a.by.subarray(0, a.n),
    bw: a.bw.subarray(0, a.n),
    bh: a.bh.subarray(0, a.n),
    area: a.area.subarray(0, a.n),
    crowd: a.iscrowd.subarray(0, a.n),
  });
}

/** Relative image paths → full paths under `imagesDir`. */
export function imagePaths(idx: CocoIndex, imagesDir: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < idx.images.n; i++) {
    const f = idx.images.fileName[i];
    out.push(f ? `${imagesDir.replace(/\/+$/, "")}/${f.replace(/^\/+/, "")}` : "");
  }
  return out;
}

export { duplicateIds, IdLookup };
