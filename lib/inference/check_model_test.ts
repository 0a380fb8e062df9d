import { assert, assertEquals, assertThrows } from "@/tests/assert.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { checkModelFits, modelFitProblems } from "@/lib/inference/check_model.ts";
import { parseModelJson } from "@/lib/inference/model_json.ts";
import { readOnnxGraph } from "@/lib/inference/onnx_graph.ts";
import { buildOnnxModel, sampleModelJson, type TensorSpec } from "@/lib/inference/onnx_testing.ts";

const FIXTURES = new URL("../../tests/fixtures/onnx/", import.meta.url);

function graph(inputs: TensorSpec[], outputs: TensorSpec[]) {
  return readOnnxGraph(buildOnnxModel({ inputs, outputs }));
}

const IMAGES: TensorSpec = { name: "images", dims: ["batch", 3, 8, 6] };

function meta(over: Record<string, unknown> = {}) {
  return parseModelJson(sampleModelJson(over));
}

function inputWith(fields: Record<string, unknown>) {
  return { ...(sampleModelJson().input as Record<string, unknown>), ...fields };
}

Deno.test("[check_model] the models jobs/ exported fit their own model.json", async () => {
  for (const dir of ["tiny_classifier", "tiny_segmenter"]) {
    const g = readOnnxGraph(await Deno.readFile(new URL(`${dir}/model.onnx`, FIXTURES)));
    const m = parseModelJson(await Deno.readTextFile(new URL(`${dir}/model.json`, FIXTURES)));
    checkModelFits(g, m);
  }
});

Deno.test("[check_model] a classifier whose logits have a different class count than labels is refused", () => {
  const g = graph([IMAGES], [{ name: "logits", dims: ["batch", 5] }]);
  const e = assertThrows(() => checkModelFits(g, meta()), BadRequestError);
  assert(e.message.startsWith("model.onnx does not fit model.json: (1) "), e.message);
  assert(e.message.includes("model.json has 3 labels, so expected 3"), e.message);
  assertEquals(
    modelFitProblems(graph([IMAGES], [{ name: "logits", dims: ["b", "c"] }]), meta()),
    [],
  );
});

Deno.test("[check_model] input name, channels, size and rank are each checked and all reported", () => {
  const wrongName = modelFitProblems(
    graph([{ name: "pixel_values", dims: [1, 3, 8, 6] }], [{ name: "logits", dims: [1, 3] }]),
    meta(),
  );
  assertEquals(wrongName, [`input.name is "images" but the graph's inputs are "pixel_values"`]);
  const several = modelFitProblems(
    graph([{ name: "images", dims: [1, 1, 9, 7] }], [{ name: "logits", dims: [1, 3] }]),
    meta(),
  );
  assertEquals(several.length, 4, several.join("\n"));
  assert(several[0].includes("has 1 channels"), several[0]);
  assert(several[1].includes("height 9; model.json input.height is 8"), several[1]);
  assert(several[2].includes("width 7; model.json input.width is 6"), several[2]);
  assert(several[3].includes(`fixed batch of 1 but model.json input.batch is "dynamic"`));
  const rank = modelFitProblems(
    graph([{ name: "images", dims: [3, 8, 6] }], [{ name: "logits", dims: [1, 3] }]),
    meta(),
  );
  assert(rank[0].includes("has rank 3"), rank[0]);
  const dtype = modelFitProblems(
    graph([{ name: "images", elemType: "uint8", dims: ["n", 3, 8, 6] }], [{
      name: "logits",
      dims: [1, 3],
    }]),
    meta(),
  );
  assert(dtype[0].includes("is uint8; model.json feeds float32"), dtype[0]);
});

Deno.test("[check_model] NHWC inputs are read as [N, H, W, C]", () => {
  const m = meta({ input: inputWith({ layout: "NHWC" }) });
  const out = [{ name: "logits", dims: [1, 3] }];
  assertEquals(modelFitProblems(graph([{ name: "images", dims: ["n", 8, 6, 3] }], out), m), []);
  assertEquals(modelFitProblems(graph([IMAGES], out), m).length, 3);
});

