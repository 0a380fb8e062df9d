/**
 * A baseline JPEG encoder (JFIF, 4:4:4, standard Huffman tables, IJG quality scaling) for
 * generated photos. The tables are built once per quality, so encoding a small image takes a
 * few milliseconds, and the output depends only on the pixels and the quality: the same input
 * always gives the same bytes.
 */

/** Natural index of the k-th coefficient in zig-zag order. */
// deno-fmt-ignore
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
  52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

// ITU-T T.81 Annex K.1 quantisation tables, natural order.
// deno-fmt-ignore
const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
  92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
// deno-fmt-ignore
const CHROMA_Q = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
  47, 66, 99, 99, 99, 99, 99, 99, ...new Array(32).fill(99),
];

// Annex K.3 Huffman tables: code counts per length 1..16, then the symbols.
const DC_LUMA_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_CHROMA_BITS = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_LUMA_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
// deno-fmt-ignore
const AC_LUMA_VALUES = [
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
  0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
  0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
  0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
  0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
  0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
  0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
  0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
  0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
  0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
  0xf9, 0xfa,
];
const AC_CHROMA_BITS = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
// deno-fmt-ignore
const AC_CHROMA_VALUES = [
  0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
  0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
  0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
  0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
  0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
  0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
  0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
  0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
  0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
  0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
  0xf9, 0xfa,
];

/** AAN DCT scale factors (folded into the quantisation divisors). */
const AAN = [1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.5411961, 0.275899379];

interface HuffTable {
  code: Uint16Array;
  len: Uint8Array;
}

function buildHuffman(bits: number[], values: number[]): HuffTable {
  const code = new Uint16Array(256), len = new Uint8Array(256);
  let c = 0, k = 0;
  for (let l = 1; l <= 16; l++) {
    for (let i = 0; i < bits[l - 1]; i++) {
      code[values[k]] = c++;
      len[values[k]] = l;
      k++;
    }
    c <<= 1;
  }
  return { code, len };
}

const DC_LUMA = buildHuffman(DC_LUMA_BITS, DC_VALUES);
const DC_CHROMA = buildHuffman(DC_CHROMA_BITS, DC_VALUES);
const AC_LUMA = buildHuffman(AC_LUMA_BITS, AC_LUMA_VALUES);
const AC_CHROMA = buildHuffman(AC_CHROMA_BITS, AC_CHROMA_VALUES);

interface QuantSet {
  /** Quantiser values in zig-zag order, as written to DQT. */
  lumaZz: number[];
  chromaZz: number[];
  /** Multipliers applied to the AAN output (natural order). */
  lumaMul: Float64Array;
  chromaMul: Float64Array;
}

const quantCache = new Map<number, QuantSet>();

function quantTables(quality: number): QuantSet {
  const hit = quantCache.get(quality);
  if (hit) return hit;
  const scale = quality < 50 ? Math.floor(5000 / quality) : 200 - quality * 2;
  const scaled = (base: number[]) =>
    base.map((v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
  const luma = scaled(LUMA_Q), chroma = scaled(CHROMA_Q);
  const mul = (q: number[]) => {
    const m = new Float64Array(64);
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 8; c++) m[r * 8 + c] = 1 / (q[r * 8 + c] * AAN[r] * AAN[c] * 8);
    }
    return m;
  };
  const set: QuantSet = {
    lumaZz: ZIGZAG.map((i) => luma[i]),
    chromaZz: ZIGZAG.map((i) => chroma[i]),
    lumaMul: mul(luma),
    chromaMul: mul(chroma),
  };
  quantCache.set(quality, set);
  return set;
}

/** In-place forward DCT of an 8×8 block (AAN, floating point). */
function fdct(d: Float64Array): void {
  for (let pass = 0; pass < 2; pass++) {
    const step = pass === 0 ? 1 : 8, stride = pass === 0 ? 8 : 1;
    for (let i = 0; i < 8; i++) {
      const o = i * stride;
      const d0 = d[o], d1 = d[o + step], d2 = d[o + 2 * step], d3 = d[o + 3 * step];
      const d4 = d[o + 4 * step], d5 = d[o + 5 * step], d6 = d[o + 6 * step], d7 = d[o + 7 * step];
      const t0 = d0 + d7, t7 = d0 - d7, t1 = d1 + d6, t6 = d1 - d6;
      const t2 = d2 + d5, t5 = d2 - d5, t3 = d3 + d4, t4 = d3 - d4;
      let t10 = t0 + t3;
      const t13 = t0 - t3;
      let t11 = t1 + t2;
      let t12 = t1 - t2;
      d[o] = t10 + t11;
      d[o + 4 * step] = t10 - t11;
      const z1 = (t12 + t13) * 0.707106781;
      d[o + 2 * step] = t13 + z1;
      d[o + 6 * step] = t13 - z1;
      t10 = t4 + t5;
      t11 = t5 + t6;
      t12 = t6 + t7;
      const z5 = (t10 - t12) * 0.382683433;
      const z2 = 0.5411961 * t10 + z5;
      const z4 = 1.306562965 * t12 + z5;
      const z3 = t11 * 0.707106781;
      const z11 = t7 + z3, z13 = t7 - z3;
      d[o + 5 * step] = z13 + z2;
      d[o + 3 * step] = z13 - z2;
      d[o + step] = z11 + z4;
      d[o + 7 * step] = z11 - z4;
    }
  }
}

