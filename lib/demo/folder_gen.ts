/**
 * The folder-shaped demo sets: an ImageFolder for classification (`<split>/<class>/<image>`)
 * and images + class-index masks for semantic segmentation (`<split>/images`, `<split>/masks`,
 * 255 on a one-pixel border around every object, `classes.txt`). Planted mistakes are ones the
 * trainer survives but Data EDA reports.
 */
import { sortedFiles } from "./coco_gen.ts";
import { text } from "./encode_json.ts";
import { encodeJpeg } from "./jpeg.ts";
import { encodePng } from "../image/png.ts";
import { Canvas, placeShapes, SHAPES } from "./raster.ts";
import { hashSeed, Rng } from "./rng.ts";
import type { GeneratedDataset, PlantedProblem } from "./types.ts";

/** Size of the ImageFolder demo set (images per class and split). */
export interface ClassificationOptions {
  id: string;
  seed: number;
  size: number;
  /** Images per class. */
  train: number;
  val: number;
}

/** Generates the ImageFolder classification set: one shape per picture, the class is its kind. */
export function generateClassification(o: ClassificationOptions): GeneratedDataset {
  const root = new Rng(hashSeed(o.seed, o.id));
  const files = new Map<string, Uint8Array>();
  const planted: PlantedProblem[] = [];
  const counts: Record<string, number> = { train: 0, val: 0 };
  const draw = (rng: Rng, kind: typeof SHAPES[number]) => {
    const c = new Canvas(o.size, o.size);
    c.background(rng);
    const [shape] = placeShapes(rng, o.size, o.size, 1, [o.size * 0.18, o.size * 0.38], [kind]);
    c.drawShape(shape, rng);
    c.noise(rng, 6);
    return encodeJpeg(o.size, o.size, c.rgb, 90);
  };
  for (const [split, n] of [["train", o.train], ["val", o.val]] as const) {
    for (const kind of SHAPES) {
      for (let i = 0; i < n; i++) {
        files.set(
          `${split}/${kind}/${kind}_${String(i + 1).padStart(4, "0")}.jpg`,
          draw(root.fork(`${split}/${kind}/${i}`), kind),
        );
        counts[split]++;
      }
    }
  }
  // The same picture in train and val.
  const src = `train/triangle/triangle_0003.jpg`;
  const dst = `val/triangle/triangle_${String(o.val).padStart(4, "0")}.jpg`;
  files.set(dst, files.get(src)!);
  planted.push({
    code: "split_leakage",
    severity: "error",
    split: "val",
    file: dst,
    what: `${dst} is a copy of ${src} (train)`,
  });
  // A picture dropped beside the class folders instead of into one.
  const stray = "train/unsorted_0001.jpg";
  files.set(stray, draw(root.fork("stray"), "circle"));
  counts.train++;
  planted.push({
    code: "image_outside_class",
    severity: "warning",
    split: "train",
    file: stray,
    what: `${stray} sits beside the class folders, so it has no label`,
  });
  // A note someone left in a class folder.
  const note = "train/star/labelling-notes.txt";
  files.set(note, text("stars: check the ones with 4 points again\n"));
  planted.push({
    code: "file_not_image",
    severity: "warning",
    split: "train",
    file: note,
    what: `${note} is not an image`,
  });
  return {
    id: o.id,
    task: "classification",
    title: "Shapes — image classification (ImageFolder)",
    format: "imagefolder",
    classes: [...SHAPES],
    splits: [
      { name: "train", images: counts.train, annotations: o.train * SHAPES.length },
      { name: "val", images: counts.val, annotations: o.val * SHAPES.length },
    ],
    files: sortedFiles(files),
    planted,
    data: { train_data_path: "train", val_data_path: "val" },
  };
}

/** Size and content of the semantic segmentation demo set. */
export interface SemanticOptions {
  id: string;
  seed: number;
  width: number;
  height: number;
  train: number;
  val: number;
  objects: [number, number];
  radius: [number, number];
}

