/**
 * The COCO instances demo sets (detection and instance segmentation): shapes on varied
 * backgrounds, each object with a polygon, its extent as the box and its pixel count as the
 * area, in `images/<split>/` + `annotations/instances_<split>.json`. A few annotation mistakes
 * are planted, each one a mistake the trainer survives but Data EDA reports.
 */
import type { Task } from "@/lib/config/tasks.ts";
import { cocoJson } from "./encode_json.ts";
import { encodeJpeg } from "./jpeg.ts";
import { Canvas, placeShapes, polygonBox, SHAPES } from "./raster.ts";
import { hashSeed, Rng } from "./rng.ts";
import type { GeneratedDataset, PlantedProblem } from "./types.ts";

/** Size and content of a COCO instances demo set. */
export interface CocoOptions {
  id: string;
  task: Extract<Task, "detection" | "instance_segmentation">;
  seed: number;
  width: number;
  height: number;
  train: number;
  val: number;
  /** Objects per image, inclusive range. */
  objects: [number, number];
  /** Object radius in pixels, range. */
  radius: [number, number];
}

interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}

interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: number[][];
  area: number;
  bbox: number[];
  iscrowd: 0;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Draws one image; returns its JPEG bytes and annotations (ids filled in by the caller). */
function drawImage(rng: Rng, o: CocoOptions) {
  const c = new Canvas(o.width, o.height);
  c.background(rng);
  const shapes = placeShapes(rng, o.width, o.height, rng.int(o.objects[0], o.objects[1]), o.radius);
  const anns: Omit<CocoAnnotation, "id" | "image_id">[] = [];
  for (const s of shapes) {
    const area = c.drawShape(s, rng);
    if (area < 4) continue;
    anns.push({
      category_id: SHAPES.indexOf(s.kind) + 1,
      segmentation: [s.polygon],
      area,
      bbox: polygonBox(s.polygon),
      iscrowd: 0,
    });
  }
  c.noise(rng, 6);
  return { jpeg: encodeJpeg(o.width, o.height, c.rgb, 88), anns };
}

