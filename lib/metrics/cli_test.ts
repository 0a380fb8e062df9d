import { assert, assertClose, assertEquals } from "@/tests/assert.ts";
import { encodePng } from "../image/png.ts";
import { main } from "./cli.ts";

const FIX = new URL("../../tests/fixtures/coco/", import.meta.url).pathname;
const GT = FIX + "instances_val2014_100.json";
const BBOX = FIX + "instances_val2014_fakebbox100_results.json";
const expected = JSON.parse(Deno.readTextFileSync(FIX + "expected.json"));

async function run(...args: string[]) {
  const log: string[] = [], err: string[] = [];
  const code = await main(args, { log: (s) => log.push(s), err: (s) => err.push(s) });
  return { code, out: log.join("\n"), err: err.join("\n") };
}

async function tmp(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "lv_metrics_" });
  for (const [name, body] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof body === "string") await Deno.writeTextFile(path, body);
    else await Deno.writeFile(path, body);
  }
  return dir;
}

Deno.test("[metrics cli] eval coco --json prints exactly stats, per_category_ap, seconds", async () => {
  const r = await run("eval", "coco", "--gt", GT, "--dt", BBOX, "--iou", "bbox", "--json");
  assertEquals(r.code, 0);
  const j = JSON.parse(r.out);
  assertEquals(Object.keys(j), ["stats", "per_category_ap", "seconds"]);
  j.stats.forEach((v: number, i: number) =>
    assertClose(v, expected.bbox.stats[i], 1e-6, `stat ${i}`)
  );
  assertEquals(Object.keys(j.per_category_ap).length, 80);
  assertClose(j.per_category_ap["1"], expected.bbox.ap_per_category.person, 1e-6, "person");
  assert(j.seconds > 0);
});

Deno.test("[metrics cli] eval coco prints pycocotools' summary lines", async () => {
  const r = await run("coco", "--gt", GT, "--dt", BBOX, "--iou", "bbox");
  assertEquals(r.code, 0);
  assert(
    r.out.includes(
      " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.697",
    ),
  );
  assert(
    r.out.includes(
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.640",
    ),
  );
});

