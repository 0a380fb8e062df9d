/**
 * Run-length encoded binary masks, bit-compatible with the COCO mask API (pycocotools'
 * maskApi.c): column-major runs starting with a run of zeros, the same compressed string form,
 * the same polygon rasterisation (5x upsampled boundary walk) and the same IoU rules. Matching
 * pycocotools to the pixel is what makes our segm mAP equal to theirs.
 */

import { rleCountsFromString, rleCountsToString } from "../image/coco_rle.ts";

/** A binary mask of height `h` and width `w` as alternating 0/1 run lengths (column-major). */
export interface Rle {
  h: number;
  w: number;
  counts: Uint32Array;
}

/** An RLE as it appears in COCO JSON: `counts` is a compressed string or a list of runs. */
export interface RleJson {
  size: [number, number];
  counts: string | number[];
}

/** Decodes the compressed LEB128-like string form (maskApi.c rleFrString); throws if malformed. */
export function rleFromString(s: string, h: number, w: number): Rle {
  return { h, w, counts: Uint32Array.from(rleCountsFromString(s, true)) };
}

/** Encodes runs into the compressed string form (maskApi.c rleToString). */
export function rleToString(r: Rle): string {
  return rleCountsToString(r.counts);
}

/** Encodes a column-major 0/1 mask (maskApi.c rleEncode). */
export function rleEncode(mask: ArrayLike<number>, h: number, w: number): Rle {
  const a = h * w;
  const cnts: number[] = [];
  let p = 0;
  let c = 0;
  for (let j = 0; j < a; j++) {
    const v = mask[j] ? 1 : 0;
    if (v !== p) {
      cnts.push(c);
      c = 0;
      p = v;
    }
    c++;
  }
  cnts.push(c);
  return { h, w, counts: Uint32Array.from(cnts) };
}

/** Expands runs into a column-major 0/1 mask of h*w bytes. */
export function rleDecode(r: Rle): Uint8Array {
  const out = new Uint8Array(r.h * r.w);
  let pos = 0;
  let v = 0;
  for (let j = 0; j < r.counts.length; j++) {
    const n = r.counts[j];
    if (v) out.fill(1, pos, pos + n);
    pos += n;
    v ^= 1;
  }
  return out;
}

/** Number of foreground pixels. */
export function rleArea(r: Rle): number {
  let a = 0;
  for (let j = 1; j < r.counts.length; j += 2) a += r.counts[j];
  return a;
}

