import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { loadDir, MemoryFiles } from "./testing.ts";
import { decodePng, encodePng } from "../image/png.ts";
import { parseImageHeader } from "./image_header.ts";
import { parseCoco } from "./coco_parse.ts";
import { startScan } from "./scan.ts";
import { KvScanCache, MemoryScanCache } from "./cache.ts";
import { problemsToCsv } from "./problems.ts";
import { main } from "./cli.ts";

const FIXTURE = new URL(
  "../../tests/fixtures/coco/instances_val2014_100.json",
  import.meta.url,
);
const LABELME = "/usr/share/doc/labelme-examples/examples";

function rgbPng(w: number, h: number, seed: number): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  for (let i = 0; i < d.length; i++) d[i] = (i * 5 + seed * 17) & 255;
  return encodePng({ width: w, height: h, channels: 3, data: d });
}
const codes = (r: { problems: { code: string }[] }) => r.problems.map((p) => p.code).sort();

Deno.test("[eda] byte parser reads the COCO fixture exactly as JSON.parse does", async () => {
  const bytes = await Deno.readFile(FIXTURE);
  const ref = JSON.parse(new TextDecoder().decode(bytes));
  const idx = await parseCoco(bytes, "fixture");
  strictEqual(idx.images.n, ref.images.length);
  strictEqual(idx.anns.n, ref.annotations.length);
  ref.annotations.forEach(
    (
      a: { id: number; image_id: number; bbox: number[]; area: number; iscrowd: number },
      i: number,
    ) => {
      deepStrictEqual(
        [
          idx.anns.id[i],
          idx.anns.imageId[i],
          idx.anns.bx[i],
          idx.anns.by[i],
          idx.anns.bw[i],
          idx.anns.bh[i],
          idx.anns.area[i],
          idx.anns.iscrowd[i],
        ],
        [a.id, a.image_id, ...a.bbox, a.area, a.iscrowd],
      );
    },
  );
  deepStrictEqual(idx.images.fileName, ref.images.map((im: { file_name: string }) => im.file_name));
  deepStrictEqual(
    idx.categories.map((c) => c.name),
    ref.categories.map((c: { name: string }) => c.name),
  );
});

Deno.test("[eda] COCO val2014 subset without its images: every one of the 100 missing files is reported", async () => {
  const f = new MemoryFiles({
    "/Volumes/t/s/coco/annotations/instances_val2014.json": await Deno.readFile(FIXTURE),
  });
  await f.mkdirs("/Volumes/t/s/coco/val2014");
  const r = await startScan({
    path: "/Volumes/t/s/coco/annotations/instances_val2014.json",
    images: "/Volumes/t/s/coco/val2014",
  }, f).done;
  const ref = JSON.parse(await Deno.readTextFile(FIXTURE));
  const missing = r.problems.filter((p) => p.code === "image_missing");
  strictEqual(missing.length, 100);
  deepStrictEqual(
    missing.map((p) => p.file).sort(),
    ref.images.map((im: { file_name: string }) => `/Volumes/t/s/coco/val2014/${im.file_name}`)
      .sort(),
  );
  ok(missing.every((p) => p.severity === "error" && typeof p.image_id === "number"));
  const st = r.splits[0].stats;
  strictEqual(st.annotations, 839);
  strictEqual(
    st.classes.find((c) => c.id === 1)!.count,
    ref.annotations.filter((a: { category_id: number }) => a.category_id === 1).length,
  );
  strictEqual(st.boxSizes.small + st.boxSizes.medium + st.boxSizes.large, 839 - st.crowd);
  strictEqual(st.heatmap.cells.reduce((a, b) => a + b, 0), 839);
});

Deno.test("[eda] without --images the scan says file checks were skipped", async () => {
  const f = new MemoryFiles({ "/Volumes/t/s/c/x.json": await Deno.readFile(FIXTURE) });
  const r = await startScan({ path: "/Volumes/t/s/c/x.json" }, f).done;
  strictEqual(r.fileChecks, false);
  ok(r.notes.some((n) => n.includes("not checked")));
  ok(!codes(r).includes("image_missing"));
});