/** Appends bits MSB first, with 0xFF byte stuffing. */
class BitWriter {
  buf: Uint8Array;
  n = 0;
  private acc = 0;
  private bits = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  byte(b: number): void {
    if (this.n === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = b;
  }

  bytes(list: ArrayLike<number>): void {
    for (let i = 0; i < list.length; i++) this.byte(list[i]);
  }

  write(value: number, count: number): void {
    this.acc = (this.acc << count) | (value & ((1 << count) - 1));
    this.bits += count;
    while (this.bits >= 8) {
      const b = (this.acc >>> (this.bits - 8)) & 0xff;
      this.byte(b);
      if (b === 0xff) this.byte(0);
      this.bits -= 8;
    }
    this.acc &= (1 << this.bits) - 1;
  }

  /** Pads the last byte with 1 bits (T.81 F.1.2.3). */
  flush(): void {
    if (this.bits > 0) this.write((1 << (8 - this.bits)) - 1, 8 - this.bits);
  }
}

function bitCount(v: number): number {
  let a = v < 0 ? -v : v, n = 0;
  while (a) {
    n++;
    a >>= 1;
  }
  return n;
}

function encodeBlock(
  w: BitWriter,
  block: Float64Array,
  mul: Float64Array,
  prevDc: number,
  dc: HuffTable,
  ac: HuffTable,
): number {
  fdct(block);
  const q = new Int32Array(64);
  for (let k = 0; k < 64; k++) {
    const i = ZIGZAG[k];
    const v = block[i] * mul[i];
    q[k] = v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
  }
  const diff = q[0] - prevDc;
  const cat = bitCount(diff);
  w.write(dc.code[cat], dc.len[cat]);
  if (cat) w.write(diff < 0 ? diff + (1 << cat) - 1 : diff, cat);
  let run = 0;
  for (let k = 1; k < 64; k++) {
    const v = q[k];
    if (v === 0) {
      run++;
      continue;
    }
    while (run >= 16) {
      w.write(ac.code[0xf0], ac.len[0xf0]);
      run -= 16;
    }
    const c = bitCount(v);
    const sym = (run << 4) | c;
    w.write(ac.code[sym], ac.len[sym]);
    w.write(v < 0 ? v + (1 << c) - 1 : v, c);
    run = 0;
  }
  if (run > 0) w.write(ac.code[0], ac.len[0]);
  return q[0];
}

function segment(w: BitWriter, marker: number, body: number[]): void {
  w.bytes([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff]);
  w.bytes(body);
}

function dht(cls: number, id: number, bits: number[], values: number[]): number[] {
  return [(cls << 4) | id, ...bits, ...values];
}

/** Encodes RGB (3 samples per pixel, row-major) as a baseline JPEG at `quality` (1–100). */
export function encodeJpeg(
  width: number,
  height: number,
  rgb: Uint8Array,
  quality = 88,
): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`JPEG size must be positive integers, got ${width}×${height}`);
  }
  if (width > 65535 || height > 65535) throw new Error(`JPEG size ${width}×${height} is too large`);
  if (rgb.length !== width * height * 3) {
    throw new Error(
      `JPEG data has ${rgb.length} bytes; ${width}×${height} RGB needs ${width * height * 3}`,
    );
  }
  const qual = Math.min(100, Math.max(1, Math.round(quality)));
  const qt = quantTables(qual);
  const w = new BitWriter(1024 + width * height);
  w.bytes([0xff, 0xd8]);
  segment(w, 0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  segment(w, 0xdb, [0, ...qt.lumaZz, 1, ...qt.chromaZz]);
  // SOF0: 8-bit samples, height, width, then Y, Cb, Cr at 1×1 sampling (tables 0, 1, 1).
  const sof = [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3];
  segment(w, 0xc0, [...sof, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]);
  segment(w, 0xc4, [
    ...dht(0, 0, DC_LUMA_BITS, DC_VALUES),
    ...dht(1, 0, AC_LUMA_BITS, AC_LUMA_VALUES),
    ...dht(0, 1, DC_CHROMA_BITS, DC_VALUES),
    ...dht(1, 1, AC_CHROMA_BITS, AC_CHROMA_VALUES),
  ]);
  segment(w, 0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
  const Y = new Float64Array(64), Cb = new Float64Array(64), Cr = new Float64Array(64);
  let dcY = 0, dcCb = 0, dcCr = 0;
  for (let by = 0; by < height; by += 8) {
    for (let bx = 0; bx < width; bx += 8) {
      for (let r = 0; r < 8; r++) {
        const y = Math.min(height - 1, by + r);
        for (let c = 0; c < 8; c++) {
          const x = Math.min(width - 1, bx + c);
          const p = (y * width + x) * 3;
          const R = rgb[p], G = rgb[p + 1], B = rgb[p + 2];
          const i = r * 8 + c;
          Y[i] = 0.299 * R + 0.587 * G + 0.114 * B - 128;
          Cb[i] = -0.168736 * R - 0.331264 * G + 0.5 * B;
          Cr[i] = 0.5 * R - 0.418688 * G - 0.081312 * B;
        }
      }
      dcY = encodeBlock(w, Y, qt.lumaMul, dcY, DC_LUMA, AC_LUMA);
      dcCb = encodeBlock(w, Cb, qt.chromaMul, dcCb, DC_CHROMA, AC_CHROMA);
      dcCr = encodeBlock(w, Cr, qt.chromaMul, dcCr, DC_CHROMA, AC_CHROMA);
    }
  }
  w.flush();
  w.bytes([0xff, 0xd9]);
  return w.buf.slice(0, w.n);
}
