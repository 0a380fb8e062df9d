/**
 * What a newcomer hits on the first run: a server-side name error that must survive hydration,
 * a launch form that must post what it shows after Back, and a run page whose toast floats in
 * view and whose early failure offers "Edit and relaunch" instead of Resume.
 */
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import type { Page } from "playwright-core";
import { api, HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

const VOLUME = "/Volumes/main/lakevision/data";

/**
 * Submits the launch form as the Launch button does; the button itself is disabled on machines
 * without PyTorch, and what is posted is the point here.
 */
function launch(page: Page) {
  return page.evaluate(() =>
    document.querySelector<HTMLFormElement>("form[method=post]")!.requestSubmit()
  );
}

const doc = (root: string) => ({
  model: {
    model_name: "torchvision/resnet18",
    task_type: "classification",
    num_classes: 2,
    image_size: 64,
    pretrained: false,
  },
  data: { train_data_path: `${root}/train`, val_data_path: `${root}/val`, num_workers: 0 },
  training: { max_epochs: 1 },
});

Deno.test({
  name:
    "[browser] first run: name error survives hydration; Back then Launch posts what is shown; toast floats; early failure offers edit and relaunch",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await startSession();
    try {
      // class folders whose "images" are not images: the data check passes, the job fails early
      const disk = `${s.dataDir}/volumes/main/lakevision/data/broken`;
      for (const split of ["train", "val"]) {
        for (const c of ["a", "b"]) {
          await Deno.mkdir(`${disk}/${split}/${c}`, { recursive: true });
          await Deno.writeTextFile(`${disk}/${split}/${c}/x.jpg`, "not a jpeg");
        }
      }
      await api(s.baseUrl, "/api/configs", { name: "taken", doc: doc(`${VOLUME}/broken`) });
      await api(s.baseUrl, "/api/configs", { name: "taken", doc: doc(`${VOLUME}/broken`) });
      const page = await s.newPage();

      await t.step("a duplicate name stays marked after hydration", async () => {
        await page.goto(`${s.baseUrl}/configs/new?task=classification&model=torchvision/resnet18`);
        await waitHydrated(page);
        await page.fill("#f-name", "taken");
        const [res] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === "POST"),
          page.click("button[type=submit]:not([name])"),
        ]);
        assertEquals(res.status(), 422);
        await page.waitForLoadState("networkidle");
        await waitHydrated(page);
        const err = page.locator('[data-errors="name"]');
        assertStringIncludes((await err.textContent())!, "already exists");
        assertEquals(await page.getAttribute("[data-status]", "data-status"), "invalid");
        // the default data folder does not exist: said beside the field, not "ready"
        assertStringIncludes(
          (await page.locator('[data-warnings="data.train_data_path"]').textContent()) ?? "",
          "folder not found: /Volumes/",
        );
        await s.screenshot(page, "first-run-name-taken");
      });

      await t.step("Back after Launch, then Launch again, posts the fields shown", async () => {
        const posts: string[] = [];
        await page.route("**/training/new", async (route) => {
          if (route.request().method() !== "POST") return route.continue();
          posts.push(route.request().postData() ?? "");
          await route.fulfill({ status: 303, headers: { location: "/training" } });
        });
        await page.goto(`${s.baseUrl}/training/new`, { waitUntil: "networkidle" });
        await waitHydrated(page);
        await page.selectOption("#config", "taken@1");
        await page.fill("#maxEpochs", "1");
        assertStringIncludes(
          (await page.locator('[data-testid="will-run"]').textContent())!,
          "taken v1",
        );
        await s.screenshot(page, "first-run-launch-form");
        await Promise.all([
          page.waitForURL("**/training"),
          launch(page),
        ]);
        await page.goBack({ waitUntil: "networkidle" });
        await waitHydrated(page);
        assertEquals(await page.inputValue("#config"), "taken@1", "the form as left");
        assertEquals(await page.inputValue("#maxEpochs"), "1");
        await Promise.all([
          page.waitForURL("**/training"),
          launch(page),
        ]);
        assertEquals(posts.length, 2);
        const second = new URLSearchParams(posts[1]);
        assertEquals(second.get("config"), "taken@1", posts[1]);
        assertEquals(second.get("maxEpochs"), "1", posts[1]);
        await page.unroute("**/training/new");
      });

      await t.step("a run that fails before its first step: toast in view, no Resume", async () => {
        const { run } = await api(s.baseUrl, "/api/runs", {
          config: { name: "taken", version: 1 },
          compute: { kind: "local", device: "cpu" },
        });
        await page.goto(`${s.baseUrl}/training/${run.id}`);
        await waitHydrated(page);
        const toast = page.locator('[data-testid="toast"]');
        await toast.waitFor({ timeout: 120_000 });
        assertEquals(await toast.evaluate((el) => getComputedStyle(el).position), "fixed");
        const box = (await toast.boundingBox())!;
        const vp = page.viewportSize()!;
        assert(box.x >= 0 && box.x + box.width <= vp.width, `toast x ${JSON.stringify(box)}`);
        assert(box.y >= 0 && box.y + box.height <= vp.height, `toast y ${JSON.stringify(box)}`);
        assert(
          await toast.evaluate((el) => el.scrollWidth <= el.clientWidth + 1),
          "the message wraps inside the toast",
        );
        await page.waitForSelector('[data-status="failed"]');
        assertEquals(await page.locator("button:has-text('Resume')").count(), 0);
        assertEquals(
          (await page.locator('[data-testid="relaunch"]').textContent())?.trim(),
          "Edit and relaunch",
        );
        // long log lines wrap instead of running off sideways
        assert(
          await page.locator('[data-testid="log"]').evaluate((el) =>
            el.scrollWidth <= el.clientWidth + 1
          ),
          "log lines wrap",
        );
        await s.screenshot(page, "first-run-failed-early");
        // the runs table fits a 1440 px window
        await page.setViewportSize({ width: 1440, height: 900 });
        await page.goto(`${s.baseUrl}/training`, { waitUntil: "networkidle" });
        const [sw, cw] = await page.locator("table").evaluate((t) => [
          t.parentElement!.scrollWidth,
          t.parentElement!.clientWidth,
        ]);
        assert(sw <= cw, `runs table ${sw} px in ${cw} px`);
      });
      const real = page.errors.filter((e) => !/ERR_ABORTED|status of 422|status of 400/.test(e));
      assertEquals(real, [], "console errors");
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      await s.close();
    }
  },
});