/** Tight [x, y, w, h] box of the foreground; zeros for an empty mask. */
export function rleToBbox(r: Rle): [number, number, number, number] {
  const h = r.h;
  const m = Math.floor(r.counts.length / 2) * 2;
  if (m === 0 || h === 0) return [0, 0, 0, 0];
  let xs = r.w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
  for (let j = 0; j < m; j++) {
    cc += r.counts[j];
    const t = cc - (j % 2);
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    if (x < xs) xs = x;
    if (x > xe) xe = x;
    if (y < ys) ys = y;
    if (y > ye) ye = y;
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

// Reused work buffers: polygon rasterisation runs per annotation, and allocating eight typed
// arrays each time cost as much as the walk itself. Contents are always written before read.
const SCRATCH: Int32Array[] = [];
function scratch(slot: number, n: number): Int32Array {
  if (!SCRATCH[slot] || SCRATCH[slot].length < n) {
    SCRATCH[slot] = new Int32Array(Math.max(n, 2 * (SCRATCH[slot]?.length ?? 0), 1024));
  }
  return SCRATCH[slot];
}

/**
 * Rasterises one polygon [x0,y0,x1,y1,...] exactly as maskApi.c rleFrPoly: boundary points at 5x
 * resolution, downsampled to pixel-centre crossings per column. Integer casts truncate like C.
 */
export function rleFromPolygon(xy: ArrayLike<number>, h: number, w: number): Rle {
  const k = Math.floor(xy.length / 2);
  if (k === 0) return { h, w, counts: Uint32Array.of(h * w) };
  const scale = 5;
  const x = scratch(0, k + 1);
  const y = scratch(1, k + 1);
  for (let j = 0; j < k; j++) x[j] = Math.trunc(scale * xy[j * 2] + 0.5);
  x[k] = x[0];
  for (let j = 0; j < k; j++) y[j] = Math.trunc(scale * xy[j * 2 + 1] + 0.5);
  y[k] = y[0];
  let m = 0;
  for (let j = 0; j < k; j++) {
    m += Math.max(Math.abs(x[j] - x[j + 1]), Math.abs(y[j] - y[j + 1])) + 1;
  }
  const u = scratch(2, m);
  const v = scratch(3, m);
  m = 0;
  for (let j = 0; j < k; j++) {
    let xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      let t = xs;
      xs = xe;
      xe = t;
      t = ys;
      ys = ye;
      ye = t;
    }
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u[m] = t + xs;
        v[m] = Math.trunc(ys + s * t + 0.5); // NaN (0/0 on a repeated point) stores 0, unused
        m++;
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v[m] = t + ys;
        u[m] = Math.trunc(xs + s * t + 0.5);
        m++;
      }
    }
  }
  // points along the y-boundary, downsampled
  const n = m;
  const bx = scratch(4, n);
  const by = scratch(5, n);
  m = 0;
  for (let j = 1; j < n; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    bx[m] = xd;
    by[m] = yd;
    m++;
  }
  const kk = m + 1;
  const a = new Uint32Array(scratch(6, kk).buffer, 0, kk);
  for (let j = 0; j < m; j++) a[j] = (bx[j] * h + by[j]) >>> 0;
  a[m] = (h * w) >>> 0;
  a.sort();
  let p = 0;
  for (let j = 0; j < kk; j++) {
    const t = a[j];
    a[j] = t - p;
    p = t;
  }
  const b = new Uint32Array(scratch(7, kk).buffer, 0, kk);
  let j = 0;
  m = 0;
  b[m++] = a[j++];
  while (j < kk) {
    if (a[j] > 0) b[m++] = a[j++];
    else {
      j++;
      if (j < kk) b[m - 1] += a[j++];
    }
  }
  return { h, w, counts: b.slice(0, m) };
}

/** Rasterises an [x, y, w, h] box through the polygon path (maskApi.c rleFrBbox). */
export function rleFromBbox(bb: ArrayLike<number>, h: number, w: number): Rle {
  const xs = bb[0], xe = xs + bb[2], ys = bb[1], ye = ys + bb[3];
  return rleFromPolygon([xs, ys, xs, ye, xe, ye, xe, ys], h, w);
}

/** Union (or intersection) of masks of equal size (maskApi.c rleMerge). */
export function rleMerge(rs: Rle[], intersect = false): Rle {
  if (rs.length === 0) return { h: 0, w: 0, counts: new Uint32Array(0) };
  if (rs.length === 1) return rs[0];
  const { h, w } = rs[0];
  let acc = rs[0].counts;
  for (let i = 1; i < rs.length; i++) {
    const B = rs[i];
    if (B.h !== h || B.w !== w) return { h: 0, w: 0, counts: new Uint32Array(0) };
    const A = acc;
    const out: number[] = [];
    let ca = A[0], cb = B.counts[0];
    let v = false, va = false, vb = false;
    let a = 1, b = 1, cc = 0, ct = 1;
    while (ct > 0) {
      const c = Math.min(ca, cb);
      cc += c;
      ct = 0;
      ca -= c;
      if (!ca && a < A.length) {
        ca = A[a++];
        va = !va;
      }
      ct += ca;
      cb -= c;
      if (!cb && b < B.counts.length) {
        cb = B.counts[b++];
        vb = !vb;
      }
      ct += cb;
      const vp: boolean = v;
      v = intersect ? va && vb : va || vb;
      if (v !== vp || ct === 0) {
        out.push(cc);
        cc = 0;
      }
    }
    acc = Uint32Array.from(out);
  }
  return { h, w, counts: acc };
}

