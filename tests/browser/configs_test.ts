import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { parseConfigYaml } from "@/lib/config/yaml_io.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

Deno.test({
  name:
    "[browser] configs: create a detection config, see a live error, fix, save, edit, save, diff v1/v2, download",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await startSession();
    try {
      const page = await s.newPage();
      await page.goto(s.baseUrl + "/configs", { waitUntil: "networkidle" });
      await page.click("text=New configuration");
      await page.click('[data-task="detection"]');
      await page.click('[data-model="facebook/detr-resnet-50"]');
      await waitHydrated(page);
      await page.waitForSelector('form[data-ready="true"]');
      await page.fill("#f-name", "detr-browser");

      // A bad value shows an error beside the field while typing, before any save.
      await page.fill("#f-data-batch_size", "zero");
      const err = page.locator('[data-errors="data.batch_size"]');
      await err.waitFor();
      assertStringIncludes((await err.textContent())!, "must be a whole number");
      assertEquals(await page.getAttribute("[data-status]", "data-status"), "invalid");
      // Saving is blocked while it is wrong.
      await page.click("button[type=submit]");
      assertStringIncludes(page.url(), "/configs/new");
      await s.screenshot(page, "configs-live-error");

      // The model cannot take this image size either (ViT-style rule on DETR: stride 32).
      await page.fill("#f-model-image_size", "810");
      await page.locator('[data-errors="model.image_size"]').waitFor();

      // Fix both: errors disappear and the YAML preview follows.
      await page.fill("#f-data-batch_size", "8");
      await page.fill("#f-model-image_size", "800");
      await page.waitForSelector('[data-status="valid"]');
      assertEquals(await err.count(), 0);
      // The preview comes from the server (/api/configs/validate) a moment after the edit.
      await page.waitForSelector('[data-yaml-preview][data-preview="current"]');
      assertStringIncludes((await page.textContent("[data-yaml-preview]"))!, "batch_size: 8");

      // Download YAML from the editor (a client-side file of the live preview).
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click("text=Download YAML"),
      ]);
      assertEquals(download.suggestedFilename(), "detr-browser.yaml");
      const dlPath = await download.path();
      const dl = parseConfigYaml(await Deno.readTextFile(dlPath!));
      assert(dl.ok);
      assertEquals((dl.doc.data as Record<string, unknown>).batch_size, 8);

      await Promise.all([
        page.waitForURL("**/configs/detr-browser?saved=1"),
        page.click("button[type=submit]"),
      ]);
      assertStringIncludes((await page.textContent("[data-saved]"))!, "Saved as version 1");

      // Edit and save again.
      await page.click("text=Edit");
      await waitHydrated(page);
      await page.waitForSelector('form[data-ready="true"]');
      await page.fill("#f-model-learning_rate", "5e-5");
      await page.fill("#f-message", "lower learning rate");
      await Promise.all([
        page.waitForURL("**/configs/detr-browser?saved=2"),
        page.click("button[type=submit]"),
      ]);
      await page.waitForSelector('[data-version="2"]');
      assertStringIncludes((await page.textContent('[data-version="2"]'))!, "lower learning rate");
      await s.screenshot(page, "configs-detail");

      // Diff v1 → v2.
      await page.selectOption('select[name="a"]', "1");
      await page.selectOption('select[name="b"]', "2");
      await Promise.all([
        page.waitForURL("**/diff?a=1&b=2"),
        page.click("button:has-text('Diff')"),
      ]);
      const row = page.locator('[data-path="model.learning_rate"]');
      assertEquals(await row.count(), 1);
      assertStringIncludes((await row.textContent())!, "5e-5");
      assert(await page.locator('[data-kind="changed"]').count() >= 1);
      await s.screenshot(page, "configs-diff");

      // Download the saved v2 from the config page.
      await page.goto(s.baseUrl + "/configs/detr-browser", { waitUntil: "networkidle" });
      const [saved] = await Promise.all([
        page.waitForEvent("download"),
        page.click("a:has-text('Download YAML')"),
      ]);
      assertEquals(saved.suggestedFilename(), "detr-browser-v2.yaml");
      const v2 = parseConfigYaml(await Deno.readTextFile((await saved.path())!));
      assert(v2.ok);
      assertEquals((v2.doc.model as Record<string, unknown>).learning_rate, 5e-5);
      assertEquals(page.errors, [], "console errors");
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      await s.close();
    }
  },
});
