import { assert, assertEquals, assertNotEquals } from "@/tests/assert.ts";
import { startScan } from "@/lib/data/scan.ts";
import { MemoryFiles } from "@/lib/data/testing.ts";
import { validateConfig } from "@/lib/config/validate.ts";
import { getModel } from "@/lib/config/catalog.ts";
import { DEMO_CONFIGS, demoConfigDoc } from "./configs.ts";
import { DEMO_DATASETS, DEMO_VOLUME, generateDemoDatasets } from "./datasets.ts";
import { manifestEntry, scanPlan, sha256Hex } from "./manifest.ts";
import { polygonBox, rasterizePolygon } from "./raster.ts";
import { defaultDatasets, readPng } from "./testing.ts";

const dec = new TextDecoder();
const json = (b: Uint8Array) => JSON.parse(dec.decode(b));

async function digest(sets: { id: string; files: Map<string, Uint8Array> }[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of sets) {
    for (const [p, b] of s.files) out.push(`${s.id}/${p}:${await sha256Hex(b)}`);
  }
  return out;
}

Deno.test("[demo] the same seed gives byte-identical datasets; another seed gives other bytes", async () => {
  const a = await defaultDatasets();
  const b = generateDemoDatasets();
  assertEquals(await digest(b), await digest(a));
  const c = generateDemoDatasets(7, ["shapes-classification"]);
  const ca = a.find((d) => d.id === "shapes-classification")!;
  assertEquals([...c[0].files.keys()], [...ca.files.keys()]);
  assertNotEquals(
    c[0].files.get("train/circle/circle_0001.jpg"),
    ca.files.get("train/circle/circle_0001.jpg"),
  );
});

Deno.test("[demo] one dataset per task, each with train and val and planted problems", async () => {
  const sets = await defaultDatasets();
  assertEquals(sets.map((s) => s.task).sort(), [
    "classification",
    "detection",
    "instance_segmentation",
    "panoptic_segmentation",
    "semantic_segmentation",
  ]);
  for (const s of sets) {
    assertEquals(s.splits.map((x) => x.name), ["train", "val"], s.id);
    assert(s.splits.every((x) => x.images >= 8), `${s.id} splits are too small`);
    assert(s.planted.length >= 3, `${s.id} plants ${s.planted.length} problems`);
    for (const p of s.planted) {
      // A planted missing file must be absent; any other file named must be there.
      const absent = p.code === "image_missing" || p.code === "panoptic_png_missing";
      if (p.file) assertEquals(s.files.has(p.file), !absent, `${s.id} ${p.code}: ${p.file}`);
    }
  }
});

Deno.test("[demo] Data EDA finds every planted problem, and nothing else, on each dataset", async () => {
  for (const ds of await defaultDatasets()) {
    const files = new MemoryFiles();
    const entry = await manifestEntry(ds);
    for (const [rel, bytes] of ds.files) files.put(`${entry.path}/${rel}`, bytes);
    const result = await startScan({ plan: scanPlan(entry) }, files).done;
    // (The panoptic reader checks image files but does not set the flag; its notes say so.)
    assert(
      result.fileChecks || !result.notes.some((n) => n.includes("not checked")),
      `${ds.id}: image files were not checked: ${result.notes.join("; ")}`,
    );
    for (const p of entry.planted) {
      const hit = result.problems.find((q) =>
        q.code === p.code && q.split === p.split && (!p.file || q.file === p.file) &&
        (p.annotation_id === undefined || q.annotation_id === p.annotation_id)
      );
      assert(hit, `${ds.id}: EDA did not report planted ${p.code} (${p.what})`);
      assertEquals(hit.severity, p.severity, `${ds.id} ${p.code} severity`);
    }
    const expected: Record<string, number> = {};
    for (const p of entry.planted) expected[p.code] = (expected[p.code] ?? 0) + 1;
    assertEquals(result.problemCounts, expected, `${ds.id}: problems beyond the planted ones`);
  }
});