Deno.test("[eda] image headers: PNG, JPEG, GIF, BMP, WebP dimensions without decoding", () => {
  deepStrictEqual(parseImageHeader(rgbPng(7, 5, 1))?.valueOf(), {
    kind: "png",
    width: 7,
    height: 5,
    bitDepth: 8,
    colorType: 2,
  });
  const gif = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 10, 0, 20, 0, 0]);
  deepStrictEqual(parseImageHeader(gif), { kind: "gif", width: 10, height: 20 });
  const bmp = new Uint8Array(30);
  bmp.set([0x42, 0x4d]);
  new DataView(bmp.buffer).setUint32(14, 40, true);
  new DataView(bmp.buffer).setInt32(18, 33, true);
  new DataView(bmp.buffer).setInt32(22, -44, true);
  deepStrictEqual(parseImageHeader(bmp), { kind: "bmp", width: 33, height: 44 });
  const webp = new Uint8Array(30);
  webp.set([
    ...new TextEncoder().encode("RIFF"),
    0,
    0,
    0,
    0,
    ...new TextEncoder().encode("WEBPVP8X"),
  ]);
  webp.set([99, 0, 0, 49, 0, 0], 24);
  deepStrictEqual(parseImageHeader(webp), { kind: "webp", width: 100, height: 50 });
  // baseline JPEG: SOI, APP0, SOF0 (h=120, w=160)
  const jpg = new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xe0,
    0,
    4,
    0,
    0,
    0xff,
    0xc0,
    0,
    11,
    8,
    0,
    120,
    0,
    160,
    3,
    1,
    1,
    1,
  ]);
  strictEqual(parseImageHeader(jpg.subarray(0, 12)), "need-more");
  deepStrictEqual(parseImageHeader(jpg), {
    kind: "jpeg",
    width: 160,
    height: 120,
    orientation: undefined,
  });
  strictEqual(parseImageHeader(new TextEncoder().encode("hello world")), null);
});

Deno.test("[eda] PNG round trip keeps gray samples exactly", () => {
  const d = Uint8Array.from({ length: 12 * 9 }, (_, i) => (i * 37) & 255);
  const out = decodePng(encodePng({ width: 12, height: 9, channels: 1, data: d }));
  strictEqual(out.channels, 1);
  deepStrictEqual(Array.from(out.data), Array.from(d));
});

function maskDataset(plant?: (f: MemoryFiles) => void): MemoryFiles {
  const f = new MemoryFiles();
  const root = "/Volumes/t/s/seg";
  f.put(`${root}/labels.txt`, "background\nroad\ncar\n");
  for (let i = 0; i < 3; i++) {
    f.put(`${root}/images/a${i}.png`, rgbPng(8, 6, i));
    const m = new Uint8Array(48).map((_, p) => (p < 16 ? 0 : p < 40 ? 1 : i === 2 ? 255 : 2));
    f.put(`${root}/masks/a${i}.png`, encodePng({ width: 8, height: 6, channels: 1, data: m }));
  }
  plant?.(f);
  return f;
}

Deno.test("[eda] masks: clean folders report nothing and give pixel shares", async () => {
  const r = await startScan({ path: "/Volumes/t/s/seg" }, maskDataset()).done;
  strictEqual(r.format, "masks");
  deepStrictEqual(r.problems, []);
  const cls = r.splits[0].stats.classes;
  deepStrictEqual(cls.map((c) => c.name), ["background", "road", "car"]);
  strictEqual(cls[1].pixelShare!.toFixed(4), (72 / 136).toFixed(4)); // 255 pixels are ignored
});

const MASK_RULES: [string, (f: MemoryFiles) => void][] = [
  [
    "mask_unknown_class",
    (f) =>
      f.put(
        "/Volumes/t/s/seg/masks/a1.png",
        encodePng({ width: 8, height: 6, channels: 1, data: new Uint8Array(48).fill(7) }),
      ),
  ],
  ["mask_missing", (f) => f.delete("/Volumes/t/s/seg/masks/a0.png")],
  [
    "mask_orphan",
    (f) =>
      f.put(
        "/Volumes/t/s/seg/masks/zz.png",
        encodePng({ width: 8, height: 6, channels: 1, data: new Uint8Array(48) }),
      ),
  ],
  [
    "mask_size_mismatch",
    (f) =>
      f.put(
        "/Volumes/t/s/seg/masks/a2.png",
        encodePng({ width: 4, height: 6, channels: 1, data: new Uint8Array(24) }),
      ),
  ],
  ["mask_not_single_channel", (f) => f.put("/Volumes/t/s/seg/masks/a2.png", rgbPng(8, 6, 3))],
  ["class_empty", (f) => f.put("/Volumes/t/s/seg/labels.txt", "background\nroad\ncar\ntruck\n")],
];
for (const [code, plant] of MASK_RULES) {
  Deno.test(`[eda] masks rule ${code} finds a planted defect`, async () => {
    const r = await startScan({ path: "/Volumes/t/s/seg" }, maskDataset(plant)).done;
    ok(codes(r).includes(code), JSON.stringify(codes(r)));
    ok(r.problems.find((p) => p.code === code)!.message.length > 10);
  });
}

