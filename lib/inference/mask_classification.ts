/**
 * Mask2Former-style outputs (class_probs [N, Q, C+1] with "no object" last, mask_probs
 * [N, Q, H, W]) combined per task as jobs/lakevision_jobs/hf.py does: semantic = argmax over
 * classes of Σ_q p(q, c)·m(q); instance = top 100 (query, class) pairs rescored by mask
 * confidence; panoptic = confident queries painted by argmax of p·m, kept when ≥ 80 % of their own
 * mask survives.
 */
import { BadRequestError } from "@/lib/errors.ts";
import type { ClassMap, OutputTensor } from "@/lib/inference/postprocess.ts";
import { topIndices } from "@/lib/inference/torch_like.ts";

type Tensor = { data: ArrayLike<number>; dims: OutputTensor["dims"] };

/** What decodeMaskClassification returns: a class map, or raw detections for formatting. */
export type MaskClassificationRaw =
  | { kind: "map"; map: ClassMap }
  | {
    kind: "detections";
    detections: {
      boxes: Float32Array;
      scores: Float32Array;
      labels: Int32Array;
      masks: { data: Float32Array; dims: number[] };
    };
  };

/** jobs/ asks _universal_instances for 100 candidates before the threshold. */
const INSTANCE_CANDIDATES = 100;
const f32 = Math.fround;

/** Combines one image's class and mask queries per `task`. */
export function decodeMaskClassification(
  cls: Tensor,
  masks: Tensor,
  index: number,
  task: "semantic_segmentation" | "instance_segmentation" | "panoptic_segmentation",
): MaskClassificationRaw {
  const [q, c1] = cls.dims.slice(-2);
  const [qm, h, w] = masks.dims.slice(-3);
  const hw = h * w;
  if (
    cls.dims.length !== 3 || masks.dims.length !== 4 || q !== qm || !(c1 > 1) ||
    cls.data.length < (index + 1) * q * c1 || masks.data.length < (index + 1) * q * hw
  ) {
    throw new BadRequestError(
      `mask classification outputs have shapes [${cls.dims}] and [${masks.dims}]; ` +
        "expected [N, Q, C+1] and [N, Q, H, W]",
    );
  }
  const cp = sliceF32(cls.data, index * q * c1, q * c1);
  const mp = sliceF32(masks.data, index * q * hw, q * hw);
  const c = c1 - 1;
  if (task === "semantic_segmentation") return { kind: "map", map: semantic(cp, mp, q, c, w, h) };
  if (task === "panoptic_segmentation") return { kind: "map", map: panoptic(cp, mp, q, c, w, h) };
  return { kind: "detections", detections: instances(cp, mp, q, c, w, h) };
}

function sliceF32(data: ArrayLike<number>, offset: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = data[offset + i];
  return out;
}

/** einsum("qc,qhw->chw", cls[:, :-1], masks).argmax(0). */
function semantic(cp: Float32Array, mp: Float32Array, q: number, c: number, w: number, h: number) {
  const hw = w * h;
  const acc = new Float32Array(c * hw);
  for (let j = 0; j < q; j++) {
    const m = mp.subarray(j * hw, (j + 1) * hw);
    for (let k = 0; k < c; k++) {
      const p = cp[j * (c + 1) + k];
      if (p === 0) continue;
      const a = acc.subarray(k * hw, (k + 1) * hw);
      for (let i = 0; i < hw; i++) a[i] += p * m[i];
    }
  }
  const data = new Int32Array(hw);
  for (let i = 0; i < hw; i++) {
    let best = 0, bestV = acc[i];
    for (let k = 1; k < c; k++) {
      const v = acc[k * hw + i];
      if (v > bestV) (best = k, bestV = v);
    }
    data[i] = best;
  }
  return { data, width: w, height: h };
}

/** _universal_instances(cls, masks, 100). */
function instances(cp: Float32Array, mp: Float32Array, q: number, c: number, w: number, h: number) {
  const hw = w * h;
  const flat = new Float32Array(q * c);
  for (let j = 0; j < q; j++) for (let k = 0; k < c; k++) flat[j * c + k] = cp[j * (c + 1) + k];
  const top = topIndices(flat, Math.min(INSTANCE_CANDIDATES, flat.length));
  const n = top.length;
  const boxes = new Float32Array(4 * n), scores = new Float32Array(n);
  const labels = new Int32Array(n), masks = new Float32Array(n * hw);
  top.forEach((idx, t) => {
    const j = Math.floor(idx / c);
    const m = mp.subarray(j * hw, (j + 1) * hw);
    masks.set(m, t * hw);
    let sum = 0, count = 0, x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
    for (let i = 0; i < hw; i++) {
      if (!(m[i] > 0.5)) continue;
      sum += m[i];
      count++;
      const x = i % w, y = (i - x) / w;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    if (count) boxes.set([x0, y0, x1 + 1, y1 + 1], 4 * t);
    scores[t] = f32(flat[idx] * f32(f32(sum) / Math.max(count, 1e-6)));
    labels[t] = idx % c;
  });
  return { boxes, scores, labels, masks: { data: masks, dims: [n, h, w] } };
}

/** _universal_panoptic(cls, masks) then _panoptic_class_map: 255 where no segment is kept. */
function panoptic(cp: Float32Array, mp: Float32Array, q: number, c: number, w: number, h: number) {
  const hw = w * h;
  const kept: { j: number; score: number; label: number }[] = [];
  for (let j = 0; j < q; j++) {
    let label = 0, score = cp[j * (c + 1)];
    for (let k = 1; k <= c; k++) {
      if (cp[j * (c + 1) + k] > score) (label = k, score = cp[j * (c + 1) + k]);
    }
    if (label !== c && score > 0.5) kept.push({ j, score, label });
  }
  const data = new Int32Array(hw).fill(255);
  if (!kept.length) return { data, width: w, height: h };
  const owner = new Int32Array(hw);
  for (let i = 0; i < hw; i++) {
    let best = 0, bestV = -Infinity;
    kept.forEach((s, t) => {
      const v = f32(mp[s.j * hw + i] * s.score);
      if (v > bestV) (best = t, bestV = v);
    });
    owner[i] = best;
  }
  const minOverlap = f32(0.8);
  kept.forEach((s, t) => {
    const m = mp.subarray(s.j * hw, (s.j + 1) * hw);
    let region = 0, orig = 0;
    for (let i = 0; i < hw; i++) {
      if (m[i] >= 0.5) {
        orig++;
        if (owner[i] === t) region++;
      }
    }
    if (region === 0 || orig === 0 || f32(region / orig) < minOverlap) return;
    for (let i = 0; i < hw; i++) if (owner[i] === t && m[i] >= 0.5) data[i] = s.label;
  });
  return { data, width: w, height: h };
}
