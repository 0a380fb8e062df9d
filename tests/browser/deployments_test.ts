/**
 * Deployment end to end in the browser on the local workspace: import the tiny classifier (two
 * versions) through /models → create an endpoint through the form (its name prefilled from the
 * model) after reviewing the exact request → READY with load/warm-up time and provider → smoke
 * test draws the top classes on a validation image, and the endpoint page logs no console error
 * (the strict CSP refuses inline styles) → a batch over the validation folder shows each photo
 * under its prediction (checked in the screenshot's pixels) → change it in place to a 50/50 split
 * of v1 and v2 → requests through the app's proxy reach both (the `x-served-entity` header) and
 * show in monitoring → delete after typing the name. Skipped without Chromium.
 */
import { assert, assertEquals } from "../assert.ts";
import { decodePng, encodePng } from "@/lib/image/png.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

const FIX = new URL("../fixtures/onnx/tiny_classifier/", import.meta.url).pathname;
const VAL = "/Volumes/main/lakevision/data/datasets/pets/val";

/**
 * A 200×150 picture (sky, grass, a sun) so the drawing is easy to judge in the screenshot; under
 * 256 px, so the smoke test draws it pixelated.
 */
function picture(): Uint8Array {
  const w = 200, h = 150, data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sun = (x - 150) ** 2 + (y - 38) ** 2 < 360;
      const c = sun ? [250, 204, 21] : y > 106 ? [34, 140 + (x % 20), 60] : [96, 165, 250 - y / 2];
      data.set([c[0], c[1], Math.round(c[2]), 255], 4 * (y * w + x));
    }
  }
  return encodePng({ width: w, height: h, channels: 4, data });
}

/** Share of the pixels of an RGB(A) screenshot that are not near-white. */
function inkShare(png: Uint8Array): number {
  const img = decodePng(png);
  const n = img.width * img.height, ch = img.channels;
  let ink = 0;
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [img.data[i * ch], img.data[i * ch + 1], img.data[i * ch + 2]];
    if (Math.min(r, g, b) < 235) ink++;
  }
  return ink / n;
}

