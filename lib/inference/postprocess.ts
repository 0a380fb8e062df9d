/**
 * Graph outputs → one serving-contract entry (/work DESIGN "Serving contract"), per model.json
 * `decoding`, the same way jobs/lakevision_jobs/inference.py decodes them (`_split_outputs` +
 * `Predictor._format`), including its rounding, so the Playground, the local endpoint and the
 * pyfunc wrapper agree. Encoding a class mask as PNG / instance masks as RLE is contract.ts's job.
 */
import { BadRequestError } from "@/lib/errors.ts";
import type { ModelJson } from "@/lib/inference/model_json.ts";
import { labelNames, outputActivation } from "@/lib/inference/model_json_read.ts";
import {
  decodeMaskClassification,
  type MaskClassificationRaw,
} from "@/lib/inference/mask_classification.ts";
import {
  pyRound,
  resizeBilinearThreshold,
  resizeNearest,
  sigmoid32,
  softmax32,
  topIndices,
} from "@/lib/inference/torch_like.ts";

/** One output as onnxruntime (web or node) hands it over. */
export interface OutputTensor {
  data: ArrayLike<number> | BigInt64Array | BigUint64Array;
  dims: readonly number[];
}

/** Request-time overrides of model.json `defaults`. */
export interface DecodeParams {
  confidence_threshold?: number;
  max_detections?: number;
  top_k?: number;
}

/** The original image's size (outputs are mapped back to it) and request params. */
export interface DecodeContext {
  width: number;
  height: number;
  params?: DecodeParams;
  /** Which image of a batched output to decode; default 0. */
  index?: number;
}

/** `{top_k: [{label, label_name, score}]}`, best first. */
export interface ClassificationPrediction {
  top_k: { label: number; label_name: string; score: number }[];
}

/** Boxes in original pixels, best first; `masks` (instance segmentation): 0/1, original size. */
export interface DetectionPrediction {
  boxes: number[][];
  scores: number[];
  labels: number[];
  label_names: string[];
  /** Row-major width × height, one per box (instance segmentation only). */
  masks?: Uint8Array[];
}

/** A class-index mask at the original size (255: no class); `classes` present, sorted. */
export interface SegmentationPrediction {
  classes: number[];
  width: number;
  height: number;
  /** Row-major width × height; Uint16Array only when a class id is ≥ 256. */
  mask: Uint8Array | Uint16Array;
}

/** One image's answer in the serving contract (masks still raw). */
export type Prediction = ClassificationPrediction | DetectionPrediction | SegmentationPrediction;

/** model.json `defaults` with request params over them, and jobs/'s fallbacks (0.5, 100, 5). */
export function decodeParams(meta: ModelJson, params: DecodeParams = {}): Required<DecodeParams> {
  const d = meta.defaults ?? {};
  return {
    confidence_threshold: params.confidence_threshold ?? d.confidence_threshold ?? 0.5,
    max_detections: Math.trunc(params.max_detections ?? d.max_detections ?? 100),
    top_k: Math.trunc(params.top_k ?? d.top_k ?? 5),
  };
}