function panopticDataset(
  plant?: (doc: Record<string, unknown>, f: MemoryFiles) => void,
): MemoryFiles {
  const f = new MemoryFiles();
  const root = "/Volumes/t/s/pan/annotations";
  const ids = new Uint8Array(4 * 4 * 3);
  for (let p = 0; p < 16; p++) ids.set(p < 8 ? [1, 0, 0] : [2, 1, 0], p * 3); // ids 1 and 258
  const doc: Record<string, unknown> = {
    images: [{ id: 1, file_name: "a.jpg", width: 4, height: 4 }],
    annotations: [{
      image_id: 1,
      file_name: "a.png",
      segments_info: [{ id: 1, category_id: 1, area: 8, bbox: [0, 0, 4, 2] }, {
        id: 258,
        category_id: 2,
        area: 8,
        bbox: [0, 2, 4, 2],
      }],
    }],
    categories: [{ id: 1, name: "person", isthing: 1 }, { id: 2, name: "sky", isthing: 0 }],
  };
  f.put(`${root}/panoptic_val.json`, "");
  f.put(`${root}/panoptic_val/a.png`, encodePng({ width: 4, height: 4, channels: 3, data: ids }));
  plant?.(doc, f);
  f.put(`${root}/panoptic_val.json`, JSON.stringify(doc));
  return f;
}

Deno.test("[eda] panoptic: id = R + 256·G decoded, clean set reports nothing", async () => {
  const r = await startScan({ path: "/Volumes/t/s/pan" }, panopticDataset()).done;
  strictEqual(r.format, "coco-panoptic");
  deepStrictEqual(r.problems.filter((p) => p.code !== "class_empty"), []);
  deepStrictEqual(r.splits[0].stats.classes.map((c) => c.pixelShare), [0.5, 0.5]);
});

const PAN_RULES: [string, (doc: Record<string, unknown>, f: MemoryFiles) => void][] = [
  ["panoptic_png_missing", (_d, f) => f.delete("/Volumes/t/s/pan/annotations/panoptic_val/a.png")],
  [
    "panoptic_unknown_segment",
    (d) => ((d.annotations as { segments_info: unknown[] }[])[0].segments_info.pop()),
  ],
  [
    "panoptic_segment_missing",
    (
      d,
    ) => ((d.annotations as { segments_info: unknown[] }[])[0].segments_info.push({
      id: 77,
      category_id: 1,
    })),
  ],
  [
    "annotation_unknown_category",
    (
      d,
    ) => ((d.annotations as { segments_info: { category_id: number }[] }[])[0].segments_info[0]
      .category_id = 9),
  ],
];
for (const [code, plant] of PAN_RULES) {
  Deno.test(`[eda] panoptic rule ${code} finds a planted defect`, async () => {
    const r = await startScan({ path: "/Volumes/t/s/pan" }, panopticDataset(plant)).done;
    ok(codes(r).includes(code), JSON.stringify(codes(r)));
  });
}

function folderDataset(plant?: (f: MemoryFiles) => void): MemoryFiles {
  const f = new MemoryFiles();
  for (const [i, c] of ["cat", "dog"].entries()) {
    for (let k = 0; k < 2; k++) {
      f.put(`/Volumes/t/s/cls/train/${c}/${c}${k}.png`, rgbPng(5, 5, i * 10 + k));
    }
    f.put(`/Volumes/t/s/cls/val/${c}/v${c}.png`, rgbPng(5, 5, 100 + i));
  }
  plant?.(f);
  return f;
}

Deno.test("[eda] ImageFolder: clean train/val folders report nothing", async () => {
  const r = await startScan({ path: "/Volumes/t/s/cls" }, folderDataset()).done;
  strictEqual(r.format, "imagefolder");
  deepStrictEqual(r.problems, []);
  deepStrictEqual(r.splits.map((s) => [s.name, s.stats.images]), [["train", 4], ["val", 2]]);
});

