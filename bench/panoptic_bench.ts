/**
 * Panoptic quality's per-image pixel counting (lib/metrics/panoptic.ts `pairCounts`, which adds
 * runs of one (gt, pred) pair) against the per-pixel counting it replaced, measured in the same
 * run on the same generated masks: 1024×768 id maps of ~40 segments (a grid of jittered blocks
 * with irregular edges, as a panoptic PNG decodes), predictions with shifted boundaries, merged
 * and relabelled segments. Both must give identical counts; the full PanopticAccumulator time
 * per image is printed beside them.
 */
import { pairCounts, PanopticAccumulator, type SegmentInfo } from "@/lib/metrics/panoptic.ts";
import { mulberry32 } from "./random.ts";

const W = 1024, H = 768, IMAGES = 24, OFFSET = 2 ** 26;

/** One image: ground-truth and predicted id maps with their segments. */
function image(seed: number) {
  const rnd = mulberry32(seed);
  const cols = 8, rows = 5;
  const gt = new Uint32Array(W * H), pred = new Uint32Array(W * H);
  const cellW = W / cols, cellH = H / rows;
  // per row of cells, a wavy boundary offset per pixel row, so edges are not straight lines
  const wobble = Array.from({ length: H }, (_, y) => Math.round(6 * Math.sin(y / 17 + seed)));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const cx = Math.min(cols - 1, Math.floor((x + wobble[y] + W) % W / cellW));
      const cy = Math.min(rows - 1, Math.floor(y / cellH));
      const id = 1 + cy * cols + cx;
      gt[y * W + x] = id;
      // the prediction's boundaries are shifted; every 7th segment is merged into its neighbour
      const px = Math.min(cols - 1, Math.floor((x + wobble[y] + 9 + W) % W / cellW));
      const pid = 1 + cy * cols + px;
      pred[y * W + x] = pid % 7 === 0 ? pid - 1 : pid;
    }
  }
  const n = cols * rows;
  const cat = (id: number) => 1 + (id % 10);
  const gtSegs: SegmentInfo[] = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    category_id: cat(i + 1),
    iscrowd: rnd() < 0.03 ? 1 : 0,
  }));
  const used = new Set(pred);
  const prSegs: SegmentInfo[] = [...used].map((id) => ({
    id,
    category_id: rnd() < 0.1 ? cat(id + 3) : cat(id),
  }));
  return { gt, pred, gtSegs, prSegs };
}

/** The per-pixel counting: three map updates for every pixel. */
function perPixelCounts(gtIds: ArrayLike<number>, predIds: ArrayLike<number>) {
  const gtArea = new Map<number, number>(), prArea = new Map<number, number>();
  const inter = new Map<number, number>();
  for (let i = 0; i < gtIds.length; i++) {
    const g = gtIds[i], p = predIds[i];
    gtArea.set(g, (gtArea.get(g) ?? 0) + 1);
    prArea.set(p, (prArea.get(p) ?? 0) + 1);
    const key = g * OFFSET + p;
    inter.set(key, (inter.get(key) ?? 0) + 1);
  }
  return { gtArea, prArea, inter };
}

function same(a: Map<number, number>, b: Map<number, number>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

export function run(): void {
  const images = Array.from({ length: IMAGES }, (_, i) => image(11 + i));
  // warm both up on one image
  pairCounts(images[0].gt, images[0].pred);
  perPixelCounts(images[0].gt, images[0].pred);
  let equal = true;
  const naive = time(() => {
    for (const im of images) perPixelCounts(im.gt, im.pred);
  });
  const runs = time(() => {
    for (const im of images) pairCounts(im.gt, im.pred);
  });
  for (const im of images) {
    const a = pairCounts(im.gt, im.pred), b = perPixelCounts(im.gt, im.pred);
    equal &&= same(a.gtArea, b.gtArea) && same(a.prArea, b.prArea) && same(a.inter, b.inter);
  }
  const cats = Array.from(
    { length: 10 },
    (_, i) => ({ id: i + 1, name: `c${i + 1}`, isthing: true }),
  );
  const acc = new PanopticAccumulator(cats);
  const full = time(() => {
    images.forEach((im, i) => acc.addImage(im.gt, im.gtSegs, im.pred, im.prSegs, `image ${i}`));
  });
  const mp = (W * H * IMAGES) / 1e6;
  const ms = (s: number) => `${((s / IMAGES) * 1000).toFixed(1)} ms/image`;
  console.log(
    `metrics.panoptic  ${IMAGES} images ${W}×${H} (${mp.toFixed(1)} MP): pixel counting ` +
      `${runs.toFixed(3)} s (${ms(runs)}) vs per-pixel ${naive.toFixed(3)} s (${ms(naive)}) in ` +
      `the same run: ${(naive / runs).toFixed(1)}x faster; counts ${equal ? "equal" : "DIFFER"}`,
  );
  console.log(
    `metrics.panoptic  PanopticAccumulator.addImage ${ms(full)}; PQ ${
      acc.result().all.pq.toFixed(3)
    }`,
  );
}

if (import.meta.main) run();