/** Decodes one image's graph outputs into its serving-contract entry. */
export function decodeOutputs(
  outputs: Record<string, OutputTensor>,
  meta: ModelJson,
  ctx: DecodeContext,
): Prediction {
  const p = decodeParams(meta, ctx.params);
  const names = labelNames(meta);
  const d = meta.decoding;
  const get = (field: string, name: string) => {
    const t = outputs[name];
    if (!t) {
      throw new BadRequestError(
        `the model gave no output "${name}" (model.json decoding.${field}); it gave ${
          Object.keys(outputs).map((n) => `"${n}"`).join(", ") || "none"
        }`,
      );
    }
    return { data: numbers(t.data), dims: t.dims };
  };
  const index = ctx.index ?? 0;
  switch (d.type) {
    case "classification":
      return classify(get("output", d.output), index, names, outputActivation(meta), p.top_k);
    case "detection":
    case "instance_segmentation": {
      const raw = {
        boxes: get("boxes", d.boxes).data,
        scores: get("scores", d.scores).data,
        labels: get("labels", d.labels).data,
        masks: d.type === "instance_segmentation" ? get("masks", d.masks) : undefined,
        threshold: d.type === "instance_segmentation" ? d.mask_threshold : 0.5,
      };
      return formatDetections(raw, meta, ctx, p, names);
    }
    case "semantic_segmentation": {
      const t = get("output", d.output);
      const act = outputActivation(meta);
      const map = d.format === "class_index"
        ? classIndexMap(t, index)
        : scoreArgmax(t, index, act, d.threshold);
      return formatMask(map, ctx);
    }
    case "mask_classification": {
      const r: MaskClassificationRaw = decodeMaskClassification(
        get("class_probs", d.class_probs),
        get("mask_probs", d.mask_probs),
        index,
        d.task,
      );
      if (r.kind === "map") return formatMask(r.map, ctx);
      return formatDetections({ ...r.detections, threshold: 0.5 }, meta, ctx, p, names);
    }
  }
}

/** Typed view of any output data, bigint tensors (int64 labels, masks) as plain numbers. */
function numbers(data: OutputTensor["data"]): ArrayLike<number> {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  return data as ArrayLike<number>;
}

function classify(
  t: { data: ArrayLike<number>; dims: readonly number[] },
  index: number,
  names: string[],
  activation: "none" | "softmax" | "sigmoid",
  k: number,
): ClassificationPrediction {
  const c = t.dims[t.dims.length - 1];
  const offset = t.dims.length > 1 ? index * c : 0;
  if (!(c > 0) || offset + c > t.data.length) {
    throw new BadRequestError(`classification output has shape [${t.dims}]; expected [N, C]`);
  }
  const probs = activation === "softmax"
    ? softmax32(t.data, offset, c)
    : activation === "sigmoid"
    ? sigmoid32(t.data, offset, c)
    : Float32Array.from({ length: c }, (_, i) => t.data[offset + i]);
  const top = topIndices(probs, Math.min(k, names.length, c));
  return {
    top_k: top.map((j) => ({
      label: j,
      label_name: names[j] ?? String(j),
      score: pyRound(probs[j], 6),
    })),
  };
}

interface RawDetections {
  boxes: ArrayLike<number>;
  scores: ArrayLike<number>;
  labels: ArrayLike<number>;
  /** [K, H, W] probabilities at the model's mask size. */
  masks?: { data: ArrayLike<number>; dims: readonly number[] };
  threshold: number;
}

/** Predictor._format for detection: score ≥ threshold, best first, max_detections, scaled. */
function formatDetections(
  r: RawDetections,
  meta: ModelJson,
  ctx: DecodeContext,
  p: Required<DecodeParams>,
  names: string[],
): DetectionPrediction {
  const k = r.scores.length;
  if (r.boxes.length !== 4 * k || r.labels.length !== k) {
    throw new BadRequestError(
      `detection outputs disagree: ${k} scores, ${r.labels.length} labels, ` +
        `${r.boxes.length / 4} boxes`,
    );
  }
  // torch compares a float32 tensor with the threshold cast to float32.
  const thr = Math.fround(p.confidence_threshold);
  const keep: number[] = [];
  for (let i = 0; i < k; i++) if (r.scores[i] >= thr) keep.push(i);
  keep.sort((a, b) => r.scores[b] - r.scores[a] || a - b);
  keep.length = Math.min(keep.length, Math.max(0, p.max_detections));
  const sx = Math.fround(ctx.width / meta.input.width);
  const sy = Math.fround(ctx.height / meta.input.height);
  const out: DetectionPrediction = { boxes: [], scores: [], labels: [], label_names: [] };
  for (const i of keep) {
    const b = [0, 1, 2, 3].map((j) =>
      Math.fround(Math.fround(r.boxes[4 * i + j]) * (j % 2 ? sy : sx))
    );
    out.boxes.push(b.map((v) => pyRound(v, 2)));
    out.scores.push(pyRound(Math.fround(r.scores[i]), 5));
    const label = Math.trunc(r.labels[i]);
    if (!(label >= 0 && label < names.length)) {
      throw new BadRequestError(
        `the model predicted label ${label}, but model.json has ${names.length} labels`,
      );
    }
    out.labels.push(label);
    out.label_names.push(names[label]);
  }
  if (r.masks) {
    const [, mh, mw] = r.masks.dims.length === 4 ? [0, ...r.masks.dims.slice(2)] : r.masks.dims;
    if (r.masks.data.length !== k * mh * mw) {
      throw new BadRequestError(`masks output has shape [${r.masks.dims}]; expected [${k}, H, W]`);
    }
    const data = r.masks.data;
    out.masks = keep.map((i) =>
      resizeBilinearThreshold(data, i * mh * mw, mw, mh, ctx.width, ctx.height, r.threshold)
    );
  }
  return out;
}

