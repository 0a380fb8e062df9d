/**
 * The COCO panoptic demo set: shapes (things) over sky and ground (stuff) separated by a wavy
 * horizon. Each image has an RGB id PNG (id = R + 256·G + 65536·B) in
 * `annotations/panoptic_<split>/` and its `segments_info` in `annotations/panoptic_<split>.json`;
 * pictures are in `images/<split>/`.
 */
import { cocoJson } from "./encode_json.ts";
import { sortedFiles } from "./coco_gen.ts";
import { encodeJpeg } from "./jpeg.ts";
import { encodePng } from "../image/png.ts";
import { Canvas, placeShapes, SHAPES } from "./raster.ts";
import { hashSeed, Rng } from "./rng.ts";
import type { GeneratedDataset, PlantedProblem } from "./types.ts";

/** Size and content of the panoptic demo set. */
export interface PanopticOptions {
  id: string;
  seed: number;
  width: number;
  height: number;
  train: number;
  val: number;
  objects: [number, number];
  radius: [number, number];
}

/** Display colours of the categories, in category order. */
const COLORS = [
  [220, 20, 60],
  [0, 82, 255],
  [0, 160, 60],
  [250, 200, 0],
  [135, 206, 235],
  [120, 90, 50],
];

/** Things first (ids 1–4), then stuff. */
export const PANOPTIC_CATEGORIES = [
  ...SHAPES.map((name, i) => ({ id: i + 1, name, supercategory: "shape", isthing: 1 })),
  { id: 5, name: "sky", supercategory: "background", isthing: 0 },
  { id: 6, name: "ground", supercategory: "background", isthing: 0 },
].map((c, i) => ({ ...c, color: COLORS[i] }));

interface Segment {
  id: number;
  category_id: number;
  area: number;
  bbox: number[];
  iscrowd: 0;
}

function drawPanoptic(rng: Rng, o: PanopticOptions) {
  const { width: W, height: H } = o;
  const c = new Canvas(W, H);
  const ids = new Uint32Array(W * H);
  const used = new Set<number>([0]);
  const newId = () => {
    let id = 0;
    while (used.has(id)) id = rng.int(1, 0xffffff);
    used.add(id);
    return id;
  };
  const base = rng.range(0.4, 0.62) * H, amp = rng.range(3, 12), freq = rng.range(0.02, 0.07);
  const phase = rng.range(0, Math.PI * 2);
  const horizon = (x: number) => base + amp * Math.sin(x * freq + phase);
  const sky = newId(), ground = newId();
  const skyTop: [number, number, number] = [
    rng.range(60, 110),
    rng.range(120, 170),
    rng.range(200, 245),
  ];
  const skyBot: [number, number, number] = [
    rng.range(170, 220),
    rng.range(200, 230),
    rng.range(225, 250),
  ];
  const gTop: [number, number, number] = [
    rng.range(90, 140),
    rng.range(120, 170),
    rng.range(50, 90),
  ];
  const gBot: [number, number, number] = [
    rng.range(70, 110),
    rng.range(60, 100),
    rng.range(30, 60),
  ];
  c.fillWhere((x, y) => y + 0.5 < horizon(x + 0.5), skyTop, skyBot);
  c.fillWhere((x, y) => y + 0.5 >= horizon(x + 0.5), gTop, gBot);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) ids[y * W + x] = y + 0.5 < horizon(x + 0.5) ? sky : ground;
  }
  const cats = new Map<number, number>([[sky, 5], [ground, 6]]);
  for (const s of placeShapes(rng, W, H, rng.int(o.objects[0], o.objects[1]), o.radius)) {
    const id = newId();
    cats.set(id, SHAPES.indexOf(s.kind) + 1);
    c.drawShape(s, rng, (x, y) => (ids[y * W + x] = id));
  }
  c.noise(rng, 5);
  // Segments from the id map itself, so areas and boxes are exact.
  const stats = new Map<number, { area: number; x0: number; y0: number; x1: number; y1: number }>();
  const png = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const id = ids[y * W + x];
      png[(y * W + x) * 3] = id & 255;
      png[(y * W + x) * 3 + 1] = (id >> 8) & 255;
      png[(y * W + x) * 3 + 2] = (id >> 16) & 255;
      const s = stats.get(id);
      if (!s) stats.set(id, { area: 1, x0: x, y0: y, x1: x, y1: y });
      else {
        s.area++;
        s.x0 = Math.min(s.x0, x);
        s.x1 = Math.max(s.x1, x);
        s.y0 = Math.min(s.y0, y);
        s.y1 = Math.max(s.y1, y);
      }
    }
  }
  const segments: Segment[] = [];
  for (const [id, s] of stats) {
    segments.push({
      id,
      category_id: cats.get(id)!,
      area: s.area,
      bbox: [s.x0, s.y0, s.x1 - s.x0 + 1, s.y1 - s.y0 + 1],
      iscrowd: 0,
    });
  }
  return {
    jpeg: encodeJpeg(W, H, c.rgb, 88),
    png: encodePng({ width: W, height: H, channels: 3, data: png }),
    segments,
  };
}

