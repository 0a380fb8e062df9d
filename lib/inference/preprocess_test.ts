import { assertEquals, assertThrows } from "@/tests/assert.ts";
import { parseModelJson } from "@/lib/inference/model_json.ts";
import { sampleModelJson } from "@/lib/inference/onnx_testing.ts";
import { preprocess, resizeRgbBilinear } from "@/lib/inference/preprocess.ts";

function meta(input: Record<string, unknown>) {
  return parseModelJson(
    sampleModelJson({ input: { ...(sampleModelJson().input as object), ...input } }),
  );
}

/** w × h RGBA where pixel i is (i, 100 + i, 200 + i) and alpha varies (and must not matter). */
function ramp(w: number, h: number) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([i, 100 + i, 200 + i, (i * 37) % 256], 4 * i);
  return { width: w, height: h, data };
}

Deno.test("[preprocess] at the input size the tensor is (pixel/255 − mean)/std in NCHW, alpha ignored", () => {
  const m = meta({ height: 2, width: 3, mean: [0.5, 0, 0.25], std: [0.5, 1, 2] });
  const { tensor, dims, scale } = preprocess(ramp(3, 2), m);
  assertEquals(dims, [1, 3, 2, 3]);
  assertEquals(scale, { sx: 1, sy: 1 });
  const f = Math.fround;
  const want = (v: number, mean: number, std: number) => f(f(f(v / 255) - f(mean)) / f(std));
  for (let i = 0; i < 6; i++) {
    assertEquals(tensor[i], want(i, 0.5, 0.5));
    assertEquals(tensor[6 + i], want(100 + i, 0, 1));
    assertEquals(tensor[12 + i], want(200 + i, 0.25, 2));
  }
});

Deno.test("[preprocess] NHWC interleaves channels and BGR swaps them", () => {
  const nhwc = preprocess(ramp(3, 2), meta({ height: 2, width: 3, layout: "NHWC" }));
  assertEquals(nhwc.dims, [1, 2, 3, 3]);
  assertEquals(Array.from(nhwc.tensor.subarray(3, 6)).map((v) => Math.round(v * 255)), [
    1,
    101,
    201,
  ]);
  const bgr = preprocess(ramp(3, 2), meta({ height: 2, width: 3, color: "BGR" }));
  assertEquals(Math.round(bgr.tensor[0] * 255), 200);
  assertEquals(Math.round(bgr.tensor[12] * 255), 0);
});

Deno.test("[preprocess] stretch resize keeps a flat colour flat and reports the scale back", () => {
  const w = 50, h = 20;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([10, 128, 250, 255], 4 * i);
  const { tensor, dims, scale } = preprocess({ width: w, height: h, data }, meta({}));
  assertEquals(dims, [1, 3, 8, 6]);
  assertEquals(scale, { sx: 50 / 6, sy: 20 / 8 });
  const n = 48;
  assertEquals(new Set(tensor.subarray(0, n)), new Set([Math.fround(10 / 255)]));
  assertEquals(new Set(tensor.subarray(2 * n)), new Set([Math.fround(250 / 255)]));
});

Deno.test("[preprocess] bilinear upscaling interpolates between pixel centres like Pillow", () => {
  // 2 → 4 pixels: centres at 0.25 and 0.75 of a source pixel; the outer two copy, the inner two
  // weigh 3:1 (0.25·255 = 63.75 → 64).
  const rgba = new Uint8Array([0, 0, 0, 255, 255, 255, 255, 255]);
  const out = resizeRgbBilinear(rgba, 2, 1, 4, 1);
  assertEquals(Array.from(out.filter((_, i) => i % 3 === 0)), [0, 64, 191, 255]);
});

Deno.test("[preprocess] image data of the wrong length is refused", () => {
  assertThrows(
    () => preprocess({ width: 4, height: 4, data: new Uint8ClampedArray(10) }, meta({})),
    Error,
    "4×4 RGBA needs 64",
  );
});
