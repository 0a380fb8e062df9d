/**
 * Demo generation speed: all five datasets (images drawn, encoded, annotations written), and
 * the JPEG and PNG encoders against jpeg-js's encoder and a filterless PNG, both measured here.
 */
import jpeg from "jpeg-js";
import { encodePng } from "@/lib/image/png.ts";
import { generateDemoDatasets } from "@/lib/demo/datasets.ts";
import { encodeJpeg } from "@/lib/demo/jpeg.ts";

import { Canvas, placeShapes } from "@/lib/demo/raster.ts";
import { Rng } from "@/lib/demo/rng.ts";
import { readPng } from "@/lib/demo/testing.ts";

function timeIt(n: number, fn: () => void): number {
  fn(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t0) / n;
}

/** Prints generation and encoder figures. */
export async function run(): Promise<void> {
  const t0 = performance.now();
  const sets = generateDemoDatasets();
  const ms = performance.now() - t0;
  let files = 0, bytes = 0;
  for (const s of sets) {
    files += s.files.size;
    for (const b of s.files.values()) bytes += b.length;
  }
  console.log(
    `demo.generate  ${sets.length} datasets  ${files} files  ${(bytes / 1e6).toFixed(1)} MB  ` +
      `${(ms / 1000).toFixed(2)} s`,
  );

  const rng = new Rng(1);
  const c = new Canvas(192, 144);
  c.background(rng);
  for (const s of placeShapes(rng, 192, 144, 4, [10, 30])) c.drawShape(s, rng);
  c.noise(rng, 6);
  const rgba = new Uint8Array(192 * 144 * 4);
  for (let i = 0, j = 0; i < c.rgb.length; i += 3, j += 4) {
    rgba.set(c.rgb.subarray(i, i + 3), j);
    rgba[j + 3] = 255;
  }
  const ours = timeIt(40, () => encodeJpeg(192, 144, c.rgb, 88));
  const base = timeIt(10, () => jpeg.encode({ data: rgba, width: 192, height: 144 }, 88));
  console.log(
    `demo.jpeg  192×144  ${ours.toFixed(1)} ms/image  ${(base / ours).toFixed(1)}x vs jpeg-js ` +
      `(${base.toFixed(1)} ms, same run)`,
  );

  // Real label maps: the semantic masks and panoptic id PNGs of the demo, re-encoded.
  const labels: { w: number; h: number; ch: 1 | 3; data: Uint8Array }[] = [];
  for (const s of sets) {
    for (const [rel, b] of s.files) {
      if (!rel.endsWith(".png")) continue;
      const d = readPng(b);
      labels.push({ w: d.width, h: d.height, ch: d.channels as 1 | 3, data: d.data as Uint8Array });
    }
  }
  const size = (filter: "best" | "adaptive" | "none") =>
    labels.reduce(
      (n, l) =>
        n + encodePng({ width: l.w, height: l.h, channels: l.ch, data: l.data }, { filter }).length,
      0,
    );
  const tp = performance.now();
  const best = size("best");
  const pngMs = (performance.now() - tp) / labels.length;
  const adaptive = size("adaptive"), none = size("none");
  console.log(
    `demo.png  ${labels.length} label maps  ${pngMs.toFixed(2)} ms each  ${
      (best / 1e3).toFixed(0)
    } kB  ` +
      `vs adaptive-only ${(adaptive / best).toFixed(2)}x, unfiltered ${
        (none / best).toFixed(2)
      }x (same run)`,
  );
  await Promise.resolve();
}

if (import.meta.main) await run();