/**
 * IoU of two masks; for a crowd ground truth the union is the detection's area (COCO rule).
 * Returns -1 when sizes differ, as maskApi.c does.
 */
export function rleIou(dt: Rle, gt: Rle, crowd: boolean): number {
  if (dt.h !== gt.h || dt.w !== gt.w) return -1;
  const dc = dt.counts, gc = gt.counts;
  if (dc.length === 0 || gc.length === 0) return 0;
  let ca = dc[0], cb = gc[0];
  const ka = dc.length, kb = gc.length;
  let va = false, vb = false;
  let a = 1, b = 1, inter = 0, uni = 0, ct = 1;
  while (ct > 0) {
    const c = ca < cb ? ca : cb;
    if (va || vb) {
      uni += c;
      if (va && vb) inter += c;
    }
    ct = 0;
    ca -= c;
    if (!ca && a < ka) {
      ca = dc[a++];
      va = !va;
    }
    ct += ca;
    cb -= c;
    if (!cb && b < kb) {
      cb = gc[b++];
      vb = !vb;
    }
    ct += cb;
  }
  if (inter === 0) return 0;
  if (crowd) uni = rleArea(dt);
  return inter / uni;
}

/** IoU of two [x, y, w, h] boxes with the COCO crowd rule (maskApi.c bbIou, same float order). */
export function bboxIou(
  dx: number,
  dy: number,
  dw: number,
  dh: number,
  gx: number,
  gy: number,
  gw: number,
  gh: number,
  crowd: boolean,
): number {
  const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
  if (w <= 0) return 0;
  const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
  if (h <= 0) return 0;
  const i = w * h;
  const da = dw * dh;
  const u = crowd ? da : da + gw * gh - i;
  return i / u;
}

/**
 * Converts a COCO `segmentation` (polygon list, uncompressed or compressed RLE) to an Rle, like
 * pycocotools' COCO.annToRLE. Throws a plain Error describing the shape problem; callers add
 * where it came from.
 */
export function segmentationToRle(segm: unknown, h: number, w: number): Rle {
  if (Array.isArray(segm)) {
    if (segm.length === 0) return { h, w, counts: Uint32Array.of(h * w) };
    if (!segm.every((p) => Array.isArray(p) && p.every((n) => typeof n === "number"))) {
      throw new Error("polygon segmentation must be a list of lists of numbers");
    }
    const polys = segm as number[][];
    // pycocotools quirk: a first "polygon" of exactly 4 numbers makes the whole list boxes
    if (polys[0].length === 4) {
      if (!polys.every((p) => p.length === 4)) {
        throw new Error("segmentation mixes 4-number boxes and polygons");
      }
      return rleMerge(polys.map((p) => rleFromBbox(p, h, w)));
    }
    return rleMerge(polys.map((p) => rleFromPolygon(p, h, w)));
  }
  if (segm && typeof segm === "object") {
    const o = segm as Partial<RleJson>;
    if (!Array.isArray(o.size) || o.size.length !== 2) {
      throw new Error("RLE segmentation needs size [height, width]");
    }
    const [rh, rw] = o.size;
    if (typeof o.counts === "string") {
      const r = rleFromString(o.counts, rh, rw);
      let total = 0;
      for (let i = 0; i < r.counts.length; i++) total += r.counts[i];
      if (total !== rh * rw) {
        throw new Error(`RLE counts sum to ${total}, expected height*width = ${rh * rw}`);
      }
      return r;
    }
    if (Array.isArray(o.counts)) {
      const total = o.counts.reduce((s, n) => s + n, 0);
      if (total !== rh * rw) {
        throw new Error(`RLE counts sum to ${total}, expected height*width = ${rh * rw}`);
      }
      return { h: rh, w: rw, counts: Uint32Array.from(o.counts) };
    }
    throw new Error("RLE segmentation needs counts (string or list of numbers)");
  }
  throw new Error("segmentation must be a polygon list or an RLE object");
}