Deno.test({
  name:
    "[browser] deployments: import → deploy locally → smoke test drawn on the image → 50/50 split reaches both → delete",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await startSession({ OMP_NUM_THREADS: "2" });
    try {
      const dir = `${s.dataDir}/volumes${VAL.slice("/Volumes".length)}/dog`;
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeFile(`${dir}/garden.png`, picture());
      const page = await s.newPage();
      /** Waits (polling the JSON API, not the page) until the endpoint serves `entities`, then opens its page. */
      const isReady = async (entities: number) => {
        const until = Date.now() + 60_000;
        while (Date.now() < until) {
          const r = await fetch(`${s.baseUrl}/api/endpoints/tiny-ep`);
          const { endpoint: e } = await r.json();
          if (
            e?.state === "READY" && e.configUpdate !== "IN_PROGRESS" &&
            e.entities.length === entities
          ) {
            await page.goto(`${s.baseUrl}/deployments/tiny-ep`, { waitUntil: "networkidle" });
            await waitHydrated(page);
            return;
          }
          await new Promise((r) => setTimeout(r, 300));
        }
        throw new Error("tiny-ep did not become READY in 60 s");
      };

      await t.step("import two versions of the tiny classifier through /models", async () => {
        for (const alias of ["champion", ""]) {
          await page.goto(`${s.baseUrl}/models`, { waitUntil: "networkidle" });
          await page.setInputFiles("#imp-onnx", `${FIX}model.onnx`);
          await page.setInputFiles("#imp-json", `${FIX}model.json`);
          await page.fill("#imp-name", "main.cv.tiny");
          await page.fill("#imp-aliases", alias);
          await page.fill("#imp-tags", `lakevision.val_dataset=${VAL}`);
          await Promise.all([
            page.waitForURL(/\/models\/main\.cv\.tiny\/\d/),
            page.click('#import button[type="submit"]'),
          ]);
        }
        assert((await page.textContent("main"))?.includes("main.cv.tiny v2"));
      });

      await t.step("create the endpoint after reviewing the exact request", async () => {
        await page.goto(`${s.baseUrl}/deployments`, { waitUntil: "networkidle" });
        await waitHydrated(page);
        assertEquals(await page.inputValue("#ep-ref"), "main.cv.tiny@1", "starts at @champion");
        assertEquals(await page.inputValue("#ep-name"), "tiny-ep", "named after the model");
        assert(await page.isChecked('input[name="scale_to_zero"]'), "scale to zero starts on");
        await s.screenshot(page, "deployments-form");
        await page.click('button[value="review"]');
        await page.waitForSelector("#review-title");
        const text = await page.textContent("main") ?? "";
        assert(text.includes("POST /api/2.0/serving-endpoints"), text.slice(0, 400));
        await s.screenshot(page, "deployments-review");
        await Promise.all([
          page.waitForURL(/\/deployments\/tiny-ep\?notice=/),
          page.click('button[value="deploy"]'),
        ]);
        await isReady(1);
        const facts = await page.textContent("[data-runtime]") ?? "";
        assert(/Provider\s*cpu/.test(facts), facts);
        assert(/Warm-up\s*\d+ ms/.test(facts), facts);
        await s.screenshot(page, "deployments-detail");
      });

      await t.step("the smoke test draws the answer on a validation image", async () => {
        await Promise.all([
          page.waitForURL(/\?smoke=/),
          page.click('text="Run smoke test"'),
        ]);
        await page.waitForSelector('svg[data-overlay="classification"] [data-kind="top-k"] text');
        const drawn = await page.$$eval(
          'svg[data-overlay="classification"] [data-kind="top-k"] text',
          (ts) => ts.map((t) => t.textContent ?? ""),
        );
        assertEquals(drawn.length, 4, drawn.join());
        assert(drawn.every((d) => /^(cat|dog|bird|fish) \d+\.\d%$/.test(d)), drawn.join());
        const loaded = await page.$eval(
          'svg[data-overlay="classification"] image',
          (i) => (i as SVGImageElement).href.baseVal,
        );
        const img = await fetch(s.baseUrl + loaded);
        assertEquals(img.status, 200);
        assertEquals(img.headers.get("content-type"), "image/png");
        await img.body?.cancel();
        const text = await page.textContent("#smoke") ?? "";
        assert(/Answered in \d+\.\d ms/.test(text), text.slice(0, 300));
        await s.screenshot(page, "deployments-smoke");
        // The small image is drawn pixelated by a class: an inline style would be refused by
        // the CSP and logged as a console error.
        const pixelated = await page.$eval(
          'svg[data-overlay="classification"] image',
          (i) => getComputedStyle(i).imageRendering,
        );
        assertEquals(pixelated, "pixelated");
        assertEquals(realErrors(page), [], "the endpoint page logs no console errors");
      });

      await t.step(
        "a batch over the validation folder shows each photo under its prediction",
        async () => {
          const started = await fetch(`${s.baseUrl}/api/batch`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              model: "main.cv.tiny",
              version: "1",
              input: { kind: "folder", path: VAL },
            }),
          });
          assertEquals(started.status, 201);
          const { batch } = await started.json();
          const until = Date.now() + 60_000;
          for (;;) {
            const b = (await (await fetch(`${s.baseUrl}/api/batch/${batch.id}`)).json()).batch;
            if (b.status === "succeeded") break;
            if (b.status === "failed" || Date.now() > until) {
              throw new Error(`batch ${b.status}: ${b.message}`);
            }
            await new Promise((r) => setTimeout(r, 200));
          }
          await page.goto(`${s.baseUrl}/deployments/batch/${batch.id}`, {
            waitUntil: "networkidle",
          });
          // The drawn prediction, and every image of the gallery loaded.
          const shown = page.locator('figure img[alt$="with its prediction"]').first();
          await shown.waitFor();
          await page.waitForFunction(() =>
            [...document.querySelectorAll<HTMLImageElement>("figure img")]
              .every((i) => i.complete && i.naturalWidth > 0)
          );
          await s.screenshot(page, "deployments-batch-done");
          const box = (await shown.boundingBox())!;
          assert(box.width > 100 && box.height > 50, JSON.stringify(box));
          // Below the top-classes band the photo itself shows (sky and grass, not white).
          const lower = await page.screenshot({
            clip: {
              x: box.x,
              y: box.y + box.height * 0.55,
              width: box.width,
              height: box.height * 0.4,
            },
          });
          const share = inkShare(lower);
          assert(share > 0.95, `only ${(share * 100).toFixed(1)}% of the photo's pixels are drawn`);
          assertEquals(realErrors(page), [], "the batch page logs no console errors");
          await page.goto(`${s.baseUrl}/deployments/tiny-ep`, { waitUntil: "networkidle" });
        },
      );

      await t.step("change it in place to a 50/50 split of v1 and v2", async () => {
        await Promise.all([page.waitForURL(/edit=tiny-ep/), page.click('text="Change…"')]);
        await page.selectOption("#ep-ref2", "main.cv.tiny@2");
        await page.fill("#ep-traffic", "50");
        await page.click('button[value="review"]');
        await page.waitForSelector("#review-title");
        const text = await page.textContent("main") ?? "";
        assert(text.includes("update tiny-ep in place"), text.slice(0, 300));
        assert(text.includes("PUT /api/2.0/serving-endpoints/tiny-ep/config"), text.slice(0, 600));
        await s.screenshot(page, "deployments-review-update");
        await Promise.all([
          page.waitForURL(/notice=Updated/),
          page.click('button[value="deploy"]'),
        ]);
        await isReady(2);
        const traffic = await page.$$eval(
          "[data-traffic]",
          (els) => els.map((e) => `${e.getAttribute("data-traffic")} ${e.textContent?.trim()}`),
        );
        assertEquals(traffic, ["tiny-1 50%", "tiny-2 50%"]);
      });

      await t.step("requests through the app's proxy reach both versions", async () => {
        const served: string[] = await page.evaluate(async () => {
          const png = await (await fetch(
            (document.querySelector("svg[data-overlay] image") as SVGImageElement).href.baseVal,
          )).arrayBuffer();
          let bin = "";
          for (const b of new Uint8Array(png)) bin += String.fromCharCode(b);
          const body = JSON.stringify({
            dataframe_split: { columns: ["image"], data: [[btoa(bin)]] },
          });
          const out: string[] = [];
          for (let i = 0; i < 40; i++) {
            const r = await fetch("/api/endpoints/tiny-ep/invoke", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body,
            });
            out.push(r.ok ? r.headers.get("x-served-entity") ?? "?" : `HTTP ${r.status}`);
          }
          return out;
        });
        const counts = served.reduce<Record<string, number>>(
          (a, x) => ({ ...a, [x]: (a[x] ?? 0) + 1 }),
          {},
        );
        assertEquals(Object.keys(counts).sort(), ["tiny-1", "tiny-2"], JSON.stringify(counts));
        await page.reload({ waitUntil: "networkidle" });
        await waitHydrated(page);
        const summary = await page.textContent('[data-metrics="summary"]') ?? "";
        const n = Number(/Requests \(\d+ min\)\s*(\d+)/.exec(summary)?.[1] ?? 0);
        assert(n >= 40, summary);
        await page.waitForSelector('[data-chart="endpoint-requests"] canvas');
        await s.screenshot(page, "deployments-split");
        assertEquals(realErrors(page), []);
      });

      await t.step("delete only after typing the name", async () => {
        await Promise.all([page.waitForURL(/\/delete$/), page.click('text="Delete…"')]);
        await page.fill('input[name="confirm"]', "tiny");
        await page.click('button:has-text("Delete tiny-ep")');
        await page.waitForSelector("#confirm-error");
        await s.screenshot(page, "deployments-delete-wrong");
        await page.fill('input[name="confirm"]', "tiny-ep");
        await Promise.all([
          page.waitForURL(/\/deployments\?notice=Deleted/),
          page.click('button:has-text("Delete tiny-ep")'),
        ]);
        const text = await page.textContent("main") ?? "";
        assert(text.includes("Deleted tiny-ep.") && text.includes("No serving endpoints yet"));
        await s.screenshot(page, "deployments-deleted");
        // The one expected failure: the wrong name's page answers 400 on purpose.
        assertEquals(realErrors(page), [
          "console: Failed to load resource: the server responded with a status of 400 (Bad Request)",
        ]);
      });
      await t.step("cost rates are editable estimates in Settings", async () => {
        await page.goto(`${s.baseUrl}/settings`, { waitUntil: "networkidle" });
        await Promise.all([
          page.waitForURL(/\/settings\/rates$/),
          page.click('text="Endpoint cost rates →"'),
        ]);
        assert(
          (await page.textContent("main"))?.includes(
            "editable estimates, not your contract prices",
          ),
        );
        await page.fill('input[name="dbu.CPU.Small"]', "-1");
        await page.click('button[value="save"]');
        await page.waitForSelector('input[name="dbu.CPU.Small"][aria-invalid="true"]');
        await s.screenshot(page, "deployments-rates");
      });
    } catch (e) {
      console.error(s.serverLog().slice(-4000));
      throw e;
    } finally {
      await s.close();
    }
  },
});

/**
 * Page errors that are the app's: a load aborted because the page navigated away (its own
 * refresh while NOT_READY, or the test opening the next page) is not one.
 */
function realErrors(page: { errors: string[] }): string[] {
  return page.errors.filter((e) => !/^requestfailed: .* net::ERR_ABORTED$/.test(e));
}
