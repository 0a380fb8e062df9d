import { assert, assertEquals, assertThrows } from "@/tests/assert.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { parseModelJson } from "@/lib/inference/model_json.ts";
import { sampleModelJson } from "@/lib/inference/onnx_testing.ts";
import {
  type ClassificationPrediction,
  decodeOutputs,
  decodeParams,
  type DetectionPrediction,
  type SegmentationPrediction,
} from "@/lib/inference/postprocess.ts";

/** sampleModelJson: labels cat, dog, bird; input 8 high × 6 wide. */
function meta(over: Record<string, unknown> = {}) {
  return parseModelJson(sampleModelJson(over));
}

const DET = {
  task: "detection",
  outputs: undefined,
  defaults: { confidence_threshold: 0.5, max_detections: 2 },
  decoding: { type: "detection", batch: 1, boxes: "b", scores: "s", labels: "l" },
};

Deno.test("[postprocess] classification: softmax top-k, best first, ties to the lowest label", () => {
  const logits = [Math.log(1), Math.log(3), Math.log(3), /* second image */ 5, 0, 0];
  const p = decodeOutputs({ logits: { data: new Float32Array(logits), dims: [2, 3] } }, meta(), {
    width: 10,
    height: 10,
    params: { top_k: 2 },
  }) as ClassificationPrediction;
  assertEquals(p.top_k, [
    { label: 1, label_name: "dog", score: 0.428571 },
    { label: 2, label_name: "bird", score: 0.428571 },
  ]);
  const second = decodeOutputs(
    { logits: { data: new Float32Array(logits), dims: [2, 3] } },
    meta(),
    { width: 1, height: 1, index: 1, params: { top_k: 9 } },
  ) as ClassificationPrediction;
  assertEquals(second.top_k.map((t) => t.label), [0, 1, 2]); // k capped at the class count
});

Deno.test("[postprocess] output_activation none keeps a graph's own probabilities; sigmoid is per class", () => {
  const probs = { logits: { data: new Float32Array([0.2, 0.7, 0.1]), dims: [1, 3] } };
  const none = decodeOutputs(probs, meta({ output_activation: "none" }), { width: 1, height: 1 });
  assertEquals((none as ClassificationPrediction).top_k.map((t) => t.score), [0.7, 0.2, 0.1]);
  const logits = { logits: { data: new Float32Array([0, 2, -2]), dims: [1, 3] } };
  const sig = decodeOutputs(logits, meta({ output_activation: "sigmoid" }), {
    width: 1,
    height: 1,
  });
  assertEquals((sig as ClassificationPrediction).top_k.map((t) => t.score), [
    0.880797,
    0.5,
    0.119203,
  ]);
});

Deno.test("[postprocess] detection keeps score ≥ threshold, best first, max_detections, boxes in original pixels", () => {
  const outputs = {
    b: {
      data: new Float32Array([0, 0, 3, 4, 1, 1, 2, 2, 2.25, 0, 6, 8, 0, 0, 1, 1]),
      dims: [4, 4],
    },
    s: { data: new Float32Array([0.6, 0.4, 0.9, 0.5]), dims: [4] },
    l: { data: new BigInt64Array([0n, 1n, 2n, 1n]), dims: [4] },
  };
  // input 6 × 8 → image 3 × 4: every coordinate halves.
  const p = decodeOutputs(outputs, meta(DET), { width: 3, height: 4 }) as DetectionPrediction;
  assertEquals(p, {
    boxes: [[1.12, 0, 3, 4], [0, 0, 1.5, 2]], // 2.25/2 = 1.125 rounds to even, as Python does
    scores: [0.9, 0.6],
    labels: [2, 0],
    label_names: ["bird", "cat"],
  });
  const all = decodeOutputs(outputs, meta(DET), {
    width: 6,
    height: 8,
    params: { confidence_threshold: 0.5, max_detections: 10 },
  }) as DetectionPrediction;
  assertEquals(all.scores, [0.9, 0.6, 0.5]); // 0.5 itself is kept (≥)
  assertEquals(decodeParams(meta(DET), { top_k: 1 }), {
    confidence_threshold: 0.5,
    max_detections: 2,
    top_k: 1,
  });
});

