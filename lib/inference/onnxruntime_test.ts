/**
 * End to end on real exported models with onnxruntime-web (WASM, as the Playground runs it):
 * read + check the graph, preprocess, run, decode, and compare with PyTorch's outputs and jobs/'s
 * answer for the same image (tests/fixtures/onnx/*\/expected.json, written by generate.py).
 */
import * as ort from "onnxruntime-web";
import { assert, assertEquals } from "@/tests/assert.ts";
import { decodePng } from "@/lib/image/png.ts";
import { checkModelFits } from "@/lib/inference/check_model.ts";
import { toServingEntry } from "@/lib/inference/contract.ts";
import { parseModelJson } from "@/lib/inference/model_json.ts";
import { readOnnxGraph } from "@/lib/inference/onnx_graph.ts";
import { decodeOutputs, type OutputTensor } from "@/lib/inference/postprocess.ts";
import { preprocess } from "@/lib/inference/preprocess.ts";

const FIXTURES = new URL("../../tests/fixtures/onnx/", import.meta.url);
ort.env.wasm.numThreads = 1;

/** generate.py's test_image: RGBA (7x + 3y, xy, 255 − 5x) mod 256, opaque. */
function testImage(w: number, h: number) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const mod = (v: number) => ((v % 256) + 256) % 256;
      data.set([mod(7 * x + 3 * y), mod(x * y), mod(255 - 5 * x), 255], 4 * (y * w + x));
    }
  }
  return { width: w, height: h, data };
}

async function runFixture(dir: string) {
  const bytes = await Deno.readFile(new URL(`${dir}/model.onnx`, FIXTURES));
  const meta = parseModelJson(await Deno.readTextFile(new URL(`${dir}/model.json`, FIXTURES)));
  const expected = JSON.parse(await Deno.readTextFile(new URL(`${dir}/expected.json`, FIXTURES)));
  checkModelFits(readOnnxGraph(bytes), meta);
  const image = testImage(expected.image.width, expected.image.height);
  const x = preprocess(image, meta);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const out = await session.run({ [meta.input.name]: new ort.Tensor("float32", x.tensor, x.dims) });
  await session.release();
  const outputs = Object.fromEntries(
    Object.entries(out).map(([k, t]) => [k, { data: t.data, dims: t.dims } as OutputTensor]),
  );
  const ctx = { width: image.width, height: image.height };
  return { meta, expected, outputs, entry: toServingEntry(decodeOutputs(outputs, meta, ctx), ctx) };
}

Deno.test("[onnxruntime] the exported classifier answers in the browser runtime as PyTorch + jobs/ do", async () => {
  const { expected, outputs, entry } = await runFixture("tiny_classifier");
  const ref: number[] = expected.outputs.logits.data;
  const got = Array.from(outputs.logits.data as Float32Array);
  assertEquals(outputs.logits.dims, expected.outputs.logits.dims);
  const diff = Math.max(...got.map((v, i) => Math.abs(v - ref[i])));
  assert(diff < 1e-4, `logits differ by ${diff}`);
  const top = (entry as { top_k: { label: number; score: number }[] }).top_k;
  const want: { label: number; score: number }[] = expected.prediction.top_k;
  assertEquals(top.map((t) => t.label), want.map((t) => t.label));
  top.forEach((t, i) =>
    assert(Math.abs(t.score - want[i].score) <= 2e-6, `${t.score} vs ${want[i].score}`)
  );
});

Deno.test("[onnxruntime] the exported segmenter's int64 mask decodes to jobs/'s class PNG", async () => {
  const { expected, outputs, entry } = await runFixture("tiny_segmenter");
  assert(outputs.mask.data instanceof BigInt64Array);
  const seg = entry as { mask_png: string; classes: number[]; width: number; height: number };
  const ref = expected.prediction;
  assertEquals([seg.width, seg.height, seg.classes], [ref.width, ref.height, ref.classes]);
  const mine = decodePng(Uint8Array.from(atob(seg.mask_png), (c) => c.charCodeAt(0))).data;
  const theirs = decodePng(Uint8Array.from(atob(ref.mask_png), (c) => c.charCodeAt(0))).data;
  let same = 0;
  for (let i = 0; i < mine.length; i++) if (mine[i] === theirs[i]) same++;
  // argmax of near-equal logits may flip between runtimes (jobs/ verify_onnx allows 1 %).
  assert(same / mine.length >= 0.99, `${same} of ${mine.length} pixels agree`);
});
