/**
 * The few numeric steps of jobs/lakevision_jobs/inference.py's decoding, reproduced the way PyTorch
 * and Python compute them (float32 arithmetic, torch's index rules, Python's round), so the browser,
 * the local endpoint and the pyfunc wrapper give the same answer for the same outputs.
 */

const f32 = Math.fround;

/**
 * `tnf.interpolate(mode="nearest")` index rule: src = min(floor(dst · (in/out as float32)),
 * in − 1), with torch's exact cases for equal size and 2× upscaling.
 */
export function nearestIndex(inSize: number, outSize: number): Int32Array {
  const idx = new Int32Array(outSize);
  const scale = f32(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    if (outSize === inSize) idx[d] = d;
    else if (outSize === 2 * inSize) idx[d] = d >> 1;
    else idx[d] = Math.min(Math.floor(f32(d * scale)), inSize - 1);
  }
  return idx;
}

/** An integer map [inH, inW] resized to [outH, outW] by torch's nearest rule. */
export function resizeNearest<T extends Uint8Array | Uint16Array | Int32Array>(
  src: ArrayLike<number>,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  out: T,
): T {
  const xs = nearestIndex(inW, outW), ys = nearestIndex(inH, outH);
  for (let y = 0; y < outH; y++) {
    const row = ys[y] * inW, o = y * outW;
    for (let x = 0; x < outW; x++) out[o + x] = src[row + xs[x]];
  }
  return out;
}

/** Per output index: the two source indices and their weights (torch bilinear, corners off). */
function linearTaps(inSize: number, outSize: number) {
  const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize);
  const l0 = new Float32Array(outSize), l1 = new Float32Array(outSize);
  const scale = f32(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    if (inSize === outSize) {
      i0[d] = i1[d] = d;
      l0[d] = 1;
      l1[d] = 0;
      continue;
    }
    let real = f32(f32(scale * f32(d + 0.5)) - 0.5);
    if (real < 0) real = 0;
    const a = Math.min(Math.floor(real), inSize - 1);
    const lam = Math.min(Math.max(f32(real - a), 0), 1);
    i0[d] = a;
    i1[d] = a < inSize - 1 ? a + 1 : a;
    l1[d] = lam;
    l0[d] = f32(1 - lam);
  }
  return { i0, i1, l0, l1 };
}

/**
 * `tnf.interpolate(m, size, mode="bilinear", align_corners=False)` of one float map followed by
 * `> threshold`: a 0/1 mask at the output size.
 */
export function resizeBilinearThreshold(
  src: ArrayLike<number>,
  offset: number,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  threshold: number,
): Uint8Array {
  const xs = linearTaps(inW, outW), ys = linearTaps(inH, outH);
  const out = new Uint8Array(outW * outH);
  const thr = f32(threshold);
  for (let y = 0; y < outH; y++) {
    const r0 = offset + ys.i0[y] * inW, r1 = offset + ys.i1[y] * inW;
    const h0 = ys.l0[y], h1 = ys.l1[y];
    for (let x = 0; x < outW; x++) {
      const a = xs.i0[x], b = xs.i1[x], w0 = xs.l0[x], w1 = xs.l1[x];
      const top = f32(f32(f32(src[r0 + a]) * w0) + f32(f32(src[r0 + b]) * w1));
      const bottom = f32(f32(f32(src[r1 + a]) * w0) + f32(f32(src[r1 + b]) * w1));
      const v = f32(f32(top * h0) + f32(bottom * h1));
      out[y * outW + x] = v > thr ? 1 : 0;
    }
  }
  return out;
}

/** float32 softmax over values[offset, offset + n), as torch computes it on CPU. */
export function softmax32(values: ArrayLike<number>, offset: number, n: number): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, f32(values[offset + i]));
  const out = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(f32(f32(values[offset + i]) - max));
    sum = f32(sum + out[i]);
  }
  const inv = f32(1 / sum);
  for (let i = 0; i < n; i++) out[i] = f32(out[i] * inv);
  return out;
}

/** float32 logistic sigmoid over values[offset, offset + n). */
export function sigmoid32(values: ArrayLike<number>, offset: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-f32(values[offset + i])));
  return out;
}

/** Indices of the k largest values, largest first; equal values by lowest index. */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b] - values[a] || a - b);
  return idx.slice(0, Math.max(0, k));
}

/**
 * Python's `round(x, digits)`: the decimal nearest to x's exact binary value, exact ties to even
 * (JavaScript's toFixed sends ties away from zero; 10.125 → 10.12 in Python, "10.13" in JS).
 */
export function pyRound(x: number, digits: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return x;
  const tie = exactTie(Math.abs(x), digits);
  if (tie === null) return Number(x.toFixed(digits));
  const q = tie % 2n === 0n ? tie : tie + 1n;
  const v = Number(`${q}e-${digits}`);
  return x < 0 ? -v : v;
}

/** floor(x · 10^digits) when x · 10^digits is exactly k + 0.5, else null. x ≥ 0. */
function exactTie(x: number, digits: number): bigint | null {
  if (x === 0) return null;
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0), lo = dv.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  if (e >= 0) return null; // an integer: no fraction at all
  const num = mant * 10n ** BigInt(digits);
  const den = 1n << BigInt(-e);
  return num % den === den / 2n ? num / den : null;
}