Deno.test("[postprocess] a label beyond model.json's labels or a missing output is a clear error", () => {
  const outputs = {
    b: { data: new Float32Array([0, 0, 1, 1]), dims: [1, 4] },
    s: { data: new Float32Array([0.9]), dims: [1] },
    l: { data: new Float32Array([7]), dims: [1] },
  };
  const e = assertThrows(
    () => decodeOutputs(outputs, meta(DET), { width: 6, height: 8 }),
    BadRequestError,
  );
  assert(e.message.includes("label 7, but model.json has 3 labels"), e.message);
  const missing = assertThrows(
    () => decodeOutputs({ b: outputs.b }, meta(DET), { width: 6, height: 8 }),
    BadRequestError,
  );
  assert(missing.message.includes(`no output "s" (model.json decoding.scores)`), missing.message);
});

Deno.test("[postprocess] instance masks are resized to the image bilinearly, then thresholded at 0.5", () => {
  const m = meta({
    ...DET,
    task: "instance_segmentation",
    input: { ...(sampleModelJson().input as object), height: 1, width: 2 },
    decoding: { ...DET.decoding, type: "instance_segmentation", masks: "m" },
  });
  const p = decodeOutputs(
    {
      b: { data: new Float32Array([0, 0, 2, 1]), dims: [1, 4] },
      s: { data: new Float32Array([0.8]), dims: [1] },
      l: { data: new Float32Array([1]), dims: [1] },
      m: { data: new Float32Array([0, 1]), dims: [1, 1, 2] },
    },
    m,
    { width: 4, height: 2 },
  ) as DetectionPrediction;
  assertEquals(p.boxes, [[0, 0, 4, 2]]);
  assertEquals(Array.from(p.masks![0]), [0, 0, 1, 1, 0, 0, 1, 1]);
});

Deno.test("[postprocess] a class-index mask is resized nearest; classes exclude 255; big ids use 16 bits", () => {
  const m = meta({
    task: "semantic_segmentation",
    outputs: undefined,
    labels: Array.from({ length: 300 }, (_, i) => `c${i}`),
    decoding: { type: "semantic_segmentation", output: "mask" },
  });
  const two = { mask: { data: new BigInt64Array([0n, 2n, 255n, 2n]), dims: [1, 2, 2] } };
  const p = decodeOutputs(two, m, { width: 4, height: 2 }) as SegmentationPrediction;
  assert(p.mask instanceof Uint8Array);
  assertEquals(Array.from(p.mask), [0, 0, 2, 2, 255, 255, 2, 2]);
  assertEquals([p.classes, p.width, p.height], [[0, 2], 4, 2]);
  const big = { mask: { data: new BigInt64Array([299n, 1n]), dims: [1, 1, 2] } };
  const q = decodeOutputs(big, m, { width: 2, height: 1 }) as SegmentationPrediction;
  assert(q.mask instanceof Uint16Array);
  assertEquals(q.classes, [1, 299]);
});

Deno.test("[postprocess] score maps: 1 channel is binary (sigmoid, class 1 where ≥ threshold), C channels argmax", () => {
  const m = meta({
    task: "semantic_segmentation",
    labels: ["background", "text"],
    outputs: undefined,
    output_activation: "sigmoid",
    decoding: { type: "semantic_segmentation", output: "maps", format: "scores", threshold: 0.6 },
  });
  const maps = { maps: { data: new Float32Array([-3, 0, 0.5, 3]), dims: [1, 1, 2, 2] } };
  const p = decodeOutputs(maps, m, { width: 2, height: 2 }) as SegmentationPrediction;
  assertEquals(Array.from(p.mask), [0, 0, 1, 1]); // sigmoid(0.5) = 0.62 ≥ 0.6
  assertEquals(p.classes, [0, 1]);
  const multi = meta({
    task: "semantic_segmentation",
    outputs: undefined,
    decoding: { type: "semantic_segmentation", output: "maps", format: "scores" },
  });
  // per class: [1, 3], [0, 1], [2, 3] → pixel 0 is class 2; pixel 1 ties 0 and 2: the first wins.
  const scores = { maps: { data: new Float32Array([1, 3, 0, 1, 2, 3]), dims: [1, 3, 1, 2] } };
  const a = decodeOutputs(scores, multi, { width: 2, height: 1 }) as SegmentationPrediction;
  assertEquals(Array.from(a.mask), [2, 0]);
});