const FOLDER_RULES: [string, (f: MemoryFiles) => void][] = [
  ["class_empty", (f) => f.mkdirs("/Volumes/t/s/cls/train/bird")],
  ["image_unreadable", (f) => f.put("/Volumes/t/s/cls/train/cat/broken.jpg", "xx")],
  ["file_not_image", (f) => f.put("/Volumes/t/s/cls/train/cat/notes.txt", "hi")],
  [
    "split_leakage",
    (f) =>
      f.put(
        "/Volumes/t/s/cls/val/dog/copy.png",
        f.files.get("/Volumes/t/s/cls/train/dog/dog0.png")!,
      ),
  ],
  [
    "near_duplicate_file_name",
    (f) => f.put("/Volumes/t/s/cls/train/cat/cat0 (1).png", rgbPng(5, 5, 55)),
  ],
];
for (const [code, plant] of FOLDER_RULES) {
  Deno.test(`[eda] ImageFolder rule ${code} finds a planted defect`, async () => {
    const r = await startScan({ path: "/Volumes/t/s/cls" }, folderDataset(plant)).done;
    ok(codes(r).includes(code), JSON.stringify(codes(r)));
  });
}

Deno.test("[eda] scans are cached by content and redone when a file changes", async () => {
  const f = folderDataset();
  const cache = new MemoryScanCache();
  const a = await startScan({ path: "/Volumes/t/s/cls" }, f, { cache }).done;
  const b = await startScan({ path: "/Volumes/t/s/cls" }, f, { cache }).done;
  strictEqual(b.key, a.key);
  ok(b.notes.some((n) => n.startsWith("cached")));
  f.put("/Volumes/t/s/cls/train/cat/new.png", rgbPng(5, 5, 77));
  const c = await startScan({ path: "/Volumes/t/s/cls" }, f, { cache }).done;
  ok(c.key !== a.key);
  strictEqual(c.splits[0].stats.images, 5);
});

Deno.test("[eda] KV cache stores large results in chunks and reads them back", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const cache = new KvScanCache(kv);
    const f = new MemoryFiles({ "/Volumes/t/s/c/x.json": await Deno.readFile(FIXTURE) });
    const r = await startScan({ path: "/Volumes/t/s/c/x.json" }, f, { cache }).done;
    const back = await cache.get(r.key);
    deepStrictEqual(back, JSON.parse(JSON.stringify(r)));
  } finally {
    kv.close();
  }
});

Deno.test("[eda] a scan is cancelled by its AbortSignal and reports progress", async () => {
  const f = new MemoryFiles({ "/Volumes/t/s/c/x.json": await Deno.readFile(FIXTURE) });
  const ac = new AbortController();
  const seen: string[] = [];
  const job = startScan({ path: "/Volumes/t/s/c/x.json" }, f, {
    signal: ac.signal,
    onProgress: (p) => seen.push(p.phase),
  });
  ac.abort();
  let err: unknown;
  await job.done.catch((e) => (err = e));
  ok(err, "expected the scan to reject");
  const done = await startScan({ path: "/Volumes/t/s/c/x.json" }, f, {
    onProgress: (p) => seen.push(p.phase),
  }).done;
  ok(done.splits.length === 1 && seen.includes("done"));
});

Deno.test("[eda] problems export as CSV with quoting", () => {
  const csv = problemsToCsv([{ code: "x", severity: "warning", message: 'a "b", c' }, {
    code: "y",
    severity: "error",
    message: "m",
    image_id: 3,
  }]);
  const lines = csv.trim().split("\r\n");
  strictEqual(
    lines[0],
    "severity,code,split,file,image_id,annotation_id,category_id,where,message",
  );
  strictEqual(lines[1], "error,y,,,3,,,,m");
  strictEqual(lines[2], 'warning,x,,,,,,,"a ""b"", c"');
});

const haveLabelme = await Deno.stat(LABELME).then(() => true, () => false);
if (!haveLabelme) {
  console.log(`[eda] labelme-examples not installed (${LABELME}); skipping real-photo tests`);
}

Deno.test({
  name: "[eda] labelme-examples COCO export: real photos, sizes match, category id 0 warned",
  ignore: !haveLabelme,
  fn: async () => {
    const f = new MemoryFiles();
    await loadDir(f, `${LABELME}/instance_segmentation/data_dataset_coco`, "/Volumes/t/s/lm");
    const r = await startScan({ path: "/Volumes/t/s/lm" }, f).done;
    strictEqual(r.format, "coco");
    strictEqual(r.fileChecks, true);
    strictEqual(r.splits[0].stats.images, 3);
    strictEqual(r.splits[0].stats.annotations, 12);
    deepStrictEqual(r.problems.filter((p) => p.severity === "error"), []);
    ok(codes(r).includes("category_id_zero"));
    strictEqual(r.splits[0].stats.classes.find((c) => c.name === "person")!.count, 6);
  },
});

