/**
 * Split statistics from flat arrays, shared by every format: the readers reduce their data to
 * per-image sizes and per-annotation (image, class, box) columns and this module aggregates them
 * into what the charts show (Roboflow Health Check's set plus COCO size buckets).
 */
import type { ClassStat, Histogram, SplitStats } from "./types.ts";

export interface StatsInput {
  /** Image sizes (NaN when unknown). */
  imgW: ArrayLike<number>;
  imgH: ArrayLike<number>;
  /** How each image is named in the "without annotations" sample. */
  imgLabel: (i: number) => number | string;
  categories: { id: number; name: string }[];
  /** Per annotation: image index (-1 unknown) and category index into `categories` (-1 unknown). */
  annImg?: Int32Array;
  annCat?: Int32Array;
  bx?: ArrayLike<number>;
  by?: ArrayLike<number>;
  bw?: ArrayLike<number>;
  bh?: ArrayLike<number>;
  area?: ArrayLike<number>;
  crowd?: ArrayLike<number>;
  /** Classification / masks: counts and image counts per category index, given directly. */
  classCounts?: number[];
  classImages?: number[];
  /** Masks / panoptic: labelled pixels per category index. */
  classPixels?: number[];
  /** Images that count as labelled when there are no annotation columns (masks). */
  labelledImages?: number;
  /** Objects per image given directly (masks: segments; classification: 1). */
  objectsPerImage?: Uint32Array;
}

const OBJ_LABELS = [
  ...Array.from({ length: 21 }, (_, i) => String(i)),
  "21–30",
  "31–50",
  "51–100",
  ">100",
];
const AR_EDGES = [0.5, 0.67, 0.8, 0.95, 1.05, 1.25, 1.5, 2];
const AR_LABELS = [
  "<0.5",
  "0.5–0.67",
  "0.67–0.8",
  "0.8–0.95",
  "0.95–1.05",
  "1.05–1.25",
  "1.25–1.5",
  "1.5–2",
  "≥2",
];
const REL_LABELS = Array.from(
  { length: 10 },
  (_, i) => `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}`,
);
/** Cells per side of the annotation-location heatmap. */
export const HEATMAP_SIZE = 32;

function objBucket(n: number): number {
  if (n <= 20) return n;
  if (n <= 30) return 21;
  if (n <= 50) return 22;
  if (n <= 100) return 23;
  return 24;
}

