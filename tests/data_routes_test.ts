import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { jsonPost, testApp } from "./helpers.ts";
import { encodePng } from "@/lib/image/png.ts";

const VOL = "/Volumes/main/cv/data";

function png(w: number, h: number, seed: number): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  for (let i = 0; i < d.length; i++) d[i] = (i * 3 + seed * 29) & 255;
  return encodePng({ width: w, height: h, channels: 3, data: d });
}

/** A COCO dataset on the local volume with planted defects: a missing image, a box outside. */
async function plant(dataDir: string): Promise<void> {
  const root = `${dataDir}/volumes/main/cv/data/shop`;
  await Deno.mkdir(`${root}/annotations`, { recursive: true });
  await Deno.mkdir(`${root}/train`, { recursive: true });
  const images = [1, 2, 3].map((id) => ({ id, file_name: `p${id}.png`, width: 40, height: 30 }));
  const doc = {
    images,
    categories: [{ id: 1, name: "bottle" }, { id: 2, name: "can" }],
    annotations: [
      {
        id: 1,
        image_id: 1,
        category_id: 1,
        bbox: [2, 2, 10, 10],
        area: 100,
        iscrowd: 0,
        segmentation: [[2, 2, 12, 2, 12, 12]],
      },
      { id: 2, image_id: 2, category_id: 2, bbox: [50, 5, 5, 5], area: 25, iscrowd: 0 },
      { id: 3, image_id: 3, category_id: 1, bbox: [5, 5, 5, 5], area: 25, iscrowd: 0 },
    ],
  };
  await Deno.writeTextFile(`${root}/annotations/instances_train.json`, JSON.stringify(doc));
  await Deno.writeFile(`${root}/train/p1.png`, png(40, 30, 1));
  await Deno.writeFile(`${root}/train/p2.png`, png(40, 30, 2));
}

