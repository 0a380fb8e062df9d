/**
 * The Inference Playground in headless Chromium on the local workspace: import the tiny
 * classifier exported by jobs/ through the /models import form, open /inference, choose it, drop
 * a generated PNG, run on WASM, and check the top-k shown and the page's lv-results JSON agree
 * with lib/inference run in Deno on onnxruntime-node for the same pixels (and with PyTorch +
 * jobs/ via expected.json); top-k re-filters without a new inference; the JSON download equals
 * lv-results; WebGPU is reported unavailable (headless has none); a 127.0.0.1 image URL is refused;
 * the in-browser session is told to History once, and /history shows it.
 */
import * as ortNode from "onnxruntime-node";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { toServingEntry } from "@/lib/inference/contract.ts";
import { parseModelJson } from "@/lib/inference/model_json.ts";
import { decodeOutputs, type OutputTensor } from "@/lib/inference/postprocess.ts";
import { preprocess } from "@/lib/inference/preprocess.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

const FIX = new URL("../fixtures/onnx/tiny_classifier/", import.meta.url);
const ONNX = await Deno.readFile(new URL("model.onnx", FIX));
const MODEL_JSON = await Deno.readTextFile(new URL("model.json", FIX));
const EXPECTED = JSON.parse(await Deno.readTextFile(new URL("expected.json", FIX)));
/** Scores agree to this (float32 runtimes; the contract rounds to 6 decimals). */
const TOL = 2e-6;

/** generate.py's test_image: RGBA (7x + 3y, xy, 255 − 5x) mod 256, opaque. */
function testImage(w: number, h: number) {
  const data = new Uint8Array(w * h * 4);
  const mod = (v: number) => ((v % 256) + 256) % 256;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      data.set([mod(7 * x + 3 * y), mod(x * y), mod(255 - 5 * x), 255], 4 * (y * w + x));
    }
  }
  return { width: w, height: h, data };
}

/** What lib/inference answers for the image in Deno, on onnxruntime-node (the server's path). */
async function serverAnswer(image: ReturnType<typeof testImage>) {
  const meta = parseModelJson(MODEL_JSON);
  const x = preprocess(image, meta);
  const session = await ortNode.InferenceSession.create(ONNX);
  const out = await session.run({
    [meta.input.name]: new ortNode.Tensor("float32", x.tensor, x.dims),
  });
  await session.release();
  const outputs: Record<string, OutputTensor> = {};
  for (const [k, t] of Object.entries(out)) {
    outputs[k] = { data: t.data as Float32Array, dims: t.dims };
  }
  const ctx = { width: image.width, height: image.height };
  return toServingEntry(decodeOutputs(outputs, meta, ctx), ctx) as {
    top_k: { label: number; label_name: string; score: number }[];
  };
}

type TopK = { label: number; label_name: string; score: number }[];
function assertTopK(got: TopK, want: TopK, what: string) {
  assertEquals(got.map((t) => t.label_name), want.map((t) => t.label_name), what);
  got.forEach((t, i) =>
    assert(Math.abs(t.score - want[i].score) <= TOL, `${what}: ${t.score} vs ${want[i].score}`)
  );
}