/** The classes of the semantic set: index = mask value. */
export const SEMANTIC_CLASSES = ["background", ...SHAPES];
/** Mask value for pixels no one should be scored on (object borders). */
export const IGNORE = 255;

/** Draws one picture and its class-index mask (255 on object borders). */
function drawSemantic(rng: Rng, o: SemanticOptions): { jpeg: Uint8Array; mask: Uint8Array } {
  const { width: W, height: H } = o;
  const c = new Canvas(W, H);
  c.background(rng);
  const cls = new Uint8Array(W * H);
  const shapes = placeShapes(rng, W, H, rng.int(o.objects[0], o.objects[1]), o.radius);
  for (const s of shapes) {
    const v = SHAPES.indexOf(s.kind) + 1;
    c.drawShape(s, rng, (x, y) => (cls[y * W + x] = v));
  }
  c.noise(rng, 6);
  const mask = cls.slice();
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = cls[y * W + x];
      if (v === 0) continue;
      const edge = (x > 0 && cls[y * W + x - 1] !== v) || (x < W - 1 && cls[y * W + x + 1] !== v) ||
        (y > 0 && cls[(y - 1) * W + x] !== v) || (y < H - 1 && cls[(y + 1) * W + x] !== v);
      if (edge) mask[y * W + x] = IGNORE;
    }
  }
  return {
    jpeg: encodeJpeg(W, H, c.rgb, 88),
    mask: encodePng({ width: W, height: H, channels: 1, data: mask }),
  };
}

/** Generates the semantic segmentation set. */
export function generateSemantic(o: SemanticOptions): GeneratedDataset {
  const root = new Rng(hashSeed(o.seed, o.id));
  const files = new Map<string, Uint8Array>();
  const planted: PlantedProblem[] = [];
  const names = (split: string, i: number) => {
    const stem = `${split}_${String(i + 1).padStart(4, "0")}`;
    return { img: `${split}/images/${stem}.jpg`, mask: `${split}/masks/${stem}.png` };
  };
  for (const [split, n] of [["train", o.train], ["val", o.val]] as const) {
    files.set(`${split}/classes.txt`, text(SEMANTIC_CLASSES.join("\n") + "\n"));
    for (let i = 0; i < n; i++) {
      const { jpeg, mask } = drawSemantic(root.fork(`${split}/${i}`), o);
      const f = names(split, i);
      files.set(f.img, jpeg);
      files.set(f.mask, mask);
    }
  }
  // A train picture (with its mask) reused in val.
  const src = names("train", 4), dst = names("val", o.val - 1);
  files.set(dst.img, files.get(src.img)!);
  files.set(dst.mask, files.get(src.mask)!);
  planted.push({
    code: "split_leakage",
    severity: "error",
    split: "val",
    file: dst.img,
    what: `${dst.img} is a copy of ${src.img} (train)`,
  });
  // A mask whose picture was deleted.
  const orphan = names("train", o.train);
  files.set(orphan.mask, drawSemantic(root.fork("orphan"), o).mask);
  planted.push({
    code: "mask_orphan",
    severity: "warning",
    split: "train",
    file: orphan.mask,
    what: `${orphan.mask} has no picture`,
  });
  // A val picture whose mask was never made.
  const lone = names("val", 2);
  files.delete(lone.mask);
  planted.push({
    code: "mask_missing",
    severity: "error",
    split: "val",
    file: lone.img,
    what: `${lone.img} has no mask, so it is left out of training and scoring`,
  });
  return {
    id: o.id,
    task: "semantic_segmentation",
    title: "Shapes — semantic segmentation (class-index masks)",
    format: "masks",
    classes: SEMANTIC_CLASSES,
    splits: [
      { name: "train", images: o.train, annotations: o.train },
      { name: "val", images: o.val, annotations: o.val - 1 },
    ],
    files: sortedFiles(files),
    planted,
    data: { train_data_path: "train", val_data_path: "val" },
  };
}
