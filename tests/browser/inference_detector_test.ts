/**
 * The Playground with a detector exported by jobs/ (tests/fixtures/onnx/tiny_detector: FCOS on
 * jobs/'s TinyBackbone, NMS inside the graph) in headless Chromium on WASM: the boxes match the
 * local serving endpoint's (the app's engine on onnxruntime-node) and PyTorch's (expected.json);
 * moving the confidence slider removes boxes with no new request and no call into the ONNX
 * runtime's WebAssembly; the JSON download equals lv-results.
 */
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

const FIX = new URL("../fixtures/onnx/tiny_detector/", import.meta.url);
const ONNX = await Deno.readFile(new URL("model.onnx", FIX));
const MODEL_JSON = await Deno.readTextFile(new URL("model.json", FIX));
const EXPECTED = JSON.parse(await Deno.readTextFile(new URL("expected.json", FIX)));
/**
 * Browser vs server vs PyTorch. The contract rounds boxes to 0.01 px and scores to 1e-5; the
 * runtimes differ by < 1e-5 px before rounding (float32 kernels), so one rounding step apart.
 */
const BOX_TOL = 0.011;
const SCORE_TOL = 2e-5;

interface Detections {
  boxes: number[][];
  scores: number[];
  labels: number[];
  label_names: string[];
}

/** generate.py's detector_image(): a red rectangle, a blue disc and a green square on grey. */
export function detectorImage(w = 160, h = 120) {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let c = [200, 200, 190];
      if (x >= 14 && x <= 61 && y >= 12 && y <= 49) c = [220, 30, 30];
      if ((x - 112) ** 2 + (y - 75) ** 2 < 625) c = [30, 60, 220];
      if (x >= 25 && x <= 56 && y >= 75 && y <= 106) c = [20, 160, 40];
      data.set([c[0], c[1], c[2], 255], 4 * (y * w + x));
    }
  }
  return { width: w, height: h, data };
}

function assertSameDetections(got: Detections, want: Detections, what: string) {
  assertEquals(got.label_names, want.label_names, `${what}: labels`);
  got.scores.forEach((s, i) =>
    assert(
      Math.abs(s - want.scores[i]) <= SCORE_TOL,
      `${what}: score ${i} ${s} vs ${want.scores[i]}`,
    )
  );
  got.boxes.forEach((b, i) =>
    b.forEach((v, j) =>
      assert(
        Math.abs(v - want.boxes[i][j]) <= BOX_TOL,
        `${what}: box ${i} [${b}] vs [${want.boxes[i]}]`,
      )
    )
  );
}

/**
 * Counts calls into every function a WebAssembly instance exports (onnxruntime-web's session.run
 * is one of them); installed before the page's scripts, so the count covers the runtime.
 */
function countWasmCalls() {
  const w = globalThis as unknown as { __lvWasmCalls: number };
  w.__lvWasmCalls = 0;
  const wrap = (inst: WebAssembly.Instance) => {
    const exports: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(inst.exports)) {
      exports[k] = typeof v === "function"
        ? (...a: unknown[]) => (w.__lvWasmCalls++, (v as (...a: unknown[]) => unknown)(...a))
        : v;
    }
    return { exports } as unknown as WebAssembly.Instance;
  };
  const fix = (r: WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance) =>
    r instanceof WebAssembly.Instance ? wrap(r) : { module: r.module, instance: wrap(r.instance) };
  const inst = WebAssembly.instantiate;
  // deno-lint-ignore no-explicit-any
  (WebAssembly as any).instantiate = (...a: Parameters<typeof inst>) =>
    (inst as (...x: unknown[]) => Promise<never>)(...a).then(fix);
  const streaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = (...a: Parameters<typeof streaming>) =>
    streaming(...a).then(fix) as ReturnType<typeof streaming>;
}