/** Aggregates one split. */
export function computeStats(s: StatsInput): SplitStats {
  const nImg = s.imgW.length;
  const nCat = s.categories.length;
  const counts = s.classCounts?.slice() ?? new Array(nCat).fill(0);
  const imgsPerClass = s.classImages?.slice() ?? new Array(nCat).fill(0);
  const perImage = s.objectsPerImage ?? new Uint32Array(nImg);
  const boxSizes = { small: 0, medium: 0, large: 0 };
  const rel = new Array(10).fill(0);
  const heat = new Array(HEATMAP_SIZE * HEATMAP_SIZE).fill(0);
  let crowd = 0;
  const nAnn = s.annImg?.length ?? 0;

  if (s.annImg && s.annCat) {
    // (image, class) pairs already counted for images-per-class: a bitmap when it is small enough
    const cells = nImg * (nCat + 1);
    const bits = cells <= 1 << 28 ? new Uint8Array((cells >> 3) + 1) : null;
    const seen = bits ? null : new Set<number>();
    const { bx, by, bw, bh, area } = s;
    for (let a = 0; a < nAnn; a++) {
      const im = s.annImg[a];
      const c = s.annCat[a];
      if (s.crowd?.[a]) crowd++;
      if (c >= 0) {
        counts[c]++;
        if (im >= 0) {
          const key = im * (nCat + 1) + c;
          if (bits) {
            const m = 1 << (key & 7);
            if (!(bits[key >> 3] & m)) {
              bits[key >> 3] |= m;
              imgsPerClass[c]++;
            }
          } else if (!seen!.has(key)) {
            seen!.add(key);
            imgsPerClass[c]++;
          }
        }
      }
      if (im >= 0) perImage[im]++;
      if (!bw || !bh || !bx || !by) continue;
      const w = bw[a], h = bh[a];
      if (!(w > 0 && h > 0)) continue;
      const ar = area && area[a] > 0 ? area[a] : w * h;
      if (!s.crowd?.[a]) {
        if (ar < 32 * 32) boxSizes.small++;
        else if (ar < 96 * 96) boxSizes.medium++;
        else boxSizes.large++;
      }
      if (im < 0) continue;
      const W = s.imgW[im], H = s.imgH[im];
      if (!(W > 0 && H > 0)) continue;
      const r = Math.sqrt((w * h) / (W * H));
      rel[Math.min(9, Math.floor(r * 10))]++;
      const cx = (bx[a] + w / 2) / W, cy = (by[a] + h / 2) / H;
      if (cx >= 0 && cx <= 1 && cy >= 0 && cy <= 1) {
        const gx = Math.min(HEATMAP_SIZE - 1, Math.floor(cx * HEATMAP_SIZE));
        const gy = Math.min(HEATMAP_SIZE - 1, Math.floor(cy * HEATMAP_SIZE));
        heat[gy * HEATMAP_SIZE + gx]++;
      }
    }
  }

  const objHist = new Array(OBJ_LABELS.length).fill(0);
  let empty = 0;
  const emptySample: (number | string)[] = [];
  const sizes = new Map<number, number>();
  const ars: number[] = [];
  const arHist = new Array(AR_LABELS.length).fill(0);
  let sumW = 0, sumH = 0, nSized = 0;
  const labelled = s.annImg || s.objectsPerImage;
  for (let i = 0; i < nImg; i++) {
    objHist[objBucket(perImage[i])]++;
    if (labelled && perImage[i] === 0) {
      empty++;
      if (emptySample.length < 200) emptySample.push(s.imgLabel(i));
    }
    const w = s.imgW[i], h = s.imgH[i];
    if (w > 0 && h > 0) {
      sumW += w;
      sumH += h;
      nSized++;
      const k = w * 100003 + h;
      sizes.set(k, (sizes.get(k) ?? 0) + 1);
      const ar = w / h;
      ars.push(ar);
      let b = 0;
      while (b < AR_EDGES.length && ar >= AR_EDGES[b]) b++;
      arHist[b]++;
    }
  }
  ars.sort((a, b) => a - b);
  const median = ars.length === 0
    ? 0
    : ars.length % 2
    ? ars[(ars.length - 1) / 2]
    : (ars[ars.length / 2 - 1] + ars[ars.length / 2]) / 2;

  const totalPixels = s.classPixels?.reduce((a, b) => a + b, 0) ?? 0;
  const classes: ClassStat[] = s.categories.map((c, i) => {
    const cs: ClassStat = { id: c.id, name: c.name, count: counts[i], images: imgsPerClass[i] };
    if (s.classPixels) cs.pixelShare = totalPixels ? s.classPixels[i] / totalPixels : 0;
    return cs;
  });

  return {
    images: nImg,
    annotations: s.classCounts ? counts.reduce((a, b) => a + b, 0) : nAnn,
    crowd,
    classes,
    imbalance: imbalance(classes),
    objectsPerImage: { labels: OBJ_LABELS, counts: objHist },
    imageSizes: [...sizes.entries()]
      .map(([k, count]) => ({ w: Math.floor(k / 100003), h: k % 100003, count }))
      .sort((a, b) => b.count - a.count)
      .slice(0, 2000),
    aspectRatio: { labels: AR_LABELS, counts: arHist, median },
    meanWidth: nSized ? sumW / nSized : 0,
    meanHeight: nSized ? sumH / nSized : 0,
    boxSizes,
    relativeSize: { labels: REL_LABELS, counts: rel } satisfies Histogram,
    heatmap: { size: HEATMAP_SIZE, cells: heat },
    imagesWithoutAnnotations: empty,
    imagesWithoutAnnotationsSample: emptySample,
  };
}

/** Imbalance as the accelerator's EDA page defines it: max/min over non-empty classes. */
export function imbalance(classes: ClassStat[]): SplitStats["imbalance"] {
  const present = classes.filter((c) => c.count > 0);
  if (present.length === 0) return { ratio: 0, level: "balanced", mean: 0, over: [], under: [] };
  const mean = present.reduce((a, c) => a + c.count, 0) / present.length;
  const max = Math.max(...present.map((c) => c.count));
  const min = Math.min(...present.map((c) => c.count));
  const ratio = present.length < 2 ? 0 : max / min;
  return {
    ratio,
    level: ratio > 10 ? "severe" : ratio > 5 ? "moderate" : "balanced",
    mean,
    over: classes.filter((c) => c.count > 1.5 * mean).map((c) => c.id),
    under: classes.filter((c) => c.count < 0.5 * mean).map((c) => c.id),
  };
}