Deno.test("[metrics cli] malformed inputs exit 1 naming the file and the problem", async () => {
  const dir = await tmp({
    "bad.json": "{ not json",
    "unknown_img.json": JSON.stringify([{
      image_id: 999999,
      category_id: 1,
      bbox: [0, 0, 1, 1],
      score: 1,
    }]),
    "bad_box.json": JSON.stringify([{ image_id: 42, category_id: 1, bbox: [0, 0, 1], score: 1 }]),
    "no_score.json": JSON.stringify([{ image_id: 42, category_id: 1, bbox: [0, 0, 1, 1] }]),
    "gt_bad.json": JSON.stringify({
      images: [{ id: 1 }],
      annotations: [{ id: 1, image_id: 1 }],
      categories: [],
    }),
  });
  const cases: [string[], RegExp][] = [
    [["--gt", GT, "--dt", `${dir}/missing.json`], /missing\.json: file not found/],
    [["--gt", GT, "--dt", `${dir}/bad.json`], /bad\.json: invalid JSON/],
    [
      ["--gt", GT, "--dt", `${dir}/unknown_img.json`],
      /unknown_img\.json: \[0\]\.image_id: image 999999 is not in the ground truth/,
    ],
    [
      ["--gt", GT, "--dt", `${dir}/bad_box.json`],
      /bad_box\.json: \[0\]\.bbox: expected \[x, y, width, height\]/,
    ],
    [["--gt", GT, "--dt", `${dir}/no_score.json`], /no_score\.json: \[0\]\.score: missing/],
    [
      ["--gt", `${dir}/gt_bad.json`, "--dt", BBOX],
      /gt_bad\.json: annotations\[0\]\.category_id: missing/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await run("coco", ...args, "--iou", "bbox");
    assertEquals(r.code, 1, r.err);
    assert(re.test(r.err), `${r.err} !~ ${re}`);
  }
});

Deno.test("[metrics cli] usage errors exit 2 with the usage text", async () => {
  let r = await run("coco", "--gt", GT);
  assertEquals(r.code, 2);
  assert(r.err.includes("missing --dt, --iou"));
  r = await run("coco", "--gt", GT, "--dt", BBOX, "--iou", "keypoints");
  assertEquals(r.code, 2);
  assert(r.err.includes("--iou must be bbox or segm"));
  r = await run("--help");
  assertEquals(r.code, 0);
  assert(r.out.includes("Usage: deno task cli eval"));
});

Deno.test("[metrics cli] eval semseg reads jobs' predictions/val.json and label PNGs", async () => {
  // HF doctest image 2 and 3 as 3x2 and 3x3 masks
  const dir = await tmp({
    "pred/val/a.png": encodePng({ width: 2, height: 3, channels: 1, data: [2, 7, 9, 2, 3, 6] }),
    "pred/val/b.png": encodePng({
      width: 3,
      height: 3,
      channels: 1,
      data: [2, 2, 3, 8, 2, 4, 3, 255, 2],
    }),
    "gt/a.png": encodePng({ width: 2, height: 3, channels: 1, data: [1, 7, 9, 2, 3, 6] }),
    "gt/b.png": encodePng({
      width: 3,
      height: 3,
      channels: 1,
      data: [1, 2, 2, 8, 2, 1, 3, 255, 1],
    }),
    "pred/val.json": JSON.stringify([
      { image_id: 1, file_name: "a.jpg", mask_png: "val/a.png", width: 2, height: 3 },
      { image_id: 2, file_name: "b.jpg", mask_png: "val/b.png", width: 3, height: 3 },
    ]),
  });
  const r = await run(
    "semseg",
    "--pred",
    `${dir}/pred/val.json`,
    "--gt",
    `${dir}/gt`,
    "--num-classes",
    "10",
    "--json",
  );
  assertEquals(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assertEquals(j.images, 2);
  assertEquals(j.pixels, 14);
  assertClose(
    j.areaIntersect.reduce((s: number, v: number) => s + v, 0) / 14,
    j.pixelAccuracy,
    1e-12,
  );
  // a prediction whose label is missing is named
  await Deno.remove(`${dir}/gt/b.png`);
  const bad = await run(
    "semseg",
    "--pred",
    `${dir}/pred/val.json`,
    "--gt",
    `${dir}/gt`,
    "--num-classes",
    "10",
  );
  assertEquals(bad.code, 1);
  assert(/gt\/b\.png: file not found/.test(bad.err), bad.err);
});

Deno.test("[metrics cli] eval panoptic reads COCO panoptic ground truth and jobs' predictions", async () => {
  // 2x2 image: gt segment 1 (thing, cat 1) left column, segment 2 (stuff, cat 2) right column
  const rgb = (ids: number[]) => ids.flatMap((id) => [id & 255, (id >> 8) & 255, id >> 16]);
  const dir = await tmp({
    "gt/p.png": encodePng({ width: 2, height: 2, channels: 3, data: rgb([1, 2, 1, 2]) }),
    "gt.json": JSON.stringify({
      categories: [{ id: 1, name: "person", isthing: 1 }, { id: 2, name: "sky", isthing: 0 }],
      annotations: [{
        image_id: 7,
        file_name: "p.png",
        segments_info: [
          { id: 1, category_id: 1, iscrowd: 0 },
          { id: 2, category_id: 2, iscrowd: 0 },
        ],
      }],
    }),
    "pred/val/p.png": encodePng({ width: 2, height: 2, channels: 3, data: rgb([5, 9, 5, 5]) }),
    "pred/val.json": JSON.stringify([{
      image_id: 7,
      file_name: "p.jpg",
      png: "val/p.png",
      segments_info: [
        { id: 5, category_id: 1, score: 0.9 },
        { id: 9, category_id: 2, score: 0.8 },
      ],
    }]),
  });
  const r = await run(
    "panoptic",
    "--gt-json",
    `${dir}/gt.json`,
    "--gt-dir",
    `${dir}/gt`,
    "--pred",
    `${dir}/pred/val.json`,
    "--json",
  );
  assertEquals(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  // person: IoU 2/3 -> TP; sky: IoU 1/2 -> not a match: FP + FN
  assertClose(j.perClass["1"].pq, 2 / 3, 1e-12, "person");
  assertEquals([j.perClass["2"].tp, j.perClass["2"].fp, j.perClass["2"].fn], [0, 1, 1]);
  assertClose(j.all.pq, 1 / 3, 1e-12, "PQ");
});

Deno.test("[metrics cli] eval classification reads per-image top-k predictions", async () => {
  const rows = [0, 1, 2, 0, 1, 2].map((label, i) => ({
    image_id: i,
    file_name: `${i}.jpg`,
    label,
    top_k: [{ label: [0, 2, 1, 0, 0, 1][i], label_name: "x", score: 0.9 }],
  }));
  const dir = await tmp({
    "val.json": JSON.stringify(rows),
    "broken.json": JSON.stringify([{ image_id: 1, top_k: [] }]),
  });
  const r = await run("classification", "--pred", `${dir}/val.json`, "--top-k", "1", "--json");
  assertEquals(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assertClose(j.macro.f1, 0.26666666666666666, 1e-12, "macro f1");
  const bad = await run("classification", "--pred", `${dir}/broken.json`);
  assertEquals(bad.code, 1);
  assert(/broken\.json: \[0\]\.top_k: missing or empty/.test(bad.err), bad.err);
});

Deno.test("[metrics cli] eval errors prints the TIDE table and the recommended threshold", async () => {
  const r = await run("errors", "--gt", GT, "--dt", BBOX);
  assertEquals(r.code, 0, r.err);
  assert(/^AP@0\.5 0\.6970$/m.test(r.out), r.out);
  assert(/^cls\s+\d+\s+0\.\d{4}$/m.test(r.out), r.out);
  assert(/recommended confidence \d\.\d\d \(F1 /.test(r.out), r.out);
  const j = await run("errors", "--gt", GT, "--dt", BBOX, "--confidence", "0.3", "--json");
  const rep = JSON.parse(j.out);
  assertEquals(rep.confusion.confidence, 0.3);
  assertClose(rep.bbox.stats.map, expected.bbox.stats[0], 1e-12, "map");
});
