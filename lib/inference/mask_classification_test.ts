import { assertEquals } from "@/tests/assert.ts";
import { parseModelJson } from "@/lib/inference/model_json.ts";
import { sampleModelJson } from "@/lib/inference/onnx_testing.ts";
import {
  decodeOutputs,
  type DetectionPrediction,
  type SegmentationPrediction,
} from "@/lib/inference/postprocess.ts";

/** Two classes (a, b) + no object; masks and input are 1 × w. */
function run(task: string, cls: number[][], masks: number[][], w: number, threshold = 0.3) {
  const meta = parseModelJson(sampleModelJson({
    task,
    labels: ["a", "b"],
    outputs: undefined,
    input: { ...(sampleModelJson().input as object), height: 1, width: w },
    defaults: { confidence_threshold: threshold },
    decoding: { type: "mask_classification", task, class_probs: "c", mask_probs: "m" },
  }));
  return decodeOutputs(
    {
      c: { data: new Float32Array(cls.flat()), dims: [1, cls.length, 3] },
      m: { data: new Float32Array(masks.flat()), dims: [1, masks.length, 1, w] },
    },
    meta,
    { width: w, height: 1 },
  );
}

Deno.test("[mask_classification] semantic: argmax over classes of Σ_q p(q,c)·m(q), no-object left out", () => {
  const p = run(
    "semantic_segmentation",
    [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]],
    [[1, 0], [0, 1]],
    2,
  ) as SegmentationPrediction;
  assertEquals(Array.from(p.mask), [0, 1]);
  assertEquals(p.classes, [0, 1]);
});

Deno.test("[mask_classification] panoptic: a segment keeping < 80 % of its mask is dropped, its pixels void", () => {
  const p = run(
    "panoptic_segmentation",
    [[0.9, 0.05, 0.05], [0.02, 0.95, 0.03], [0.1, 0.1, 0.8]],
    [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1]],
    5,
  ) as SegmentationPrediction;
  // Query 1 (b, 0.95) outbids query 0 (a, 0.9) on pixels 2–4; query 0 keeps 2/5 < 0.8; query 2
  // is "no object".
  assertEquals(Array.from(p.mask), [255, 255, 1, 1, 1]);
  assertEquals(p.classes, [1]);
});

Deno.test("[mask_classification] instance: (query, class) pairs rescored by mask confidence, boxes from masks", () => {
  const p = run(
    "instance_segmentation",
    [[0.6, 0.3, 0.1]],
    [[0.9, 0.7, 0.2, 0.1]],
    4,
  ) as DetectionPrediction;
  // mask confidence (0.9 + 0.7) / 2 = 0.8: scores 0.48 (a) and 0.24 (b, below 0.3).
  assertEquals(p.scores, [0.48]);
  assertEquals(p.labels, [0]);
  assertEquals(p.boxes, [[0, 0, 2, 1]]);
  assertEquals(Array.from(p.masks![0]), [1, 1, 0, 0]);
});
