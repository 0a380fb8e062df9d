import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { MemoryFiles } from "./testing.ts";
import { rleCountsToString as rleToString } from "../image/coco_rle.ts";
import { encodePng } from "../image/png.ts";
import { startScan } from "./scan.ts";
import type { ScanResult } from "./types.ts";

/** A small PNG whose content depends on `seed` (so files differ unless planted as copies). */
function png(w: number, h: number, seed: number): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  for (let i = 0; i < d.length; i++) d[i] = (i * 7 + seed * 31) & 255;
  return encodePng({ width: w, height: h, channels: 3, data: d });
}

// deno-lint-ignore no-explicit-any
type Doc = any;

/** A valid COCO split: 3 images 64×48, 2 classes, boxes and polygons inside, areas consistent. */
function cleanDoc(firstImage = 1): Doc {
  const images = [0, 1, 2].map((i) => ({
    id: firstImage + i,
    file_name: `img_${firstImage + i}.png`,
    width: 64,
    height: 48,
  }));
  const annotations = images.flatMap((im, i) => [
    {
      id: 10 * im.id + 1,
      image_id: im.id,
      category_id: 1,
      bbox: [4, 4, 20, 10],
      area: 150,
      iscrowd: 0,
      segmentation: [[4, 4, 24, 4, 24, 14, 4, 14]],
    },
    {
      id: 10 * im.id + 2,
      image_id: im.id,
      category_id: 2,
      bbox: [30, 20, 10 + i, 10],
      area: 80,
      iscrowd: 0,
      segmentation: [[30, 20, 40, 20, 35, 30]],
    },
  ]);
  return { images, annotations, categories: [{ id: 1, name: "cat" }, { id: 2, name: "dog" }] };
}

function filesFor(doc: Doc, opts: { skip?: string[]; dir?: string } = {}): MemoryFiles {
  const dir = opts.dir ?? "/Volumes/t/s/ds";
  const f = new MemoryFiles();
  f.put(`${dir}/train.json`, JSON.stringify(doc));
  for (const im of doc.images ?? []) {
    if (opts.skip?.includes(im.file_name)) continue;
    f.put(`${dir}/images/${im.file_name}`, png(64, 48, im.id));
  }
  f.mkdirs(`${dir}/images`);
  return f;
}

async function scan(doc: Doc, mutateFiles?: (f: MemoryFiles) => void): Promise<ScanResult> {
  const f = filesFor(doc);
  mutateFiles?.(f);
  return await startScan(
    { path: "/Volumes/t/s/ds/train.json", images: "/Volumes/t/s/ds/images" },
    f,
  ).done;
}

const codes = (r: ScanResult) => r.problems.map((p) => p.code);

Deno.test("[eda] a clean COCO split reports no problem at all", async () => {
  const r = await scan(cleanDoc());
  deepStrictEqual(r.problems, []);
  strictEqual(r.fileChecks, true);
  strictEqual(r.splits[0].stats.images, 3);
  strictEqual(r.splits[0].stats.annotations, 6);
});

interface Rule {
  code: string;
  severity: "error" | "warning";
  plant: (d: Doc) => void;
  files?: (f: MemoryFiles) => void;
  /** Fields the located problem must carry. */
  at?: Record<string, unknown>;
}