/** A class-index map at the model's size: {data, width, height}. */
export interface ClassMap {
  data: Int32Array;
  width: number;
  height: number;
}

function classIndexMap(t: { data: ArrayLike<number>; dims: readonly number[] }, index: number) {
  const dims = t.dims;
  const [h, w] = dims.slice(-2);
  const n = h * w, offset = dims.length > 2 ? index * n : 0;
  if (!(n > 0) || offset + n > t.data.length) {
    throw new BadRequestError(`class-index mask has shape [${dims}]; expected [N, H, W]`);
  }
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = t.data[offset + i];
  return { data, width: w, height: h };
}

/** [N, C, H, W] scores: argmax over C (first on ties); C = 1: class 1 where score ≥ threshold. */
function scoreArgmax(
  t: { data: ArrayLike<number>; dims: readonly number[] },
  index: number,
  act: "none" | "softmax" | "sigmoid",
  threshold: number,
): ClassMap {
  const [c, h, w] = t.dims.length === 4 ? t.dims.slice(1) : t.dims.length === 3 ? t.dims : [];
  const n = h * w, offset = t.dims.length === 4 ? index * c * n : 0;
  if (!(c > 0 && n > 0) || offset + c * n > t.data.length) {
    throw new BadRequestError(`score map has shape [${t.dims}]; expected [N, C, H, W]`);
  }
  const data = new Int32Array(n);
  if (c === 1) {
    const v = act === "sigmoid" ? sigmoid32(t.data, offset, n) : t.data;
    const o = act === "sigmoid" ? 0 : offset;
    const thr = Math.fround(threshold);
    for (let i = 0; i < n; i++) data[i] = v[o + i] >= thr ? 1 : 0;
    return { data, width: w, height: h };
  }
  // Softmax and sigmoid are monotonic: the argmax of raw scores is the argmax of probabilities.
  for (let i = 0; i < n; i++) {
    let best = 0, bestV = t.data[offset + i];
    for (let k = 1; k < c; k++) {
      const v = t.data[offset + k * n + i];
      if (v > bestV) (best = k, bestV = v);
    }
    data[i] = best;
  }
  return { data, width: w, height: h };
}

/** Nearest-resize to the original size; 8-bit unless a class id needs 16 (as jobs/ PNGs). */
function formatMask(map: ClassMap, ctx: DecodeContext): SegmentationPrediction {
  let max = 0, min = 0;
  for (const v of map.data) {
    if (v > max) max = v;
    if (v < min) min = v;
  }
  if (max > 65535 || min < 0) {
    throw new BadRequestError(`the model's mask has class ids outside 0..65535 (${min}..${max})`);
  }
  const size = ctx.width * ctx.height;
  const out = max < 256 ? new Uint8Array(size) : new Uint16Array(size);
  resizeNearest(map.data, map.width, map.height, ctx.width, ctx.height, out);
  const classes = [...new Set<number>(out)].filter((c) => c !== 255).sort((a, b) => a - b);
  return { classes, width: ctx.width, height: ctx.height, mask: out };
}