Deno.test("[demo] COCO boxes are polygon extents and areas are the painted pixel counts", async () => {
  for (const id of ["shapes-detection", "shapes-instances"]) {
    const ds = (await defaultDatasets()).find((d) => d.id === id)!;
    const planted = new Set(ds.planted.map((p) => p.annotation_id));
    const doc = json(ds.files.get("annotations/instances_val.json")!);
    assertEquals(doc.categories.map((c: { name: string }) => c.name), ds.classes);
    let checked = 0;
    for (const a of doc.annotations) {
      if (planted.has(a.id)) continue;
      const im = doc.images.find((i: { id: number }) => i.id === a.image_id);
      assertEquals(a.bbox, polygonBox(a.segmentation[0]), `${id} ann ${a.id} bbox`);
      let n = 0;
      rasterizePolygon(a.segmentation[0], im.width, im.height, () => n++);
      assertEquals(a.area, n, `${id} ann ${a.id} area`);
      checked++;
    }
    assert(checked > 10, `${id}: only ${checked} annotations checked`);
  }
});

Deno.test("[demo] semantic masks hold only class ids and 255, and match their image size", async () => {
  const ds = (await defaultDatasets()).find((d) => d.id === "shapes-semantic")!;
  const seen = new Set<number>();
  for (const [rel, bytes] of ds.files) {
    if (!rel.endsWith(".png")) continue;
    const m = readPng(bytes);
    assertEquals([m.width, m.height, m.channels], [160, 120, 1], rel);
    for (const v of m.data) seen.add(v);
  }
  assertEquals([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 255]);
  assertEquals(dec.decode(ds.files.get("train/classes.txt")!).trim().split("\n"), ds.classes);
});

Deno.test("[demo] panoptic PNG ids decode to exactly the segments_info areas", async () => {
  const ds = (await defaultDatasets()).find((d) => d.id === "shapes-panoptic")!;
  const doc = json(ds.files.get("annotations/panoptic_val.json")!);
  let checked = 0;
  for (const a of doc.annotations) {
    const png = ds.files.get(`annotations/panoptic_val/${a.file_name}`);
    if (!png) continue; // the planted missing PNG
    const m = readPng(png);
    const counts = new Map<number, number>();
    for (let i = 0; i < m.data.length; i += 3) {
      const id = m.data[i] + 256 * m.data[i + 1] + 65536 * m.data[i + 2];
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const fromJson = new Map(
      a.segments_info.map((s: { id: number; area: number }) => [s.id, s.area]),
    );
    assertEquals(new Map([...counts].sort()), new Map([...fromJson].sort()), a.file_name);
    checked++;
  }
  assertEquals(checked, doc.annotations.length - 1);
});

Deno.test("[demo] every demo config validates for launch and points at its generated data", async () => {
  const sets = await defaultDatasets();
  assertEquals(DEMO_CONFIGS.length, DEMO_DATASETS.length);
  for (const spec of DEMO_CONFIGS) {
    const ds = sets.find((d) => d.id === spec.dataset)!;
    const doc = demoConfigDoc(spec, ds.data);
    const r = validateConfig(doc, { mode: "launch" });
    assertEquals(r.errors, [], spec.name);
    // The only warning allowed is lib/config not knowing builder_kwargs, which the job reads.
    assertEquals(r.warnings.filter((w) => w.path !== "model.builder_kwargs"), [], spec.name);
    assertEquals(r.task, spec.task);
    const data = doc.data as Record<string, string>;
    for (const [k, v] of Object.entries(ds.data)) {
      assertEquals(data[k], `${DEMO_VOLUME}/${ds.id}/${v}`, `${spec.name} ${k}`);
      const rel = data[k].slice(`${DEMO_VOLUME}/${ds.id}/`.length);
      assert(
        [...ds.files.keys()].some((f) => f === rel || f.startsWith(rel + "/")),
        `${spec.name}: ${rel} not generated`,
      );
    }
    assertEquals(
      (doc.model as Record<string, unknown>).num_classes,
      spec.task === "semantic_segmentation" || spec.task === "panoptic_segmentation"
        ? ds.classes.length
        : ds.classes.length,
    );
    assertEquals(getModel(spec.model)?.runsLocally ?? false, spec.local, `${spec.name} local`);
    if (spec.local) assertEquals((doc.model as Record<string, unknown>).pretrained, false);
  }
});