Deno.test({
  name: "[eda] labelme-examples VOC masks: palette PNG class ids against class_names.txt",
  ignore: !haveLabelme,
  fn: async () => {
    const f = new MemoryFiles();
    await loadDir(f, `${LABELME}/semantic_segmentation/data_dataset_voc`, "/Volumes/t/s/voc");
    const r = await startScan({ path: "/Volumes/t/s/voc" }, f).done;
    strictEqual(r.format, "masks");
    deepStrictEqual(r.problems.filter((p) => p.severity === "error"), []);
    const share = r.splits[0].stats.classes.reduce((a, c) => a + (c.pixelShare ?? 0), 0);
    ok(Math.abs(share - 1) < 1e-9);
    // a mask with an id outside the 21 VOC classes is caught
    f.put(
      "/Volumes/t/s/voc/SegmentationClassPNG/2011_000003.png",
      encodePng({ width: 500, height: 338, channels: 1, data: new Uint8Array(500 * 338).fill(42) }),
    );
    const bad = await startScan({ path: "/Volumes/t/s/voc" }, f).done;
    ok(codes(bad).includes("mask_unknown_class"));
  },
});

Deno.test({
  name: "[eda] labelme-examples class folders (from its cat/dog flags) read as ImageFolder",
  ignore: !haveLabelme,
  fn: async () => {
    const f = new MemoryFiles();
    const dir = `${LABELME}/classification/data_annotated`;
    for (const n of ["0001", "0002"]) {
      const flags = JSON.parse(await Deno.readTextFile(`${dir}/${n}.json`)).flags as Record<
        string,
        boolean
      >;
      const cls = Object.keys(flags).find((k) => flags[k] && !k.startsWith("__"))!;
      f.put(`/Volumes/t/s/pets/${cls}/${n}.jpg`, await Deno.readFile(`${dir}/${n}.jpg`));
    }
    const r = await startScan({ path: "/Volumes/t/s/pets" }, f).done;
    strictEqual(r.format, "imagefolder");
    deepStrictEqual(r.problems, []);
    strictEqual(r.splits[0].stats.images, 2);
    ok(r.splits[0].stats.meanWidth > 100);
  },
});

Deno.test("[eda] CLI --json prints the documented shape and exits 0 with problems, 1 when unreadable", async () => {
  const log = console.log;
  let out = "";
  console.log = (s: string) => (out += s);
  const err = console.error;
  console.error = () => {};
  try {
    const code = await main([
      "scan",
      new URL(FIXTURE).pathname,
      "--images",
      "/nonexistent-dir",
      "--json",
      "--quiet",
    ]);
    strictEqual(code, 0);
    const j = JSON.parse(out);
    strictEqual(j.format, "coco");
    strictEqual(j.images, 100);
    strictEqual(j.annotations, 839);
    strictEqual(j.problems.filter((p: { code: string }) => p.code === "image_missing").length, 100);
    ok(j.classes.every((c: object) => "id" in c && "name" in c && "count" in c));
    strictEqual(await main(["scan", "/nonexistent/x.json", "--quiet"]), 1);
  } finally {
    console.log = log;
    console.error = err;
  }
});

/** A JPEG prefix: SOI, APP1 Exif with Orientation = `o`, SOF0 of w×h (no scan data needed). */
function exifJpeg(w: number, h: number, o: number): Uint8Array {
  const tiff = [
    0x4d,
    0x4d,
    0,
    0x2a,
    0,
    0,
    0,
    8,
    0,
    1,
    0x01,
    0x12,
    0,
    3,
    0,
    0,
    0,
    1,
    0,
    o,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ];
  const app1 = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const len = app1.length + 2;
  return new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xe1,
    len >> 8,
    len & 255,
    ...app1,
    0xff,
    0xc0,
    0,
    11,
    8,
    h >> 8,
    h & 255,
    w >> 8,
    w & 255,
    3,
    1,
    0x11,
    0,
  ]);
}

