/**
 * Test helpers for the demo: the default datasets generated once per test process (and a
 * Generate that serves them), and an independent PNG reader.
 */
import { unzlibSync } from "fflate";
import { DEMO_SEED, generateDemoDatasets } from "./datasets.ts";
import type { Generate } from "./generate.ts";
import type { GeneratedDataset } from "./types.ts";

let cached: Promise<GeneratedDataset[]> | null = null;

/** Every demo dataset at the default seed, generated once and shared by the tests. */
export function defaultDatasets(): Promise<GeneratedDataset[]> {
  cached ??= Promise.resolve(generateDemoDatasets(DEMO_SEED));
  return cached;
}

/** A Generate that serves the shared default datasets (fast after the first call). */
export const cachedGenerate: Generate = async (_seed, only) =>
  (await defaultDatasets()).filter((d) => !only || only.includes(d.id));

/** A decoded 8-bit PNG: samples row-major, `channels` per pixel. */
export interface TestPng {
  width: number;
  height: number;
  channels: number;
  bitDepth: number;
  data: Uint8Array;
}

/**
 * A small PNG reader written independently of the encoder (8-bit gray, RGB, RGBA; not
 * interlaced), so tests check the encoder's bytes against the format rather than itself.
 */
export function readPng(buf: Uint8Array): TestPng {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (sig.some((v, i) => buf[i] !== v)) throw new Error("not a PNG");
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 8, width = 0, height = 0, bitDepth = 0, colorType = 0;
  const idat: Uint8Array[] = [];
  while (p < buf.length) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(...buf.subarray(p + 4, p + 8));
    const body = buf.subarray(p + 8, p + 8 + len);
    if (type === "IHDR") {
      width = dv.getUint32(p + 8);
      height = dv.getUint32(p + 12);
      bitDepth = body[8];
      colorType = body[9];
      if (body[12] !== 0) throw new Error("interlaced PNGs are not read here");
    } else if (type === "IDAT") idat.push(body);
    p += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 6: 4 } as Record<number, number>)[colorType];
  if (!channels || bitDepth !== 8) throw new Error(`colour type ${colorType}/${bitDepth} bits`);
  const raw = unzlibSync(concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[y * stride + i - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? out[(y - 1) * stride + i - channels] : 0;
      const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
      const pred = f === 0
        ? 0
        : f === 1
        ? a
        : f === 2
        ? b
        : f === 3
        ? (a + b) >> 1
        : pa <= pb && pa <= pc
        ? a
        : pb <= pc
        ? b
        : c;
      out[y * stride + i] = (src[i] + pred) & 0xff;
    }
  }
  return { width, height, channels, bitDepth, data: out };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}
