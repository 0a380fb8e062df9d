/**
 * The TypeScript pre/post-processing against jobs/'s own Python (PIL resize, pil_to_input,
 * _split_outputs + Predictor._format) on the same synthetic images and tensors. Needs a Python
 * with torch and Pillow (LAKEVISION_PYTHON, python3 or /usr/bin/python3); ignored without one.
 */
import { assert, assertEquals } from "@/tests/assert.ts";
import { decodePng } from "@/lib/image/png.ts";
import { base64, toServingEntry } from "@/lib/inference/contract.ts";
import { parseModelJson } from "@/lib/inference/model_json.ts";
import {
  decodeOutputs,
  type DetectionPrediction,
  type SegmentationPrediction,
} from "@/lib/inference/postprocess.ts";
import { preprocess, resizeRgbBilinear } from "@/lib/inference/preprocess.ts";

const SCRIPT = new URL("./testdata/python_reference.py", import.meta.url).pathname;

async function findPython(): Promise<string | null> {
  const tried = [Deno.env.get("LAKEVISION_PYTHON"), "python3", "/usr/bin/python3"];
  for (const py of new Set(tried.filter((p): p is string => !!p))) {
    try {
      const r = await new Deno.Command(py, {
        args: ["-c", "import torch, PIL, numpy"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (r.success) return py;
    } catch { /* not installed */ }
  }
  return null;
}

const PYTHON = await findPython();
if (!PYTHON) console.warn("[python_parity] ignored: no Python with torch, Pillow and numpy");

async function runPython(cases: unknown[]): Promise<Record<string, unknown>[]> {
  const child = new Deno.Command(PYTHON!, {
    args: [SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify({ cases })));
  await w.close();
  const out = await child.output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function b64(a: Float32Array | BigInt64Array | Uint8Array | Uint8ClampedArray) {
  return base64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function fromB64F32(s: string): Float32Array {
  const bin = atob(s);
  const u = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new Float32Array(u.buffer);
}

/**
 * n smooth maps in (0, 1), one blob each (at `centres` when given, as fractions of w and h), so
 * thresholds rarely fall on a pixel edge.
 */
function blobs(
  r: () => number,
  n: number,
  h: number,
  w: number,
  centres?: [number, number][],
): Float32Array {
  const out = new Float32Array(n * h * w);
  for (let k = 0; k < n; k++) {
    const [fx, fy] = centres?.[k % centres.length] ?? [r(), r()];
    const cx = fx * w, cy = fy * h, s = 2 + r() * Math.max(h, w) / 3, amp = 4 + r() * 4;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d2 = ((x - cx) ** 2 + (y - cy) ** 2) / (s * s);
        out[k * h * w + y * w + x] = 1 / (1 + Math.exp(-(amp * Math.exp(-d2) - amp / 3)));
      }
    }
  }
  return out;
}

const INPUT = { name: "images", height: 48, width: 64, mean: [0, 0, 0], std: [1, 1, 1] };
type Out = Record<string, { data: Float32Array | BigInt64Array; dims: number[] }>;

function pyOutputs(o: Out) {
  return Object.fromEntries(
    Object.entries(o).map(([k, t]) => [k, {
      dims: t.dims,
      dtype: t.data instanceof BigInt64Array ? "int64" : "float32",
      b64: b64(t.data),
    }]),
  );
}

Deno.test({
  name:
    "[python_parity] resize and normalisation equal Pillow BILINEAR + pil_to_input byte for byte",
  ignore: !PYTHON,
  async fn() {
    const r = rng(1);
    const sizes = [[37, 29, 64, 48], [200, 130, 64, 48], [64, 48, 64, 48], [64, 90, 64, 48], [
      13,
      7,
      40,
      32,
    ], [640, 480, 224, 224]];
    const images = sizes.map(([w, h]) => {
      const data = new Uint8ClampedArray(w * h * 4).map(() => Math.floor(r() * 256));
      return { width: w, height: h, data };
    });
    const inputs = sizes.map(([, , ow, oh]) => ({
      ...INPUT,
      width: ow,
      height: oh,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    }));
    const py = await runPython(images.map((im, i) => ({
      kind: "preprocess",
      rgba: b64(im.data),
      w: im.width,
      h: im.height,
      input: inputs[i],
    })));
    images.forEach((im, i) => {
      const { width: ow, height: oh } = inputs[i];
      const resized = resizeRgbBilinear(im.data, im.width, im.height, ow, oh);
      assertEquals(b64(resized), py[i].resized, `resize ${sizes[i]}`);
      const meta = parseModelJson({
        task: "classification",
        labels: ["a"],
        input: inputs[i],
        decoding: { type: "classification", output: "logits" },
      });
      const x = preprocess(im, meta).tensor;
      const ref = fromB64F32(py[i].tensor as string);
      assertEquals(x.length, ref.length);
      let maxDiff = 0;
      for (let j = 0; j < x.length; j++) maxDiff = Math.max(maxDiff, Math.abs(x[j] - ref[j]));
      assertEquals(maxDiff, 0, `tensor ${sizes[i]}`);
    });
  },
});

Deno.test({
  name: "[python_parity] every decoding answers as Predictor._format does on the same tensors",
  ignore: !PYTHON,
  async fn() {
    const r = rng(2);
    const cases: { meta: Record<string, unknown>; outputs: Out; width: number; height: number }[] =
      [];
    const base = (task: string, decoding: Record<string, unknown>, labels = ["a", "b", "c"]) => ({
      task,
      labels,
      input: INPUT,
      decoding,
      defaults: { confidence_threshold: 0.3, max_detections: 12, top_k: 3 },
    });
    // classification, softmax over [2, 5] logits, second image
    const logits = new Float32Array(10).map(() => r() * 8 - 4);
    cases.push({
      meta: base("classification", { type: "classification", output: "logits" }, [
        "a",
        "b",
        "c",
        "d",
        "e",
      ]),
      outputs: { logits: { data: logits, dims: [2, 5] } },
      width: 300,
      height: 200,
    });
    // the model.json options jobs/ also honours: sigmoid / no activation, and id2label names
    for (const act of ["sigmoid", "none"]) {
      const { labels: _drop, ...meta } = base("classification", {
        type: "classification",
        output: "logits",
      }, ["a", "b", "c", "d", "e"]);
      cases.push({
        meta: {
          ...meta,
          output_activation: act,
          id2label: { "0": "a", "1": "b", "2": "c", "3": "d", "4": "e" },
        },
        outputs: { logits: { data: logits, dims: [2, 5] } },
        width: 300,
        height: 200,
      });
    }
    // detection and instance segmentation: K = 40 candidates at 64 × 48, image 123 × 77
    const k = 40;
    const boxes = new Float32Array(4 * k);
    for (let i = 0; i < k; i++) {
      const x = r() * 60, y = r() * 44;
      boxes.set([x, y, x + r() * (64 - x), y + r() * (48 - y)], 4 * i);
    }
    const scores = new Float32Array(k).map(() => r());
    const labels = BigInt64Array.from({ length: k }, () => BigInt(Math.floor(r() * 3)));
    const det = { type: "detection", batch: 1, boxes: "boxes", scores: "scores", labels: "labels" };
    cases.push({
      meta: base("detection", det),
      outputs: {
        boxes: { data: boxes, dims: [k, 4] },
        scores: { data: scores, dims: [k] },
        labels: { data: labels, dims: [k] },
      },
      width: 123,
      height: 77,
    });
    cases.push({
      meta: base("instance_segmentation", {
        ...det,
        type: "instance_segmentation",
        masks: "masks",
        mask_threshold: 0.5,
      }),
      outputs: {
        boxes: { data: boxes, dims: [k, 4] },
        scores: { data: scores, dims: [k] },
        labels: { data: labels, dims: [k] },
        masks: { data: blobs(r, k, 48, 64), dims: [k, 48, 64] },
      },
      width: 123,
      height: 77,
    });
    // semantic class-index mask at input size, image 150 × 97
    const mask = BigInt64Array.from(
      { length: 48 * 64 },
      (_, i) => BigInt((i % 64) < 20 ? 0 : 1 + (i % 7 === 0 ? 1 : 0)),
    );
    mask[5] = 255n;
    cases.push({
      meta: base("semantic_segmentation", {
        type: "semantic_segmentation",
        output: "mask",
        format: "class_index",
      }),
      outputs: { mask: { data: mask, dims: [1, 48, 64] } },
      width: 150,
      height: 97,
    });
    // mask classification, Q = 6 queries over 3 classes + no object, masks at 24 × 32
    const q = 6;
    const cls = new Float32Array(q * 4);
    for (let j = 0; j < q; j++) {
      const e = [0, 1, 2, 3].map(() => Math.exp(r() * 6 - (j < 3 ? 0 : 3)));
      if (j < 4) e[j % 3] *= 30; // confident queries for panoptic
      const s = e.reduce((a, b) => a + b, 0);
      cls.set(e.map((v) => v / s), j * 4);
    }
    const mprobs = blobs(r, q, 24, 32, [[0.2, 0.25], [0.75, 0.3], [0.3, 0.8], [0.8, 0.75]]);
    for (
      const task of ["semantic_segmentation", "instance_segmentation", "panoptic_segmentation"]
    ) {
      cases.push({
        meta: base(task, {
          type: "mask_classification",
          task,
          class_probs: "class_probs",
          mask_probs: "mask_probs",
        }),
        outputs: {
          class_probs: { data: cls, dims: [1, q, 4] },
          mask_probs: { data: mprobs, dims: [1, q, 24, 32] },
        },
        width: 90,
        height: 61,
      });
    }
    const index = (i: number) => (i === 0 ? 1 : 0);
    const py = await runPython(cases.map((c, i) => ({
      kind: "decode",
      meta: c.meta,
      outputs: pyOutputs(c.outputs),
      width: c.width,
      height: c.height,
      index: index(i),
    })));
    cases.forEach((c, i) => {
      const meta = parseModelJson(c.meta);
      const ctx = { width: c.width, height: c.height, index: index(i) };
      const pred = decodeOutputs(c.outputs, meta, ctx);
      const entry = toServingEntry(pred, ctx) as Record<string, unknown>;
      const ref = py[i];
      const what = `${c.meta.task}/${(c.meta.decoding as { type: string }).type}`;
      if ("mask_png" in ref) {
        const seg = pred as SegmentationPrediction;
        const theirs = decodePng(
          Uint8Array.from(atob(ref.mask_png as string), (ch) => ch.charCodeAt(0)),
        );
        assertEquals([theirs.width, theirs.height], [seg.width, seg.height], what);
        let diff = 0;
        for (let p = 0; p < seg.mask.length; p++) if (seg.mask[p] !== theirs.data[p]) diff++;
        assertEquals(diff, 0, `${what}: ${diff} pixels differ`);
        assertEquals(seg.classes, ref.classes, what);
        assert(seg.classes.length > 1, `${what}: one class only, a weak test`);
        return;
      }
      if ("top_k" in ref) {
        assertEquals(entry, ref, what);
        return;
      }
      const d = pred as DetectionPrediction;
      assert(d.labels.length > 0, `${what}: nothing above the threshold, a vacuous test`);
      assertEquals(entry.boxes, ref.boxes, what);
      assertEquals(entry.scores, ref.scores, what);
      assertEquals(entry.labels, ref.labels, what);
      assertEquals(entry.label_names, ref.label_names, what);
      if (ref.masks) assertEquals(entry.masks, ref.masks, what);
    });
  },
});
