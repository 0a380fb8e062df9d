import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { FakeDatabricks } from "../fake_databricks/server.ts";
import { startFakeStorage } from "../fake_databricks/sql_routes.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

const VOLUME = "/Volumes/main/lakevision/data";

function png(w: number, h: number, seed: number): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  for (let i = 0; i < d.length; i++) d[i] = (i * 7 + seed * 31) & 255;
  return encodePng({ width: w, height: h, channels: 3, data: d });
}

Deno.test({
  name:
    "[browser] against the fake Databricks workspace: scan a Delta table, see a missing image and a null label",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const fake = await FakeDatabricks.start({ quiet: true });
    fake.addToken("dapi-browser", { userName: "ana@example.com", displayName: "Ana" });
    await fake.files.addVolume("main.lakevision.data");
    for (const n of [1, 2, 3, 4]) {
      await fake.files.put(`${VOLUME}/pets/p${n}.png`, png(64, 48, n));
    }
    fake.sql.chunkRows = 2; // six rows arrive in three result chunks, through presigned links
    const storage = startFakeStorage(fake.sql);
    fake.sql.linkBase = storage.url;
    fake.sql.tables.set("main.lakevision.pets", {
      columns: [
        { name: "id", type_name: "INT" },
        { name: "image_path", type_name: "STRING" },
        { name: "label", type_name: "STRING" },
        { name: "split", type_name: "STRING" },
      ],
      rows: [
        ["1", `${VOLUME}/pets/p1.png`, "cat", "train"],
        ["2", `${VOLUME}/pets/p2.png`, "dog", "train"],
        ["3", `${VOLUME}/pets/gone.png`, "cat", "train"],
        ["4", `${VOLUME}/pets/p3.png`, "dog", "train"],
        ["5", `${VOLUME}/pets/p4.png`, null, "val"],
        ["6", `${VOLUME}/pets/p1.png`, "cat", "val"],
      ],
    });
    const s = await startSession({
      LAKEVISION_WORKSPACE: "databricks",
      DATABRICKS_HOST: fake.url,
      DATABRICKS_TOKEN: "dapi-browser",
      DATABRICKS_WAREHOUSE_ID: "wh-browser",
      LAKEVISION_VOLUME: VOLUME,
      LAKEVISION_JOBS_UPLOAD: "0",
      HOME: "/nonexistent",
    });
    try {
      const page = await s.newPage();
      await page.goto(`${s.baseUrl}/data`, { waitUntil: "networkidle" });
      await waitHydrated(page);
      await page.getByLabel("Delta table", { exact: true }).check();
      const table = page.locator("[data-delta] input[name=table]");
      assertEquals(await table.inputValue(), "main.lakevision.");
      await table.fill("main.lakevision.pets");
      await page.getByRole("button", { name: "Load columns" }).click();
      await page.waitForSelector("[data-delta] select[name=imageColumn]");
      // The pickers list the table's columns and guess the right ones.
      assertEquals(await page.locator("select[name=imageColumn]").inputValue(), "image_path");
      assertEquals(await page.locator("select[name=labelColumn]").inputValue(), "label");
      assertEquals(await page.locator("select[name=splitColumn]").inputValue(), "split");
      const options = await page.locator("select[name=labelColumn] option").allTextContents();
      assertEquals(options, [
        "choose…",
        "id (INT)",
        "image_path (STRING)",
        "label (STRING)",
        "split (STRING)",
      ]);
      await s.screenshot(page, "databricks-delta-columns");

      await page.getByRole("button", { name: "Scan table" }).click();
      await page.waitForSelector("[data-result]", { timeout: 30_000 });
      assertStringIncludes(
        (await page.textContent("[data-result]")) ?? "",
        "Delta table main.lakevision.pets",
      );
      assertEquals(await page.textContent('[data-stat="Images"] .text-xl'), "4");
      const missing = page.locator('[data-problems] tr[data-code="image_missing"]');
      assertEquals(await missing.count(), 1);
      assertStringIncludes((await missing.textContent()) ?? "", `${VOLUME}/pets/gone.png`);
      const noLabel = page.locator('[data-problems] tr[data-code="label_missing"]');
      assertEquals(await noLabel.count(), 1);
      assertStringIncludes((await noLabel.textContent()) ?? "", "main.lakevision.pets row 4");
      assertStringIncludes((await noLabel.textContent()) ?? "", "val");
      // The row without a label opens its image (through the Files API); the missing one is flagged.
      await noLabel.locator('button:has-text("view")').click();
      const shown = page.locator(
        `[data-sample-viewer] svg[data-image="${VOLUME}/pets/p4.png"] image`,
      );
      await shown.waitFor();
      assertStringIncludes((await shown.getAttribute("href")) ?? "", "p4.png");
      await s.screenshot(page, "databricks-delta-sample");
      await page.getByRole("button", { name: "Close" }).click();
      await missing.locator('button:has-text("view")').click();
      await page.waitForSelector(`[data-sample-viewer] svg[data-image="${VOLUME}/pets/gone.png"]`);
      assertEquals(await page.locator("[data-sample-viewer] svg image").count(), 0);
      await page.getByRole("button", { name: "Close" }).click();
      // Split tabs from the split column; the val split holds the one labelled row.
      await page.getByRole("button", { name: "val", exact: true }).click();
      assertEquals(await page.textContent('[data-stat="Images"] .text-xl'), "1");
      await s.screenshot(page, "databricks-delta-scanned");

      const selects = [...fake.sql.statements.values()].map((st) => st.text);
      assert(
        selects.includes(
          "SELECT `image_path`, `label`, `split` FROM `main`.`lakevision`.`pets`",
        ),
        selects.join("\n"),
      );
      assertEquals(storage.requests.length, 3, "three chunks downloaded from storage");
      assertEquals(page.errors, []);
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      await s.close();
      await storage.close();
      await fake.close();
    }
  },
});
