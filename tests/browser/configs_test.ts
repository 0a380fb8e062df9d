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

Deno.test({
  name:
    "[browser] configs: the data's classes are checked live against num_classes; a disk path is offered as its volume path",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await startSession();
    try {
      const V = "/Volumes/main/lakevision/data/shapes";
      const disk = `${s.dataDir}/volumes/main/lakevision/data/shapes`;
      for (const split of ["train", "val"]) {
        for (const c of ["circle", "square", "star", "triangle"]) {
          await Deno.mkdir(`${disk}/${split}/${c}`, { recursive: true });
          await Deno.writeTextFile(`${disk}/${split}/${c}/a.jpg`, "x");
        }
      }
      await Deno.mkdir(`${disk}/flat`, { recursive: true });
      await Deno.writeTextFile(`${disk}/flat/a.jpg`, "x");
      const page = await s.newPage();
      await page.goto(
        `${s.baseUrl}/configs/new?task=classification&model=torchvision/resnet18`,
        { waitUntil: "networkidle" },
      );
      await waitHydrated(page);
      await page.waitForSelector('form[data-ready="true"]');
      await page.fill("#f-name", "shapes-cls");
      await page.fill("#f-data-train_data_path", `${V}/train`);
      await page.fill("#f-data-val_data_path", `${V}/val`);
      await page.fill("#f-model-num_classes", "7");

      // Before any save: the finding sits on num_classes and names what is there.
      const classes = page.locator('[data-warnings="model.num_classes"]');
      await classes.waitFor();
      await page.waitForFunction(() =>
        /num_classes is 7/.test(
          document.querySelector('[data-warnings="model.num_classes"]')?.textContent ?? "",
        )
      );
      assertEquals(
        await classes.textContent(),
        "train has 4 class folders (circle, square, star, triangle); num_classes is 7",
      );
      const status = page.locator("[data-status]");
      assertEquals(await status.getAttribute("data-launch"), "blocked");
      const told = (await status.textContent())!;
      assert(!told.startsWith("Valid"), told);
      assertStringIncludes(told, "cannot launch yet");
      await s.screenshot(page, "configs-classes-live");

      await page.fill("#f-model-num_classes", "4");
      await page.waitForSelector('[data-status][data-launch="ready"]');
      assertEquals(await classes.count(), 0);
      assertStringIncludes((await status.textContent())!, "Valid classification config");

      // A val folder without class folders is said beside it, live.
      await page.fill("#f-data-val_data_path", `${V}/flat`);
      const val = page.locator('[data-warnings="data.val_data_path"]');
      await val.waitFor();
      assertStringIncludes((await val.textContent())!, "has no class folders");
      await page.fill("#f-data-val_data_path", `${V}/val`);
      await page.waitForSelector('[data-status][data-launch="ready"]');

      // This machine's disk path of the volume: refused as written, its volume path offered.
      await page.fill("#f-data-train_data_path", `${disk}/train`);
      const err = page.locator('[data-errors="data.train_data_path"]');
      await page.waitForSelector('[data-fix="data.train_data_path"]');
      const said = (await err.textContent())!;
      assertStringIncludes(said, "is a disk path on this machine");
      assertStringIncludes(said, '"<data folder>/volumes/main/lakevision/data/shapes/train"');
      assert(!said.includes(s.dataDir), said);
      await s.screenshot(page, "configs-disk-path");
      await page.click('[data-fix="data.train_data_path"]');
      assertEquals(await page.inputValue("#f-data-train_data_path"), `${V}/train`);
      await page.waitForSelector('[data-status="valid"][data-launch="ready"]');
      assertEquals(await err.count(), 0);
      await Promise.all([
        page.waitForURL("**/configs/shapes-cls?saved=1"),
        page.click("button[type=submit]"),
      ]);
      assertStringIncludes(await page.textContent("body") ?? "", "ready to launch");
      assertEquals(page.errors, [], "console errors");
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      await s.close();
    }
  },
});
