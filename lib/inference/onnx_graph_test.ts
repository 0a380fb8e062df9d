import { assert, assertEquals, assertThrows } from "@/tests/assert.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { formatDims, readOnnxGraph } from "@/lib/inference/onnx_graph.ts";
import { buildOnnxModel, varint } from "@/lib/inference/onnx_testing.ts";

const FIXTURES = new URL("../../tests/fixtures/onnx/", import.meta.url);

Deno.test("[onnx_graph] a classifier exported by PyTorch reads as its model.json describes it", async () => {
  const bytes = await Deno.readFile(new URL("tiny_classifier/model.onnx", FIXTURES));
  const g = readOnnxGraph(bytes);
  assertEquals(g.producerName, "pytorch");
  assertEquals(g.opsetVersions, [{ domain: "", version: 17 }]);
  assert(g.irVersion >= 7, `ir ${g.irVersion}`);
  assertEquals(g.inputs, [
    { name: "images", elemType: "float32", dims: ["batch", 3, 32, 40], shapeKnown: true },
  ]);
  assertEquals(g.outputs, [
    { name: "logits", elemType: "float32", dims: ["batch", 4], shapeKnown: true },
  ]);
  // Conv + Linear weights and biases (and the folded mean/std) are initializers, not inputs.
  assert(g.initializerNames.length >= 4, g.initializerNames.join());
  assert(!g.initializerNames.includes("images"));
  assert(g.nodeCount > 0);
});

Deno.test("[onnx_graph] a segmenter's argmax output is int64 [batch, H, W]", async () => {
  const g = readOnnxGraph(await Deno.readFile(new URL("tiny_segmenter/model.onnx", FIXTURES)));
  assertEquals(g.outputs.map((t) => [t.name, t.elemType, formatDims(t)]), [
    ["mask", "int64", "[batch, 24, 32]"],
  ]);
});

Deno.test("[onnx_graph] every truncation of a real model is refused with the byte where it broke", async () => {
  const bytes = await Deno.readFile(new URL("tiny_classifier/model.onnx", FIXTURES));
  for (let n = 0; n < bytes.length; n++) {
    const e = assertThrows(() => readOnnxGraph(bytes.subarray(0, n), "m.onnx"), BadRequestError);
    assert(/^m\.onnx is not a valid ONNX model: .+ at byte \d+$/.test(e.message), e.message);
  }
});

Deno.test("[onnx_graph] files that are not ONNX say so", () => {
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array()],
    ["png", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])],
    ["json", new TextEncoder().encode('{"task": "classification"}')],
    ["zeros", new Uint8Array(64)],
  ];
  for (const [what, bytes] of cases) {
    const e = assertThrows(() => readOnnxGraph(bytes), BadRequestError);
    assert(e.message.startsWith("model.onnx is not a valid ONNX model: "), `${what}: ${e.message}`);
  }
  // Random bytes: never a crash other than BadRequestError.
  let seed = 7;
  for (let i = 0; i < 200; i++) {
    const b = new Uint8Array(256).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    try {
      readOnnxGraph(b);
    } catch (e) {
      assert(e instanceof BadRequestError, String(e));
    }
  }
});

Deno.test("[onnx_graph] symbolic, unknown and missing shapes, element types and metadata are read", () => {
  const bytes = buildOnnxModel({
    inputs: [
      { name: "pixel_values", dims: ["batch", 3, null, 640] },
      { name: "ids", elemType: "int64" },
    ],
    outputs: [
      { name: "scores", elemType: "float16", dims: [1, 100] },
      { name: "flags", elemType: "bool", dims: [] },
    ],
    irVersion: 9,
    opsets: [{ version: 19 }, { domain: "com.microsoft", version: 1 }],
    producerName: "onnx.compose",
    producerVersion: "1.16",
    graphName: "main_graph",
    metadata: { author: "me" },
    nodes: 3,
  });
  const g = readOnnxGraph(bytes);
  assertEquals(g.irVersion, 9);
  assertEquals(g.opsetVersions, [{ domain: "", version: 19 }, {
    domain: "com.microsoft",
    version: 1,
  }]);
  assertEquals([g.producerName, g.producerVersion, g.graphName], [
    "onnx.compose",
    "1.16",
    "main_graph",
  ]);
  assertEquals(g.inputs[0].dims, ["batch", 3, null, 640]);
  assertEquals(g.inputs[1], { name: "ids", elemType: "int64", dims: [], shapeKnown: false });
  assertEquals(g.outputs.map((t) => [t.elemType, formatDims(t)]), [["float16", "[1, 100]"], [
    "bool",
    "[]",
  ]]);
  assertEquals(g.metadata, { author: "me" });
  assertEquals(g.nodeCount, 3);
});