Deno.test({
  name:
    "[playground browser] a jobs/-exported detector on WASM matches the local endpoint; the threshold slider drops boxes without re-running",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const image = detectorImage();
    const png = encodePng({ ...image, channels: 4 });
    const pyTorch: Detections = EXPECTED.prediction;
    assert(pyTorch.scores.length >= 5, "the fixture keeps several boxes at the default 0.5");
    const s = await startSession({ OMP_NUM_THREADS: "2" });
    const tmp = await Deno.makeTempDir({ prefix: "lv-playground-det-" });
    const t0 = performance.now();
    try {
      const fd = new FormData();
      fd.set("action", "import");
      fd.set("name", "main.cv.det");
      fd.set("onnx", new File([ONNX], "model.onnx"));
      fd.set("model_json", new File([MODEL_JSON], "model.json"));
      const imported = await fetch(`${s.baseUrl}/models`, { method: "POST", body: fd });
      await imported.body?.cancel();
      assert(imported.ok, `import answered ${imported.status}`);

      // The server's answer: a local serving endpoint for the same version.
      const created = await fetch(`${s.baseUrl}/api/endpoints`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: "det-ep",
          entities: [{ model: "main.cv.det", version: "1", trafficPercent: 100 }],
        }),
      });
      assertEquals(created.status, 201, await created.clone().text());
      await created.body?.cancel();
      const until = Date.now() + 60_000;
      for (;;) {
        const { endpoint } = await (await fetch(`${s.baseUrl}/api/endpoints/det-ep`)).json();
        if (endpoint?.state === "READY") break;
        assert(endpoint?.state !== "FAILED", `endpoint failed: ${endpoint?.message}`);
        assert(Date.now() < until, "det-ep did not become READY in 60 s");
        await new Promise((r) => setTimeout(r, 250));
      }
      let bin = "";
      for (const b of png) bin += String.fromCharCode(b);
      const invoked = await fetch(`${s.baseUrl}/api/endpoints/det-ep/invoke`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ dataframe_split: { columns: ["image"], data: [[btoa(bin)]] } }),
      });
      assertEquals(invoked.status, 200);
      assertStringIncludes(invoked.headers.get("content-type") ?? "", "application/json");
      const server: Detections = (await invoked.json()).predictions[0];
      assertSameDetections(server, pyTorch, "endpoint vs PyTorch");

      const pngPath = `${tmp}/shapes.png`;
      await Deno.writeFile(pngPath, png);
      const page = await s.newPage();
      await page.addInitScript(countWasmCalls);
      await page.goto(`${s.baseUrl}/inference?model=main.cv.det&version=1&backend=wasm`);
      await waitHydrated(page);
      await page.getByTestId("model-size").waitFor();
      await page.locator('input[type="file"][name="images"]').setInputFiles(pngPath);
      await page.getByTestId("thumbs").waitFor();
      await page.getByTestId("run").click();
      await page.locator("#lv-results").waitFor({ state: "attached", timeout: 60_000 });
      assertEquals(await page.getByTestId("backend-a").innerText(), "WASM");
      const lvResults = async () =>
        JSON.parse(await page.locator("#lv-results").textContent() ?? "{}").predictions[0];
      const browser: Detections = await lvResults();
      assertSameDetections(browser, server, "browser vs endpoint");
      assertEquals(
        await page.getByTestId("summary").first().innerText(),
        `${server.scores.length} boxes: ${summaryParts(server.label_names)}`,
      );
      assertEquals(await page.getByTestId("threshold").innerText(), "0.50");
      await s.screenshot(page, "inference-detector-0.50");

      // The slider re-decodes the kept outputs: fewer boxes, no request, no WebAssembly call.
      const calls = await page.evaluate(() =>
        (globalThis as unknown as Record<string, number>).__lvWasmCalls
      );
      assert(calls > 0, "the WebAssembly counter saw onnxruntime-web run");
      const requests: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      const slider = page.locator('input[name="confidence_threshold"]');
      for (const thr of [0.6, 0.7]) {
        const keep = pyTorch.scores.filter((v) => v >= thr).length;
        assert(keep > 0 && keep < pyTorch.scores.length, `a threshold of ${thr} drops some boxes`);
        await slider.fill(String(thr));
        await page.waitForFunction(
          (n) =>
            JSON.parse(document.getElementById("lv-results")?.textContent ?? "{}")
              .predictions?.[0]?.scores?.length === n,
          keep,
        );
        const now: Detections = await lvResults();
        assertSameDetections(now, {
          boxes: server.boxes.slice(0, keep),
          scores: server.scores.slice(0, keep),
          labels: server.labels.slice(0, keep),
          label_names: server.label_names.slice(0, keep),
        }, `threshold ${thr}`);
        assertStringIncludes(await page.getByTestId("summary").first().innerText(), `${keep} box`);
        assertEquals(await page.getByTestId("threshold").innerText(), thr.toFixed(2));
      }
      await s.screenshot(page, "inference-detector-0.70");
      assertEquals(
        await page.evaluate(() => (globalThis as unknown as Record<string, number>).__lvWasmCalls),
        calls,
        "moving the slider called into onnxruntime-web",
      );
      assertEquals(requests, [], "moving the slider sent requests");

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.locator('[data-download="json-a"]').click(),
      ]);
      const saved = JSON.parse(await Deno.readTextFile((await download.path())!));
      assertEquals(saved, JSON.parse(await page.locator("#lv-results").textContent() ?? "{}"));
      assertEquals(
        saved.predictions[0].scores.length,
        pyTorch.scores.filter((v) => v >= 0.7).length,
      );
      assertEquals(page.errors.filter((e) => !/net::ERR_ABORTED$/.test(e)), []);
      console.log(
        `detector: ${server.scores.length} boxes at 0.5, browser = endpoint within ${BOX_TOL} px / ` +
          `${SCORE_TOL}; test body ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } catch (e) {
      console.log(s.serverLog().slice(-3000));
      throw e;
    } finally {
      await s.close();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

/** results.ts summarize's "2 disc, 1 box" part: most frequent first, ties in first-seen order. */
function summaryParts(names: string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${c} ${n}`).join(", ");
}