/** Generates a COCO instances dataset with its planted problems. */
export function generateCoco(o: CocoOptions): GeneratedDataset {
  const root = new Rng(hashSeed(o.seed, o.id));
  const files = new Map<string, Uint8Array>();
  const planted: PlantedProblem[] = [];
  const categories = SHAPES.map((name, i) => ({ id: i + 1, name, supercategory: "shape" }));
  let imageId = 1, annId = 1;
  const splits: Record<string, { images: CocoImage[]; annotations: CocoAnnotation[] }> = {};
  const bytesOf = new Map<number, Uint8Array>();
  for (const [split, n] of [["train", o.train], ["val", o.val]] as const) {
    const images: CocoImage[] = [];
    const annotations: CocoAnnotation[] = [];
    for (let i = 0; i < n; i++) {
      const { jpeg, anns } = drawImage(root.fork(`${split}/${i}`), o);
      const id = imageId++;
      const file_name = `${String(id).padStart(6, "0")}.jpg`;
      images.push({ id, file_name, width: o.width, height: o.height });
      for (const a of anns) annotations.push({ id: annId++, image_id: id, ...a });
      files.set(`images/${split}/${file_name}`, jpeg);
      bytesOf.set(id, jpeg);
    }
    splits[split] = { images, annotations };
  }
  const train = splits.train, val = splits.val;
  const imgFile = (split: string, im: CocoImage) => `images/${split}/${im.file_name}`;

  // The same picture in both splits: the last val image becomes a copy of train image 2.
  {
    const src = train.images[1];
    const dst = val.images[val.images.length - 1];
    files.set(imgFile("val", dst), bytesOf.get(src.id)!);
    val.annotations = val.annotations.filter((a) => a.image_id !== dst.id);
    for (const a of train.annotations.filter((a) => a.image_id === src.id)) {
      val.annotations.push({ ...a, id: annId++, image_id: dst.id });
    }
    planted.push({
      code: "split_leakage",
      severity: "error",
      split: "val",
      file: imgFile("val", dst),
      image_id: dst.id,
      what: `${imgFile("val", dst)} is a copy of ${imgFile("train", src)} (train), so validation ` +
        `scores are inflated`,
    });
  }

  if (o.task === "detection") {
    // A box drawn past the right edge of the picture (the trainer clips it).
    const a = train.annotations.find((a) =>
      a.bbox[0] + a.bbox[2] < o.width - 20 && a.bbox[0] > 20
    )!;
    a.bbox = [a.bbox[0], a.bbox[1], round2(o.width - a.bbox[0] + 9.5), a.bbox[3]];
    planted.push({
      code: "bbox_outside_image",
      severity: "warning",
      split: "train",
      annotation_id: a.id,
      image_id: a.image_id,
      what: `annotation ${a.id}'s box was stretched 9.5 px past the image's right edge`,
    });
    // Two annotations sharing one id.
    const [first, second] = [train.annotations[4], train.annotations[5]];
    second.id = first.id;
    planted.push({
      code: "duplicate_annotation_id",
      severity: "error",
      split: "train",
      annotation_id: first.id,
      image_id: second.image_id,
      what: `two annotations share id ${first.id}`,
    });
    // The JSON gives the size of the original, larger photo.
    const im = train.images.find((im) =>
      im.id > 2 && im.id !== a.image_id && im.id !== second.image_id
    )!;
    im.width = o.width * 2;
    im.height = o.height * 2;
    planted.push({
      code: "image_size_mismatch",
      severity: "error",
      split: "train",
      file: imgFile("train", im),
      image_id: im.id,
      what:
        `the JSON says ${im.file_name} is ${im.width}×${im.height}; the file is ${o.width}×${o.height}`,
    });
  } else {
    // A stray two-point "polygon" beside a good one.
    const a = train.annotations[3];
    a.segmentation = [a.segmentation[0], [a.bbox[0], a.bbox[1], a.bbox[0] + 3, a.bbox[1] + 3]];
    planted.push({
      code: "polygon_too_few_points",
      severity: "error",
      split: "train",
      annotation_id: a.id,
      image_id: a.image_id,
      what: `annotation ${a.id} has an extra polygon with only 2 points`,
    });
    // An area copied from the wrong object (far larger than its box).
    const b = train.annotations[6];
    b.area = Math.round(b.bbox[2] * b.bbox[3] * 3);
    planted.push({
      code: "area_inconsistent",
      severity: "warning",
      split: "train",
      annotation_id: b.id,
      image_id: b.image_id,
      what: `annotation ${b.id}'s area is 3× its box`,
    });
    // A box with zero width (the trainer skips the object).
    const z = train.annotations[9];
    z.bbox = [z.bbox[0], z.bbox[1], 0, z.bbox[3]];
    planted.push({
      code: "bbox_nonpositive",
      severity: "error",
      split: "train",
      annotation_id: z.id,
      image_id: z.image_id,
      what: `annotation ${z.id}'s box has zero width`,
    });
  }

  for (const [split, s] of Object.entries(splits)) {
    files.set(
      `annotations/instances_${split}.json`,
      cocoJson({
        info: {
          description: `Lakevision demo: shapes (${o.task.replace("_", " ")}), ${split} split`,
          version: "1.0",
          year: 2026,
        },
        licenses: [{ id: 1, name: "CC0 1.0 (generated)", url: "" }],
        images: s.images,
        annotations: s.annotations.sort((a, b) => a.image_id - b.image_id || a.id - b.id),
        categories,
      }),
    );
  }
  return {
    id: o.id,
    task: o.task,
    title: o.task === "detection"
      ? "Shapes — object detection (COCO boxes)"
      : "Shapes — instance segmentation (COCO polygons)",
    format: "coco",
    classes: [...SHAPES],
    splits: Object.entries(splits).map(([name, s]) => ({
      name,
      images: s.images.length,
      annotations: s.annotations.length,
    })),
    files: sortedFiles(files),
    planted,
    data: {
      train_data_path: "images/train",
      val_data_path: "images/val",
      train_annotation_file: "annotations/instances_train.json",
      val_annotation_file: "annotations/instances_val.json",
    },
  };
}

/** The same map with keys in sorted order (stable write order and manifest). */
export function sortedFiles(files: Map<string, Uint8Array>): Map<string, Uint8Array> {
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