Deno.test("[check_model] an extra graph input and a misordered outputs list are mismatches", () => {
  const p = modelFitProblems(
    graph([IMAGES, { name: "mask" }], [{ name: "aux" }, { name: "logits", dims: [1, 3] }]),
    meta({ outputs: ["logits", "aux"] }),
  );
  assertEquals(p.length, 2, p.join("\n"));
  assert(p[0].includes(`also needs input "mask"`), p[0]);
  assert(p[1].includes(`outputs is "logits", "aux" but the graph's outputs are "aux", "logits"`));
});

Deno.test("[check_model] detection outputs must exist with ranks [K,4], [K], [K] and masks [K,H,W]", () => {
  const det = {
    task: "instance_segmentation",
    outputs: undefined,
    input: inputWith({ batch: 1 }),
    decoding: {
      type: "instance_segmentation",
      batch: 1,
      boxes: "boxes",
      scores: "scores",
      labels: "labels",
      masks: "masks",
    },
  };
  const inp = { name: "images", dims: [1, 3, 8, 6] };
  const good = graph([inp], [
    { name: "boxes", dims: ["K", 4] },
    { name: "scores", dims: ["K"] },
    { name: "labels", elemType: "int64", dims: ["K"] },
    { name: "masks", dims: ["K", 8, 6] },
  ]);
  assertEquals(modelFitProblems(good, meta(det)), []);
  const bad = graph([inp], [
    { name: "boxes", dims: ["K", 5] },
    { name: "scores", dims: [1, "K"] },
    { name: "masks", dims: ["K", 1, 8, 6] },
  ]);
  const p = modelFitProblems(bad, meta(det));
  assertEquals(p.length, 4, p.join("\n"));
  assert(p[0].includes("has 5 at axis 1; boxes are xyxy"), p[0]);
  assert(p[1].includes(`output "scores" (decoding.scores) has rank 2`), p[1]);
  assert(p[2].includes(`decoding.labels names output "labels", which the graph does not have`));
  assert(p[3].includes("expected [K, H, W] mask probabilities"), p[3]);
});

Deno.test("[check_model] mask classification needs C+1 classes (no object last) and equal queries", () => {
  const m = meta({
    task: "panoptic_segmentation",
    outputs: ["class_probs", "mask_probs"],
    decoding: {
      type: "mask_classification",
      task: "panoptic_segmentation",
      class_probs: "class_probs",
      mask_probs: "mask_probs",
    },
  });
  const fits = graph([IMAGES], [
    { name: "class_probs", dims: ["n", 100, 4] },
    { name: "mask_probs", dims: ["n", 100, 8, 6] },
  ]);
  assertEquals(modelFitProblems(fits, m), []);
  const p = modelFitProblems(
    graph([IMAGES], [
      { name: "class_probs", dims: ["n", 100, 3] },
      { name: "mask_probs", dims: ["n", 50, 8, 6] },
    ]),
    m,
  );
  assertEquals(p.length, 2, p.join("\n"));
  assert(p[0].includes(`expected 4 (the last is "no object")`), p[0]);
  assert(p[1].includes("class_probs has 100 queries but mask_probs has 50"), p[1]);
});

Deno.test("[check_model] a 1-channel score map is a binary segmenter with exactly two labels", () => {
  const seg = (labels: string[]) =>
    meta({
      task: "semantic_segmentation",
      labels,
      outputs: undefined,
      decoding: { type: "semantic_segmentation", output: "maps", format: "scores" },
    });
  const g = graph([{ name: "images", dims: ["n", 3, "h", "w"] }], [{
    name: "maps",
    dims: ["n", 1, "h", "w"],
  }]);
  assertEquals(modelFitProblems(g, seg(["background", "text"])), []);
  const p = modelFitProblems(g, seg(["background", "text", "table"]));
  assertEquals(p.length, 1);
  assert(p[0].includes("needs exactly 2"), p[0]);
  const classIndex = meta({
    task: "semantic_segmentation",
    outputs: undefined,
    decoding: { type: "semantic_segmentation", output: "maps" },
  });
  assert(modelFitProblems(g, classIndex)[0].includes("expected [N, H, W] class indices"));
});