/** Generates the panoptic set with its planted problems. */
export function generatePanoptic(o: PanopticOptions): GeneratedDataset {
  const root = new Rng(hashSeed(o.seed, o.id));
  const files = new Map<string, Uint8Array>();
  const planted: PlantedProblem[] = [];
  let imageId = 1;
  const docs: Record<
    string,
    {
      images: unknown[];
      annotations: { image_id: number; file_name: string; segments_info: Segment[] }[];
    }
  > = {};
  for (const [split, n] of [["train", o.train], ["val", o.val]] as const) {
    const images = [], annotations = [];
    for (let i = 0; i < n; i++) {
      const { jpeg, png, segments } = drawPanoptic(root.fork(`${split}/${i}`), o);
      const id = imageId++;
      const stem = String(id).padStart(6, "0");
      images.push({ id, file_name: `${stem}.jpg`, width: o.width, height: o.height });
      annotations.push({ image_id: id, file_name: `${stem}.png`, segments_info: segments });
      files.set(`images/${split}/${stem}.jpg`, jpeg);
      files.set(`annotations/panoptic_${split}/${stem}.png`, png);
    }
    docs[split] = { images, annotations };
  }
  // A picture that was never copied over.
  {
    const a = docs.train.annotations[2];
    const f = `images/train/${String(a.image_id).padStart(6, "0")}.jpg`;
    files.delete(f);
    planted.push({
      code: "image_missing",
      severity: "error",
      split: "train",
      file: f,
      image_id: a.image_id,
      what: `${f} is listed in the JSON but the file is missing`,
    });
  }
  // A val id PNG that is missing.
  {
    const a = docs.val.annotations[1];
    const f = `annotations/panoptic_val/${a.file_name}`;
    files.delete(f);
    planted.push({
      code: "panoptic_png_missing",
      severity: "error",
      split: "val",
      file: f,
      image_id: a.image_id,
      what: `${f} (the segment ids of image ${a.image_id}) is missing`,
    });
  }
  // A thing painted in the PNG but left out of segments_info.
  {
    const a = docs.train.annotations[5];
    const k = a.segments_info.findIndex((s) => s.category_id <= SHAPES.length);
    const [gone] = a.segments_info.splice(k, 1);
    planted.push({
      code: "panoptic_unknown_segment",
      severity: "error",
      split: "train",
      file: `annotations/panoptic_train/${a.file_name}`,
      image_id: a.image_id,
      what: `segment ${gone.id} is painted in ${a.file_name} but missing from segments_info`,
    });
  }
  for (const [split, d] of Object.entries(docs)) {
    files.set(
      `annotations/panoptic_${split}.json`,
      cocoJson({
        info: {
          description: `Lakevision demo: shapes (panoptic), ${split} split`,
          version: "1.0",
          year: 2026,
        },
        licenses: [{ id: 1, name: "CC0 1.0 (generated)", url: "" }],
        images: d.images,
        annotations: d.annotations,
        categories: PANOPTIC_CATEGORIES,
      }),
    );
  }
  return {
    id: o.id,
    task: "panoptic_segmentation",
    title: "Shapes over sky and ground — panoptic segmentation (COCO panoptic)",
    format: "coco-panoptic",
    classes: PANOPTIC_CATEGORIES.map((c) => c.name),
    splits: Object.entries(docs).map(([name, d]) => ({
      name,
      images: d.images.length,
      annotations: d.annotations.reduce((n, a) => n + a.segments_info.length, 0),
    })),
    files: sortedFiles(files),
    planted,
    data: {
      train_data_path: "images/train",
      val_data_path: "images/val",
      train_annotation_file: "annotations/panoptic_train.json",
      val_annotation_file: "annotations/panoptic_val.json",
    },
  };
}