Deno.test("[onnx_graph] inputs that are initializers (IR < 4 exporters) are not inputs to feed", () => {
  const g = readOnnxGraph(buildOnnxModel({
    inputs: [{ name: "images", dims: [1, 3, 8, 8] }],
    outputs: [{ name: "logits", dims: [1, 2] }],
    initializers: [{ name: "fc.weight", dims: [2, 3], alsoInput: true }],
    irVersion: 3,
  }));
  assertEquals(g.inputs.map((t) => t.name), ["images"]);
  assertEquals(g.initializerNames, ["fc.weight"]);
});

Deno.test("[onnx_graph] a graph without outputs or opsets is refused", () => {
  const noOut = assertThrows(
    () => readOnnxGraph(buildOnnxModel({ inputs: [{ name: "x" }], outputs: [] })),
    BadRequestError,
  );
  assert(noOut.message.includes("the graph has no outputs"), noOut.message);
  const noOpset = assertThrows(
    () => readOnnxGraph(buildOnnxModel({ inputs: [], outputs: [{ name: "y" }], opsets: [] })),
    BadRequestError,
  );
  assert(noOpset.message.includes("no opset_import"), noOpset.message);
});

Deno.test("[onnx_graph] a 100 MB model reads in well under a second: weights are skipped, not decoded", () => {
  // One buffer: header + 100 MB of raw_data + graph inputs/outputs + opset, written in place.
  const head = buildOnnxModel({ inputs: [], outputs: [{ name: "y" }] });
  const g = readOnnxGraph(head); // sanity: the small one reads
  assertEquals(g.outputs.length, 1);
  const raw = 100 * 1024 * 1024;
  const name = new TextEncoder().encode("w");
  const tensorHead = [
    0x08,
    ...varint(raw / 4),
    0x10,
    1,
    0x42,
    name.length,
    ...name,
    0x4a,
    ...varint(raw),
  ];
  const tensorLen = tensorHead.length + raw;
  const io = buildOnnxModel({
    inputs: [{ name: "x", dims: [1, 3, 4, 4] }],
    outputs: [{ name: "y" }],
  });
  // The small model's graph body, found by reading its field 7 header.
  const gi = io.indexOf(0x3a); // field 7, wire 2
  let p = gi + 1, graphLen = 0, mul = 1;
  while (io[p] & 0x80) (graphLen += (io[p++] & 0x7f) * mul, mul *= 128);
  graphLen += io[p++] * mul;
  const graphBody = io.subarray(p, p + graphLen);
  const initField = [0x2a, ...varint(tensorLen)];
  const fullGraphLen = initField.length + tensorLen + graphBody.length;
  const pre = [...io.subarray(0, gi), 0x3a, ...varint(fullGraphLen), ...initField, ...tensorHead];
  const post = io.subarray(p + graphLen);
  const bytes = new Uint8Array(pre.length + raw + graphBody.length + post.length);
  bytes.set(pre, 0);
  bytes.set(graphBody, pre.length + raw);
  bytes.set(post, pre.length + raw + graphBody.length);
  const t0 = performance.now();
  const big = readOnnxGraph(bytes);
  const ms = performance.now() - t0;
  assertEquals(big.inputs.map((t) => t.name), ["x"]);
  assertEquals(big.initializerNames, ["w"]);
  assert(ms < 500, `took ${ms.toFixed(1)} ms`);
});
