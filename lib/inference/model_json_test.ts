import { assert, assertEquals, assertThrows } from "@/tests/assert.ts";
import { BadRequestError } from "@/lib/errors.ts";
import {
  labelNames,
  type ModelJson,
  outputActivation,
  parseModelJson,
} from "@/lib/inference/model_json.ts";

import { sampleModelJson as clsMeta } from "@/lib/inference/onnx_testing.ts";

const FIXTURES = new URL("../../tests/fixtures/onnx/", import.meta.url);

function message(fn: () => unknown): string {
  return assertThrows(fn, BadRequestError).message;
}

Deno.test("[model_json] the model.json files jobs/export_onnx.py wrote parse and keep unknown fields", async () => {
  for (const dir of ["tiny_classifier", "tiny_segmenter"]) {
    const text = await Deno.readTextFile(new URL(`${dir}/model.json`, FIXTURES));
    const m = parseModelJson(text, `${dir}/model.json`);
    const raw = JSON.parse(text);
    assertEquals(m.task, raw.task);
    assertEquals(labelNames(m), raw.labels);
    assertEquals(m.input.height, raw.input.height);
    // Fields the schema does not name survive (exporter, torch_version, onnx_bytes, ...).
    assertEquals((m as Record<string, unknown>).exporter, raw.exporter);
    assertEquals((m as Record<string, unknown>).onnx_bytes, raw.onnx_bytes);
    assertEquals(m.verification?.verified, false);
  }
});

Deno.test("[model_json] defaults fill in what jobs/ always writes, so hand-written files may omit it", () => {
  const m = parseModelJson({
    task: "detection",
    labels: ["a"],
    input: { name: "x", height: 4, width: 4, mean: [0, 0, 0], std: [1, 1, 1] },
    decoding: { type: "detection", boxes: "b", scores: "s", labels: "l" },
  });
  assertEquals(m.input.layout, "NCHW");
  assertEquals(m.input.color, "RGB");
  assertEquals(m.input.scale, 1 / 255);
  assertEquals(m.input.batch, "dynamic");
  assert(m.decoding.type === "detection");
  assertEquals(m.decoding.box_format, "xyxy");
  assertEquals(outputActivation(m), "none");
});

Deno.test("[model_json] malformed JSON names the line and column", () => {
  const msg = message(() => parseModelJson('{\n  "task": "classification",\n}', "my.json"));
  assert(msg.startsWith("my.json is not valid JSON"), msg);
  assert(/line 3 column 1/.test(msg), msg);
});

Deno.test("[model_json] each bad field is named by its path with what is wrong", () => {
  const input = clsMeta().input as Record<string, unknown>;
  const msg = message(() =>
    parseModelJson(clsMeta({ input: { ...input, std: [1, 0, 1], height: -2 } }))
  );
  assert(msg.includes("input.std[1]: must be > 0"), msg);
  assert(msg.includes("input.height:"), msg);
  const missing = message(() =>
    parseModelJson(clsMeta({ decoding: { type: "detection", boxes: "b" } }))
  );
  assert(missing.includes("decoding.scores: is missing (expected string)"), missing);
  const kind = message(() => parseModelJson(clsMeta({ decoding: { type: "yolo" } })));
  assert(kind.includes("decoding.type:"), kind);
  assert(kind.includes("mask_classification"), kind);
});

Deno.test("[model_json] a decoding that cannot serve the task is refused", () => {
  const msg = message(() => parseModelJson(clsMeta({ task: "detection" })));
  assert(msg.includes("decoding.type: is classification, which cannot serve task detection"), msg);
  const mc = message(() =>
    parseModelJson(clsMeta({
      task: "panoptic_segmentation",
      decoding: {
        type: "mask_classification",
        task: "semantic_segmentation",
        class_probs: "c",
        mask_probs: "m",
      },
    }))
  );
  assert(mc.includes("decoding.task: is semantic_segmentation but task is panoptic"), mc);
});

Deno.test("[model_json] labels may come as Hugging Face id2label, in label order, without gaps", () => {
  const m = parseModelJson(clsMeta({ labels: undefined, id2label: { "1": "dog", "0": "cat" } }));
  assertEquals(labelNames(m), ["cat", "dog"]);
  const gap = message(() =>
    parseModelJson(clsMeta({ labels: undefined, id2label: { "0": "cat", "2": "dog" } }))
  );
  assert(gap.includes("id2label: must number labels 0..1 without gaps; 1 is missing"), gap);
  const none = message(() => parseModelJson(clsMeta({ labels: undefined })));
  assert(none.includes("labels: is required"), none);
});

Deno.test("[model_json] category_ids must pair with labels one to one", () => {
  const msg = message(() => parseModelJson(clsMeta({ category_ids: [1, 2] })));
  assert(msg.includes("category_ids: has 2 ids for 3 labels"), msg);
  assertEquals(parseModelJson(clsMeta({ category_ids: null })).category_ids, null);
});

Deno.test("[model_json] output_activation overrides the decoding's; classification defaults to softmax", () => {
  const noAct = clsMeta({ decoding: { type: "classification", output: "logits" } });
  assertEquals(outputActivation(parseModelJson(noAct)), "softmax");
  assertEquals(outputActivation(parseModelJson({ ...noAct, output_activation: "none" })), "none");
  const sig = parseModelJson(clsMeta({ output_activation: "sigmoid" }));
  assertEquals(outputActivation(sig), "sigmoid");
  const bad = message(() => parseModelJson(clsMeta({ output_activation: "relu" })));
  assert(bad.includes("output_activation:"), bad);
});

Deno.test("[model_json] a parsed value can be parsed again (round trip is stable)", () => {
  const once: ModelJson = parseModelJson(clsMeta());
  assertEquals(parseModelJson(JSON.stringify(once)), once);
});