const RULES: Rule[] = [
  {
    code: "image_missing",
    severity: "error",
    plant: () => {},
    files: (f) => f.delete("/Volumes/t/s/ds/images/img_2.png"),
    at: { image_id: 2, file: "/Volumes/t/s/ds/images/img_2.png" },
  },
  {
    code: "image_unreadable",
    severity: "error",
    plant: () => {},
    files: (f) => f.put("/Volumes/t/s/ds/images/img_3.png", "not an image"),
    at: { image_id: 3 },
  },
  {
    code: "image_size_mismatch",
    severity: "error",
    plant: (d) => (d.images[0].width = 65),
    at: { image_id: 1 },
  },
  {
    code: "image_size_invalid",
    severity: "error",
    plant: (d) => (d.images[1].height = 0),
    at: { image_id: 2 },
  },
  {
    code: "duplicate_image_id",
    severity: "error",
    plant: (d) => d.images.push({ id: 1, file_name: "other.png", width: 64, height: 48 }),
    files: (f) => f.put("/Volumes/t/s/ds/images/other.png", png(64, 48, 99)),
    at: { image_id: 1, file: "other.png" },
  },
  {
    code: "duplicate_annotation_id",
    severity: "error",
    plant: (d) => (d.annotations[3].id = d.annotations[0].id),
    at: { annotation_id: 11, where: "annotations[3]" },
  },
  {
    code: "annotation_unknown_image",
    severity: "error",
    plant: (d) => (d.annotations[1].image_id = 999),
    at: { annotation_id: 12, image_id: 999 },
  },
  {
    code: "annotation_unknown_image",
    severity: "error",
    plant: (d) => (d.annotations[1].image_id = "1"),
    at: { annotation_id: 12, where: "annotations[1]" },
  },
  {
    code: "bbox_invalid",
    severity: "error",
    plant: (d) => (d.annotations[0].bbox = ["4", 4, 20, 10]),
    at: { annotation_id: 11 },
  },
  {
    code: "annotation_unknown_category",
    severity: "error",
    plant: (d) => (d.annotations[2].category_id = 7),
    at: { annotation_id: 21, category_id: 7 },
  },
  {
    code: "category_id_zero",
    severity: "warning",
    plant: (d) => d.categories.push({ id: 0, name: "background" }),
    at: { category_id: 0 },
  },
  {
    code: "category_ids_noncontiguous",
    severity: "warning",
    plant: (d) => d.categories.push({ id: 5, name: "bird" }),
  },
  {
    code: "duplicate_category_id",
    severity: "error",
    plant: (d) => d.categories.push({ id: 2, name: "wolf" }),
    at: { category_id: 2 },
  },
  {
    code: "class_empty",
    severity: "warning",
    plant: (d) => d.categories.push({ id: 3, name: "bird" }),
    at: { category_id: 3 },
  },
  {
    code: "bbox_nonpositive",
    severity: "error",
    plant: (d) => (d.annotations[0].bbox = [4, 4, 0, 10]),
    at: { annotation_id: 11, where: "annotations[0].bbox" },
  },
  {
    code: "bbox_outside_image",
    severity: "error",
    plant: (d) => (d.annotations[0].bbox = [70, 4, 5, 5]),
    at: { annotation_id: 11 },
  },
  {
    code: "bbox_outside_image",
    severity: "warning",
    plant: (d) => (d.annotations[0].bbox = [50, 4, 20, 10]),
    at: { annotation_id: 11 },
  },
  {
    code: "bbox_invalid",
    severity: "error",
    plant: (d) => (d.annotations[4].bbox = [1, 2, 3]),
    at: { annotation_id: 31 },
  },
  {
    code: "bbox_missing",
    severity: "error",
    plant: (d) => delete d.annotations[5].bbox,
    at: { annotation_id: 32 },
  },
  {
    code: "polygon_too_few_points",
    severity: "error",
    plant: (d) => (d.annotations[1].segmentation = [[30, 20, 40, 20]]),
    at: { annotation_id: 12 },
  },
  {
    code: "polygon_outside_image",
    severity: "warning",
    plant: (d) => (d.annotations[1].segmentation = [[30, 20, 90, 20, 35, 30]]),
    at: { annotation_id: 12 },
  },
  {
    code: "polygon_outside_image",
    severity: "error",
    plant: (d) => (d.annotations[1].segmentation = [[70, 60, 90, 60, 80, 70]]),
    at: { annotation_id: 12 },
  },
  {
    code: "segmentation_invalid",
    severity: "error",
    plant: (d) => (d.annotations[1].segmentation = [30, 20, 40, 20, 35, 30]),
    at: { annotation_id: 12 },
  },
  {
    code: "rle_invalid",
    severity: "error",
    plant: (d) => (d.annotations[0].segmentation = { counts: [10, 20], size: [48, 64] }),
    at: { annotation_id: 11 },
  },
  {
    code: "rle_size_mismatch",
    severity: "error",
    plant: (d) => (d.annotations[0].segmentation = { counts: [100, 200], size: [10, 30] }),
    at: { annotation_id: 11 },
  },
  {
    code: "area_inconsistent",
    severity: "warning",
    plant: (d) => (d.annotations[0].area = 5000),
    at: { annotation_id: 11, where: "annotations[0].area" },
  },
  {
    code: "near_duplicate_file_name",
    severity: "warning",
    plant: (d) => d.images.push({ id: 4, file_name: "IMG_1.PNG", width: 64, height: 48 }),
    files: (f) => f.put("/Volumes/t/s/ds/images/IMG_1.PNG", png(64, 48, 4)),
  },
  {
    code: "duplicate_file_name",
    severity: "warning",
    plant: (d) => d.images.push({ id: 4, file_name: "img_1.png", width: 64, height: 48 }),
    at: { image_id: 4 },
  },
  {
    code: "file_name_path",
    severity: "warning",
    plant: (d) => (d.images[2].file_name = "/data/upload/img_3.png"),
    at: { image_id: 3 },
  },
  { code: "no_annotations", severity: "error", plant: (d) => (d.annotations = []) },
  { code: "json_missing_key", severity: "error", plant: (d) => delete d.categories },
  { code: "annotation_invalid", severity: "error", plant: (d) => delete d.annotations[2].id },
  { code: "image_invalid", severity: "error", plant: (d) => delete d.images[2].file_name },
  {
    code: "duplicate_image_file",
    severity: "warning",
    plant: () => {},
    files: (f) =>
      f.put("/Volumes/t/s/ds/images/img_3.png", f.files.get("/Volumes/t/s/ds/images/img_1.png")!),
  },
];