Deno.test("[data routes] scan a planted dataset: progress, stats, located problems, CSV, samples, image", async () => {
  const app = await testApp();
  try {
    await plant(app.dataDir);
    const page = await app.request("/data");
    assertEquals(page.status, 200);
    assertStringIncludes(await page.text(), 'data-island="DataScan"');

    const bad = await app.request("/api/data/scans", jsonPost({ path: "/etc/passwd" }));
    assertEquals(bad.status, 400);
    assertStringIncludes((await bad.json()).error.message, "path must be under /Volumes/");
    // a readable sentence naming the field, not the validator's wording
    const long = await app.request(
      "/api/data/scans",
      jsonPost({ path: `${VOL}/${"x".repeat(2100)}` }),
    );
    assertEquals(long.status, 400);
    const said = (await long.json()).error.message as string;
    assertStringIncludes(said, "path is longer than 2,000 characters");
    assert(!/Too big|expected string/.test(said), said);

    const started = await app.request("/api/data/scans", jsonPost({ path: `${VOL}/shop` }));
    assertEquals(started.status, 202);
    const { id } = await started.json();
    let rec;
    for (let i = 0; i < 200; i++) {
      rec = await (await app.request(`/api/data/scans/${id}`)).json();
      if (rec.status !== "running") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assertEquals(rec.status, "done", rec.error);
    const r = rec.result;
    assertEquals(r.format, "coco");
    assertEquals(r.splits[0].stats.images, 3);
    assertEquals(r.splits[0].stats.annotations, 3);
    const codes = r.problems.map((p: { code: string }) => p.code).sort();
    assertEquals(codes, ["bbox_outside_image", "image_missing"]);
    const missing = r.problems.find((p: { code: string }) => p.code === "image_missing");
    assertEquals(missing.image_id, 3);
    assertEquals(missing.file, `${VOL}/shop/train/p3.png`);

    const csv = await app.request(`/api/data/scans/${id}/problems?format=csv`);
    assertEquals(csv.status, 200);
    assertEquals(csv.headers.get("content-type"), "text/csv; charset=utf-8");
    assertStringIncludes(await csv.text(), "image_missing");

    const list = await (await app.request(`/api/data/scans/${id}/samples?split=train&class=2`))
      .json();
    assertEquals(list.total, 1);
    assertEquals(list.items[0].image, 2);
    const withProblem = await (await app.request(
      `/api/data/scans/${id}/samples?split=train&problem=bbox_outside_image`,
    )).json();
    assertEquals(withProblem.items.map((i: { image: number }) => i.image), [2]);
    const sample = await (await app.request(`/api/data/scans/${id}/samples?split=train&image=1`))
      .json();
    assertEquals(sample.annotations[0].bbox, [2, 2, 10, 10]);
    assertEquals(sample.annotations[0].polygons, [[2, 2, 12, 2, 12, 12]]);

    const img = await app.request(`/api/data/file?path=${encodeURIComponent(sample.file)}`);
    assertEquals(img.status, 200);
    assertEquals(img.headers.get("content-type"), "image/png");
    assert((await img.arrayBuffer()).byteLength > 50);

    const again = await (await app.request("/api/data/scans", jsonPost({ path: `${VOL}/shop` })))
      .json();
    let rec2;
    for (let i = 0; i < 200; i++) {
      rec2 = await (await app.request(`/api/data/scans/${again.id}`)).json();
      if (rec2.status !== "running") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert(
      rec2.result.notes.some((n: string) => n.startsWith("cached")),
      "second scan reuses the cached result",
    );
  } finally {
    await app.close();
  }
});

Deno.test("[data routes] unknown scans are 404 and outside paths are refused", async () => {
  const app = await testApp();
  try {
    const res = await app.request("/api/data/scans/nope");
    assertEquals(res.status, 404);
    await res.body?.cancel();
    const f = await app.request("/api/data/file?path=/etc/hosts");
    assertEquals(f.status, 400);
    await f.body?.cancel();
  } finally {
    await app.close();
  }
});

Deno.test("[data routes] named split paths are scanned together and leakage between them is found", async () => {
  const app = await testApp();
  try {
    const root = `${app.dataDir}/volumes/main/cv/data/pets`;
    for (
      const [split, cls, seed] of [["train", "cat", 1], ["train", "dog", 2], ["val", "cat", 3], [
        "val",
        "dog",
        2,
      ]] as const
    ) {
      await Deno.mkdir(`${root}/${split}/${cls}`, { recursive: true });
      await Deno.writeFile(`${root}/${split}/${cls}/${split}_${cls}.png`, png(12, 9, seed));
    }
    await Deno.writeFile(`${root}/train/cat/extra.png`, png(12, 9, 4));
    const bad = await app.request("/api/data/scans", jsonPost({ splits: [] }));
    assertEquals(bad.status, 400);
    await bad.body?.cancel();
    const started = await app.request(
      "/api/data/scans",
      jsonPost({
        splits: [{ name: "train", path: `${VOL}/pets/train` }, {
          name: "val",
          path: `${VOL}/pets/val`,
        }],
      }),
    );
    assertEquals(started.status, 202);
    const { id } = await started.json();
    let rec;
    for (let i = 0; i < 200; i++) {
      rec = await (await app.request(`/api/data/scans/${id}`)).json();
      if (rec.status !== "running") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assertEquals(rec.status, "done", rec.error);
    assertEquals(rec.result.format, "imagefolder");
    assertEquals(rec.result.splits.map((s: { name: string }) => s.name), ["train", "val"]);
    const leak = rec.result.problems.filter((p: { code: string }) => p.code === "split_leakage");
    assertEquals(leak.length, 1);
    assertEquals(leak[0].file, `${VOL}/pets/val/dog/val_dog.png`);
    // the sample grid takes the classes in turn, so its first page shows every class
    const grid = await (await app.request(`/api/data/scans/${id}/samples?split=train`)).json();
    assertEquals(
      grid.items.map((s: { file: string }) => s.file.slice(`${VOL}/pets/train/`.length)),
      ["cat/extra.png", "dog/train_dog.png", "cat/train_cat.png"],
    );
  } finally {
    await app.close();
  }
});

Deno.test("[data routes] a class-id mask is served as a coloured translucent overlay", async () => {
  const app = await testApp();
  try {
    const dir = `${app.dataDir}/volumes/main/cv/data/seg/masks`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeFile(
      `${dir}/a.png`,
      encodePng({
        width: 4,
        height: 2,
        channels: 1,
        data: new Uint8Array([0, 0, 1, 1, 2, 2, 255, 255]),
      }),
    );
    const res = await app.request(
      `/api/data/file?path=${encodeURIComponent(`${VOL}/seg/masks/a.png`)}&overlay=mask`,
    );
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type"), "image/png");
    const { decodePng } = await import("@/lib/image/png.ts");
    const img = decodePng(new Uint8Array(await res.arrayBuffer()));
    assertEquals([img.width, img.height, img.channels], [4, 2, 4]);
    assertEquals(img.data[3], 0, "class 0 is transparent");
    assertEquals(img.data[2 * 4 + 3], 160, "class 1 is drawn");
    assertEquals(img.data[6 * 4 + 3], 0, "255 (ignore) is transparent");
  } finally {
    await app.close();
  }
});
