import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { FakeDatabricks } from "../fake_databricks/server.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

const VOLUME = "/Volumes/main/lakevision/data";

Deno.test({
  name:
    "[browser] against the fake Databricks workspace: settings health, volume listing, a 10 s 503 outage",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const fake = await FakeDatabricks.start({ quiet: true });
    fake.addToken("dapi-browser", { userName: "ana@example.com", displayName: "Ana" });
    await fake.files.addVolume("main.lakevision.data");
    await fake.files.put(`${VOLUME}/datasets/shapes/annotations.json`, "{}");
    await fake.files.put(`${VOLUME}/datasets/readme.txt`, "hello");
    const s = await startSession({
      LAKEVISION_WORKSPACE: "databricks",
      DATABRICKS_HOST: fake.url.replace(/^http:\/\//, "http://"),
      DATABRICKS_TOKEN: "dapi-browser",
      LAKEVISION_VOLUME: VOLUME,
      LAKEVISION_JOBS_UPLOAD: "0",
      HOME: "/nonexistent",
    });
    try {
      const page = await s.newPage();
      // Settings: which workspace, who we are, and every area's health.
      await page.goto(`${s.baseUrl}/settings`, { waitUntil: "networkidle" });
      await waitHydrated(page);
      const text = (await page.textContent("main")) ?? "";
      assertStringIncludes(text, "Databricks");
      assertStringIncludes(text, fake.url);
      assertStringIncludes(text, "ana@example.com");
      for (const area of ["files", "jobs", "tracking", "registry", "serving", "compute"]) {
        const badge = await page.locator(`li[data-area="${area}"] span`).first().textContent();
        assertEquals(badge, "OK", `${area} health`);
      }
      assert(!text.includes("dapi-browser"), "the token never reaches the page");
      await s.screenshot(page, "databricks-settings");

      // The volume lists through the Files API.
      const listing = await page.evaluate(async (p) => {
        const r = await fetch(`/api/data/browse?path=${encodeURIComponent(p)}`);
        return { status: r.status, body: await r.json() };
      }, `${VOLUME}/datasets`);
      assertEquals(listing.status, 200);
      assertEquals(
        listing.body.entries.map((e: { name: string }) => e.name),
        ["shapes", "readme.txt"],
      );

      // A 10 s outage: pages still answer, with failures explained, and listing recovers.
      fake.unavailableFor(10_000);
      const during = await page.goto(`${s.baseUrl}/settings`, { waitUntil: "domcontentloaded" });
      assertEquals(during?.status(), 200);
      await s.screenshot(page, "databricks-settings-outage");
      const recovered = await page.evaluate(async (p) => {
        const r = await fetch(`/api/data/browse?path=${encodeURIComponent(p)}`);
        return { status: r.status, body: await r.json() };
      }, `${VOLUME}/datasets`);
      assertEquals(recovered.status, 200, JSON.stringify(recovered.body));
      assertEquals(recovered.body.entries.length, 2);
      await page.goto(`${s.baseUrl}/settings`, { waitUntil: "networkidle" });
      assertEquals(
        await page.locator('li[data-area="files"] span').first().textContent(),
        "OK",
      );
      assertEquals(page.errors.filter((e) => !e.includes("503")), []);
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      await s.close();
      await fake.close();
    }
  },
});