for (const rule of RULES) {
  Deno.test(`[eda] rule ${rule.code} (${rule.severity}) finds a planted defect and locates it`, async () => {
    const doc = cleanDoc();
    rule.plant(doc);
    const r = await scan(doc, rule.files);
    const hits = r.problems.filter((p) => p.code === rule.code && p.severity === rule.severity);
    ok(hits.length >= 1, `expected ${rule.code}/${rule.severity}, got ${JSON.stringify(codes(r))}`);
    ok(hits[0].message.length > 10);
    strictEqual(hits[0].split, "train");
    for (const [k, v] of Object.entries(rule.at ?? {})) {
      deepStrictEqual((hits[0] as unknown as Record<string, unknown>)[k], v, `${rule.code}.${k}`);
    }
  });
}

Deno.test("[eda] split_leakage: the same image file in train and val is an error; distinct files are not", async () => {
  const f = new MemoryFiles();
  const root = "/Volumes/t/s/two";
  const train = cleanDoc(1), val = cleanDoc(4);
  f.put(`${root}/annotations/instances_train.json`, JSON.stringify(train));
  f.put(`${root}/annotations/instances_val.json`, JSON.stringify(val));
  for (const im of train.images) f.put(`${root}/train/${im.file_name}`, png(64, 48, im.id));
  for (const im of val.images) f.put(`${root}/val/${im.file_name}`, png(64, 48, im.id));
  const clean = await startScan({ path: root }, f).done;
  deepStrictEqual(clean.problems, []);
  deepStrictEqual(clean.splits.map((s) => s.name), ["train", "val"]);
  f.put(`${root}/val/img_5.png`, f.files.get(`${root}/train/img_2.png`)!);
  const r = await startScan({ path: root }, f).done;
  const leak = r.problems.filter((p) => p.code === "split_leakage");
  strictEqual(leak.length, 1);
  strictEqual(leak[0].severity, "error");
  strictEqual(leak[0].file, `${root}/val/img_5.png`);
  ok(leak[0].message.includes(`${root}/train/img_2.png`));
});

Deno.test("[eda] malformed JSON fails the scan with line and column", async () => {
  const f = new MemoryFiles({
    "/Volumes/t/s/bad/x.json": '{"images": [\n  {"id": 1,, "file_name": "a.png"}]}',
  });
  let msg = "";
  try {
    await startScan({ path: "/Volumes/t/s/bad/x.json", format: "coco" }, f).done;
  } catch (e) {
    msg = String(e);
  }
  ok(msg.includes("line 2, column 12"), msg);
});

Deno.test("[eda] valid crowd RLE masks (compressed and uncompressed) are not flagged", async () => {
  const doc = cleanDoc();
  doc.annotations[0].segmentation = {
    counts: rleToString([100, 50, 64 * 48 - 150]),
    size: [48, 64],
  };
  doc.annotations[0].iscrowd = 1;
  doc.annotations[1].segmentation = { counts: [10, 20, 64 * 48 - 30], size: [48, 64] };
  const r = await scan(doc);
  deepStrictEqual(r.problems, []);
  strictEqual(r.splits[0].stats.crowd, 1);
});