Deno.test("[eda] EXIF orientation: rotated JPEGs are warned about, upright ones are not", async () => {
  deepStrictEqual(parseImageHeader(exifJpeg(64, 48, 6)), {
    kind: "jpeg",
    width: 64,
    height: 48,
    orientation: 6,
  });
  const doc = {
    images: [{ id: 1, file_name: "r.jpg", width: 64, height: 48 }, {
      id: 2,
      file_name: "u.jpg",
      width: 64,
      height: 48,
    }],
    annotations: [1, 2].map((id) => ({
      id,
      image_id: id,
      category_id: 1,
      bbox: [1, 1, 5, 5],
      area: 25,
      iscrowd: 0,
    })),
    categories: [{ id: 1, name: "a" }],
  };
  const f = new MemoryFiles({
    "/Volumes/t/s/e/a.json": JSON.stringify(doc),
    "/Volumes/t/s/e/img/r.jpg": exifJpeg(64, 48, 6),
    "/Volumes/t/s/e/img/u.jpg": exifJpeg(64, 48, 1),
  });
  const r = await startScan({ path: "/Volumes/t/s/e/a.json", images: "/Volumes/t/s/e/img" }, f)
    .done;
  deepStrictEqual(r.problems.map((p) => [p.code, p.image_id]), [["image_exif_rotated", 1]]);
});

Deno.test("[eda] compressed RLE strings decode to the runs pycocotools gives", async () => {
  const { rleFromString } = await import("./samples.ts");
  // the first three runs are stored as is
  deepStrictEqual(rleFromString("125"), [1, 2, 5]);
  // real pycocotools strings: every decoded mask covers exactly height × width pixels
  const res = JSON.parse(
    await Deno.readTextFile(
      new URL(
        "../../tests/fixtures/coco/instances_val2014_fakesegm100_results.json",
        import.meta.url,
      ),
    ),
  ) as { segmentation: { size: [number, number]; counts: string } }[];
  for (const r of res) {
    const runs = rleFromString(r.segmentation.counts);
    strictEqual(runs.reduce((a, b) => a + b, 0), r.segmentation.size[0] * r.segmentation.size[1]);
    ok(runs.every((n) => n >= 0));
  }
  // deltas against the count two back, and negative deltas ("0:" style strings)
  const { rleCountsToString: enc } = await import("../image/coco_rle.ts");
  const runs = [5, 3, 40, 2, 1000, 7, 12, 90000, 3];
  deepStrictEqual(rleFromString(enc(runs)), runs);
});

Deno.test("[eda] a large scan hands the event loop back while it parses", async () => {
  const { synthCoco } = await import("./testing.ts");
  const f = new MemoryFiles({
    "/Volumes/t/s/big/a.json": synthCoco({ images: 5000, annotations: 60_000 }),
  });
  let readWhenTimerFired = -1;
  let scheduled = false;
  const job = startScan({ path: "/Volumes/t/s/big/a.json" }, f, {
    onProgress: (p) => {
      if (p.phase === "parsing" && !scheduled) {
        scheduled = true;
        setTimeout(() => (readWhenTimerFired = job.progress.annotationsRead), 0);
      }
    },
  });
  const r = await job.done;
  strictEqual(r.splits[0].stats.annotations, 60_000);
  deepStrictEqual(r.problems, []);
  ok(
    readWhenTimerFired >= 0 && readWhenTimerFired < 60_000,
    `timer fired after ${readWhenTimerFired} annotations`,
  );
});

Deno.test("[eda] thumbnails: JPEG and PNG photos shrink to the requested size; unknown formats give null", async () => {
  const { thumbnail } = await import("./thumbs.ts");
  const jpeg = (await import("jpeg-js")).default;
  const rgba = new Uint8Array(640 * 480 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 13) & 255));
  const f = new MemoryFiles({
    "/Volumes/t/s/th/a.jpg": new Uint8Array(
      jpeg.encode({ data: rgba, width: 640, height: 480 }, 90).data,
    ),
    "/Volumes/t/s/th/b.png": rgbPng(300, 600, 3),
    "/Volumes/t/s/th/c.gif": new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 10, 0, 20, 0, 0]),
  });
  const a = await thumbnail(f, "/Volumes/t/s/th/a.jpg", 192);
  deepStrictEqual(parseImageHeader(a!), {
    kind: "jpeg",
    width: 192,
    height: 144,
    orientation: undefined,
  });
  const b = await thumbnail(f, "/Volumes/t/s/th/b.png", 100);
  deepStrictEqual(parseImageHeader(b!), {
    kind: "jpeg",
    width: 50,
    height: 100,
    orientation: undefined,
  });
  strictEqual(await thumbnail(f, "/Volumes/t/s/th/c.gif", 100), null);
  strictEqual(await thumbnail(f, "/Volumes/t/s/th/none.jpg", 100), null);
});