Deno.test({
  name:
    "[playground browser] the tiny classifier runs on WASM and agrees with lib/inference on onnxruntime-node",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const image = testImage(EXPECTED.image.width, EXPECTED.image.height);
    const want = await serverAnswer(image);
    // The server's answer is PyTorch + jobs/'s too.
    assertTopK(want.top_k, EXPECTED.prediction.top_k, "onnxruntime-node vs PyTorch");
    const s = await startSession();
    const tmp = await Deno.makeTempDir({ prefix: "lv-playground-" });
    try {
      const pngPath = `${tmp}/pattern.png`;
      await Deno.writeFile(pngPath, encodePng({ ...image, channels: 4 }));
      await Deno.writeFile(`${tmp}/model.onnx`, ONNX);
      await Deno.writeTextFile(`${tmp}/model.json`, MODEL_JSON);

      const page = await s.newPage();
      // Import through the Model Registry's form, as a person would.
      await page.goto(`${s.baseUrl}/models`);
      await waitHydrated(page);
      const form = page.locator("form", { has: page.locator('input[name="model_json"]') });
      await form.locator('input[name="name"]').fill("main.cv.tiny");
      await form.locator('input[name="onnx"]').setInputFiles(`${tmp}/model.onnx`);
      await form.locator('input[name="model_json"]').setInputFiles(`${tmp}/model.json`);
      await Promise.all([
        page.waitForURL(/\/models\/main\.cv\.tiny/),
        form.locator('button[type="submit"]').click(),
      ]);

      const sessionPosts: string[] = [];
      page.on("request", (r) => {
        if (new URL(r.url()).pathname === "/api/inference/sessions") {
          sessionPosts.push(`${r.method()} ${r.postData()}`);
        }
      });
      await page.goto(`${s.baseUrl}/inference`);
      await waitHydrated(page);
      await s.screenshot(page, "inference-empty");
      const gpu = page.getByTestId("webgpu-status");
      await page.waitForFunction(() =>
        !document.querySelector('[data-testid="webgpu-status"]')?.textContent?.includes("Checking")
      );
      assertStringIncludes(await gpu.innerText(), "WebGPU unavailable");
      assert(
        await page.locator('input[name="backend-a"][value="webgpu"]').isDisabled(),
        "WebGPU is not offered",
      );
      const scripts = await page.evaluate(() =>
        performance.getEntriesByType("resource").map((e) => e.name)
      );
      assert(
        !scripts.some((u) => /ort\.|ort_browser|\/ort\//.test(u)),
        `no onnxruntime before a choice: ${scripts}`,
      );

      await page.selectOption("#lv-model-a", "version:main.cv.tiny:1");
      await page.getByTestId("model-size").waitFor();
      assertStringIncludes(
        await page.getByTestId("model-size").innerText(),
        `${(ONNX.byteLength / 1024).toFixed(1)} KB`,
      );
      await page.locator('input[type="file"][name="images"]').setInputFiles(pngPath);
      await page.getByTestId("thumbs").waitFor();
      // History hears of the session after the first answer in the browser, not before.
      assertEquals(sessionPosts, [], "nothing logged on page load or model choice");
      const logged = page.waitForResponse(
        (r) => new URL(r.url()).pathname === "/api/inference/sessions",
        { timeout: 60_000 },
      );
      await page.getByTestId("run").click();
      await page.locator("#lv-results").waitFor({ state: "attached", timeout: 60_000 });
      assertEquals(await page.getByTestId("backend-a").innerText(), "WASM");
      assertEquals((await logged).status(), 200);

      const results = JSON.parse(await page.locator("#lv-results").textContent() ?? "{}");
      assertEquals(results.predictions.length, 1);
      assertTopK(results.predictions[0].top_k, want.top_k, "browser vs server");
      const shown = await page.locator('[data-testid="topk"] li').evaluateAll((els) =>
        els.map((e) => (e as HTMLElement).dataset.label)
      );
      assertEquals(shown, want.top_k.map((t) => t.label_name));
      const timings = await page.getByTestId("loaded-a").innerText();
      const latency = await page.getByTestId("latency").first().innerText();
      console.log(`WASM in headless Chromium: ${timings}; inference ${latency}`);
      await s.screenshot(page, "inference-result");

      // Top-k re-decodes the kept outputs: the lv-results JSON changes, the model is not run again.
      const inferences = await page.evaluate(() => performance.getEntriesByType("resource").length);
      await page.fill('input[name="top_k"]', "2");
      await page.locator('input[name="top_k"]').press("Tab");
      await page.waitForFunction(() =>
        JSON.parse(document.getElementById("lv-results")?.textContent ?? "{}").predictions?.[0]
          ?.top_k?.length === 2
      );
      assertEquals(await page.locator('[data-testid="topk"] li').count(), 2);
      assertEquals(
        await page.evaluate(() => performance.getEntriesByType("resource").length),
        inferences,
      );

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.locator('[data-download="json-a"]').click(),
      ]);
      const saved = JSON.parse(await Deno.readTextFile((await download.path())!));
      assertEquals(saved, JSON.parse(await page.locator("#lv-results").textContent() ?? "{}"));

      // Running the same model again is the same session: History is not told twice.
      await page.getByTestId("run").click();
      await page.waitForFunction(() => {
        const b = document.querySelector<HTMLButtonElement>('[data-testid="run"]');
        return b && !b.disabled && b.textContent?.startsWith("Run on");
      });
      assertEquals(sessionPosts, [
        `POST ${JSON.stringify({ model: "version:main.cv.tiny:1", backend: "wasm" })}`,
      ]);

      // The server refuses to fetch from its own loopback, and the page says why.
      await page.fill("#lv-url", `${s.baseUrl}/favicon.svg`);
      await page.getByRole("button", { name: "Fetch" }).click();
      await page.getByText("loopback").waitFor();
      await s.screenshot(page, "inference-url-refused");

      // A deep link preselects the model.
      const deep = await s.newPage();
      await deep.goto(`${s.baseUrl}/inference?model=main.cv.tiny&version=1&backend=wasm`);
      await waitHydrated(deep);
      await deep.getByTestId("model-size").waitFor();
      assertEquals(await deep.locator("#lv-model-a").inputValue(), "version:main.cv.tiny:1");

      // History shows the in-browser session, and its link opens the Playground on that model.
      const history = await s.newPage();
      await history.goto(`${s.baseUrl}/history?type=inference`);
      const row = history.locator('tr[data-type="inference"]', {
        hasText: "inference:version:main.cv.tiny:1",
      });
      assertEquals(await row.count(), 1);
      assertStringIncludes(await row.innerText(), "started inference session");
      const api = await (await fetch(`${s.baseUrl}/api/history?type=inference`)).json();
      assertEquals(
        api.items.map((a: { subject: string; details: unknown }) => [a.subject, a.details]),
        [["inference:version:main.cv.tiny:1", { backend: "wasm" }]],
      );
      await s.screenshot(history, "inference-history-session");
      await Promise.all([
        history.waitForURL(/\/inference\?model=/),
        row.getByRole("link").click(),
      ]);
      await waitHydrated(history);
      await history.getByTestId("model-size").waitFor();
      assertEquals(await history.locator("#lv-model-a").inputValue(), "version:main.cv.tiny:1");
      const errors = realErrors([...page.errors, ...deep.errors, ...history.errors]).filter((e) =>
        !e.includes("/api/inference/fetch-url") && !e.includes("403")
      );
      assertEquals(errors, []);
    } catch (e) {
      console.log(s.serverLog().slice(-3000));
      throw e;
    } finally {
      await s.close();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "[playground browser] compare mode draws a segmenter's mask twice, agreeing with lib/inference on onnxruntime-node",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const SEG = new URL("../fixtures/onnx/tiny_segmenter/", import.meta.url);
    const onnx = await Deno.readFile(new URL("model.onnx", SEG));
    const json = await Deno.readTextFile(new URL("model.json", SEG));
    const image = testImage(50, 37);
    const meta = parseModelJson(json);
    const x = preprocess(image, meta);
    const session = await ortNode.InferenceSession.create(onnx);
    const out = await session.run({
      [meta.input.name]: new ortNode.Tensor("float32", x.tensor, x.dims),
    });
    await session.release();
    const outputs: Record<string, OutputTensor> = {};
    for (const [k, t] of Object.entries(out)) {
      outputs[k] = { data: t.data as BigInt64Array, dims: t.dims };
    }
    const want = decodeOutputs(outputs, meta, { width: 50, height: 37 }) as { mask: Uint8Array };

    const s = await startSession();
    const tmp = await Deno.makeTempDir({ prefix: "lv-playground-" });
    try {
      const fd = new FormData();
      fd.set("action", "import");
      fd.set("name", "main.cv.seg");
      fd.set("onnx", new File([onnx], "model.onnx"));
      fd.set("model_json", new File([json], "model.json"));
      const imported = await fetch(`${s.baseUrl}/models`, { method: "POST", body: fd });
      await imported.body?.cancel();
      assert(imported.ok, `import answered ${imported.status}`);
      const pngPath = `${tmp}/pattern.png`;
      await Deno.writeFile(pngPath, encodePng({ ...image, channels: 4 }));

      const page = await s.newPage();
      const key = "version:main.cv.seg:1";
      await page.goto(
        `${s.baseUrl}/inference?model=main.cv.seg&version=1&compare=${encodeURIComponent(key)}`,
      );
      await waitHydrated(page);
      await page.locator('[data-slot="b"] [data-testid="model-size"]').waitFor();
      await page.locator('input[type="file"][name="images"]').setInputFiles(pngPath);
      await page.getByTestId("thumbs").waitFor();
      await page.getByTestId("run").click();
      await page.locator("#lv-results-b").waitFor({ state: "attached", timeout: 60_000 });
      assertEquals(
        await page.getByTestId("disagreement").innerText(),
        "Both models agree on this image.",
      );
      const { decodePng } = await import("@/lib/image/png.ts");
      const got =
        JSON.parse(await page.locator("#lv-results").textContent() ?? "{}").predictions[0];
      const mask = decodePng(Uint8Array.from(atob(got.mask_png), (c) => c.charCodeAt(0))).data;
      let same = 0;
      for (let i = 0; i < mask.length; i++) if (mask[i] === want.mask[i]) same++;
      // argmax of near-equal logits may flip between runtimes (jobs/ verify_onnx allows 1 %).
      assert(same / mask.length >= 0.99, `${same} of ${mask.length} pixels agree with the server`);
      assertStringIncludes(await page.getByTestId("summary").first().innerText(), "classes:");
      await page.locator('input[name="opacity"]').fill("0.8");
      await s.screenshot(page, "inference-compare-segmentation");
      assertEquals(realErrors(page.errors), []);
    } catch (e) {
      console.log(s.serverLog().slice(-3000));
      throw e;
    } finally {
      await s.close();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

/**
 * Console errors and failed requests, less requests the browser itself cancelled
 * (`net::ERR_ABORTED`: a navigation or a busy machine ending a favicon or duplicate fetch); a
 * request the app answered badly still counts.
 */
function realErrors(errors: string[]): string[] {
  return errors.filter((e) => !/^requestfailed: .* net::ERR_ABORTED$/.test(e));
}
