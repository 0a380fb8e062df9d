/**
 * Delta tables on /data: the column and scan APIs against the fake Databricks workspace, and the
 * 400s that say what to do in local mode or without a SQL warehouse.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { jsonPost, ROOT, testApp } from "./helpers.ts";
import { loadSettings } from "@/fresh.config.ts";
import { encodePng } from "@/lib/image/png.ts";
import { setKv } from "@/lib/store/kv.ts";
import { createApp } from "@/lib/web/app.ts";
import { setupFake } from "./fake_databricks/testing.ts";

const VOL = "/Volumes/main/cv/data";
const SPEC = { table: "main.cv.pets", imageColumn: "path", labelColumn: "label" };
const opts = { sanitizeOps: false, sanitizeResources: false };

/** The app in Databricks mode against a fake, with or without a SQL warehouse. */
async function databricksApp(warehouseId?: string) {
  const h = await setupFake(warehouseId ? { warehouseId } : {});
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-delta-" });
  const settings = loadSettings({
    LAKEVISION_DATA_DIR: dataDir,
    LAKEVISION_LOG: "silent",
    LAKEVISION_DEMO: "0",
    LAKEVISION_VOLUME: VOL,
  });
  const app = await createApp({ settings, workspace: h.ws, root: ROOT });
  return {
    h,
    request: (path: string, init?: RequestInit) => app.request(`http://localhost${path}`, init),
    async [Symbol.asyncDispose]() {
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await h[Symbol.asyncDispose]();
    },
  };
}

Deno.test("[data routes] local mode: Delta scans and columns are a 400 saying what to do instead", async () => {
  const app = await testApp();
  try {
    const page = await (await app.request("/data")).text();
    assert(!page.includes('name="source"'), "no Delta source option locally");
    for (
      const res of [
        await app.request("/api/data/scans", jsonPost({ delta: SPEC })),
        await app.request("/api/data/delta/columns?table=main.cv.pets"),
      ]
    ) {
      assertEquals(res.status, 400);
      const msg = (await res.json()).error.message;
      assertStringIncludes(msg, "Delta tables need a Databricks workspace");
      assertStringIncludes(msg, "scan that path instead");
    }
  } finally {
    await app.close();
  }
});

Deno.test({
  name: "[data routes] Databricks mode: columns listed, a Delta table scanned with its problems",
  ...opts,
  async fn() {
    await using app = await databricksApp("wh-1");
    const { fake, ws } = app.h;
    fake.sql.chunkRows = 2;
    fake.sql.tables.set("main.cv.pets", {
      columns: [
        { name: "path", type_name: "STRING" },
        { name: "label", type_name: "STRING" },
        { name: "split", type_name: "STRING" },
      ],
      rows: [
        [`${VOL}/pets/a.png`, "cat", "train"],
        [`${VOL}/pets/b.png`, "dog", "train"],
        [`${VOL}/pets/missing.png`, "dog", "train"],
        [`${VOL}/pets/a.png`, null, "val"],
        [`${VOL}/pets/b.png`, "cat", "val"],
      ],
    });
    const png = encodePng({ width: 8, height: 6, channels: 1, data: new Uint8Array(48) });
    await ws.files.write(`${VOL}/pets/a.png`, png);
    await ws.files.write(`${VOL}/pets/b.png`, png);

    const page = await (await app.request("/data")).text();
    assertStringIncludes(page, "Delta table");
    assertStringIncludes(page, 'name="source" value="delta"');
    assertStringIncludes(page, "&quot;initialTable&quot;:&quot;main.cv.&quot;");

    const cols = await app.request("/api/data/delta/columns?table=%60main%60.cv.pets");
    assertEquals(cols.status, 200);
    assertEquals(await cols.json(), {
      table: "main.cv.pets",
      columns: [
        { name: "path", type: "STRING" },
        { name: "label", type: "STRING" },
        { name: "split", type: "STRING" },
      ],
    });
    const bad = await app.request(
      `/api/data/delta/columns?table=${encodeURIComponent("main.cv.pets; DROP TABLE x")}`,
    );
    assertEquals(bad.status, 400);
    assertStringIncludes((await bad.json()).error.message, "is not a table name");
    const nope = await app.request("/api/data/delta/columns?table=main.cv.nope");
    assertEquals(nope.status, 400);
    assertStringIncludes((await nope.json()).error.message, "TABLE_OR_VIEW_NOT_FOUND");
    const injected = await app.request(
      "/api/data/scans",
      jsonPost({ delta: { ...SPEC, table: "main.cv.pets`; DROP TABLE x; --" } }),
    );
    assertEquals(injected.status, 400);
    await injected.body?.cancel();
    assertEquals(
      [...fake.sql.statements.values()].filter((s) => /DROP/.test(s.text ?? "")).length,
      0,
    );

    const started = await app.request(
      "/api/data/scans",
      jsonPost({ delta: { ...SPEC, splitColumn: "split" } }),
    );
    assertEquals(started.status, 202);
    const { id } = await started.json();
    let rec;
    for (let i = 0; i < 500; i++) {
      rec = await (await app.request(`/api/data/scans/${id}`)).json();
      if (rec.status !== "running") break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(rec.status, "done", rec.error);
    const r = rec.result;
    assertEquals(r.format, "delta");
    assertEquals(
      r.splits.map((s: { name: string; stats: { images: number } }) => [s.name, s.stats.images]),
      [["train", 3], ["val", 1]],
    );
    assertEquals(r.problemCounts, { image_missing: 1, label_missing: 1 });
    const missing = r.problems.find((p: { code: string }) => p.code === "image_missing");
    assertEquals(missing.file, `${VOL}/pets/missing.png`);
    const nolabel = r.problems.find((p: { code: string }) => p.code === "label_missing");
    assertEquals([nolabel.split, nolabel.where], ["val", "main.cv.pets row 3"]);
    // A located image opens in the sample viewer (flagged when missing); other paths do not.
    const sample = async (split: string, image: string) =>
      await app.request(
        `/api/data/scans/${id}/samples?split=${split}&image=${encodeURIComponent(image)}`,
      );
    const gone = await (await sample("train", `${VOL}/pets/missing.png`)).json();
    assertEquals([gone.file, gone.broken], [`${VOL}/pets/missing.png`, true]);
    const unlabelled = await (await sample("val", `${VOL}/pets/a.png`)).json();
    assertEquals([unlabelled.file, unlabelled.broken], [`${VOL}/pets/a.png`, false]);
    const other = await sample("val", `${VOL}/secret.png`);
    assertEquals(other.status, 404);
    await other.body?.cancel();
    const csv = await app.request(`/api/data/scans/${id}/problems?format=csv`);
    assertStringIncludes(await csv.text(), "label_missing");
    // The SELECT named only the chosen columns, quoted.
    assert(
      [...fake.sql.statements.values()].some((s) =>
        s.text === "SELECT `path`, `label`, `split` FROM `main`.`cv`.`pets`"
      ),
    );
  },
});

Deno.test({
  name:
    "[data routes] Databricks mode without a SQL warehouse: a 400 naming DATABRICKS_WAREHOUSE_ID",
  ...opts,
  async fn() {
    await using app = await databricksApp();
    for (
      const res of [
        await app.request("/api/data/scans", jsonPost({ delta: SPEC })),
        await app.request("/api/data/delta/columns?table=main.cv.pets"),
      ]
    ) {
      assertEquals(res.status, 400);
      assertStringIncludes((await res.json()).error.message, "DATABRICKS_WAREHOUSE_ID");
    }
    assertEquals(app.h.fake.sql.statements.size, 0);
  },
});
