/**
 * The indexed layout COCO evaluation runs on: ground truths and detections copied into typed
 * arrays and grouped into (category, image) buckets, category-major and images in ascending id
 * order. That is exactly the order in which pycocotools concatenates per-image results when it
 * accumulates, so a category's detections form one contiguous slice and nothing is looked up
 * through dictionaries in the hot loops.
 */
import type { CocoDetection, CocoGt, IouType } from "./coco_types.ts";
import { MetricsInputError } from "./input_error.ts";
import { type Rle, rleArea, rleToBbox, segmentationToRle } from "./mask_rle.ts";

/** Ground truths and detections bucketed by (category, image). Bucket b = catIdx * nImg + imgIdx. */
export interface CocoIndex {
  iouType: IouType;
  /** Image ids, ascending (pycocotools sorts p.imgIds). */
  imgIds: number[];
  /** Category ids, ascending. */
  catIds: number[];
  nImg: number;
  nCat: number;
  /** Bucket b's ground truths are [gtStart[b], gtStart[b+1]), in file order. */
  gtStart: Int32Array;
  gtBox: Float64Array;
  gtArea: Float64Array;
  gtCrowd: Uint8Array;
  gtId: Float64Array;
  /** Position of each ground truth in the file's annotations list. */
  gtSrc: Int32Array;
  gtRle: Rle[];
  /** Tight boxes of the masks (segm only), for the overlap pre-check. */
  gtMaskBox: Float64Array;
  /** Bucket b's detections are [dtStart[b], dtStart[b+1]): score-descending (stable), at most maxDets. */
  dtStart: Int32Array;
  dtBox: Float64Array;
  dtArea: Float64Array;
  dtScore: Float64Array;
  /** Position of each detection in the results list. */
  dtSrc: Int32Array;
  dtRle: Rle[];
  dtMaskBox: Float64Array;
  /** Detections left out because their category is not in the ground truth. */
  droppedDts: number;
}

function bucketOffsets(keys: Int32Array, nBuckets: number): Int32Array {
  const start = new Int32Array(nBuckets + 1);
  for (let i = 0; i < keys.length; i++) if (keys[i] >= 0) start[keys[i] + 1]++;
  for (let b = 0; b < nBuckets; b++) start[b + 1] += start[b];
  return start;
}

/**
 * Builds the index. Detections of unknown categories are dropped (pycocotools restricts to the
 * ground truth's categories); per bucket only the `maxDet` highest-scoring detections are kept.
 */
export function buildCocoIndex(
  gt: CocoGt,
  dts: CocoDetection[],
  iouType: IouType,
  maxDet = 100,
  sources: { gt: string; dt: string } = { gt: "ground truth", dt: "results" },
): CocoIndex {
  const imgIds = [...new Set(gt.images.map((im) => im.id))].sort((a, b) => a - b);
  const catIds = [...new Set(gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  const nImg = imgIds.length, nCat = catIds.length, nB = nImg * nCat;
  const imgIdx = new Map<number, number>();
  imgIds.forEach((id, i) => imgIdx.set(id, i));
  const catIdx = new Map<number, number>();
  catIds.forEach((id, i) => catIdx.set(id, i));
  const imgSize = new Map<number, [number, number]>();
  for (const im of gt.images) imgSize.set(im.id, [im.height, im.width]);
  const segm = iouType === "segm";

  // ground truth: stable counting sort into buckets keeps file order inside a bucket
  const anns = gt.annotations;
  const gKey = new Int32Array(anns.length);
  for (let i = 0; i < anns.length; i++) {
    const ii = imgIdx.get(anns[i].image_id), ci = catIdx.get(anns[i].category_id);
    gKey[i] = ii === undefined || ci === undefined ? -1 : ci * nImg + ii;
  }
  const gtStart = bucketOffsets(gKey, nB);
  const nG = gtStart[nB];
  const fill = gtStart.slice(0, nB);
  const gtBox = new Float64Array(nG * 4), gtArea = new Float64Array(nG);
  const gtCrowd = new Uint8Array(nG), gtId = new Float64Array(nG), gtSrc = new Int32Array(nG);
  const gtRle: Rle[] = segm ? new Array(nG) : [];
  const gtMaskBox = new Float64Array(segm ? nG * 4 : 0);
  for (let i = 0; i < anns.length; i++) {
    if (gKey[i] < 0) continue;
    const a = anns[i];
    const j = fill[gKey[i]]++;
    if (!a.bbox && !segm) {
      throw new MetricsInputError(
        sources.gt,
        `annotations[${i}].bbox`,
        "missing (bbox evaluation)",
      );
    }
    if (a.bbox) gtBox.set(a.bbox, j * 4);
    gtArea[j] = a.area;
    gtCrowd[j] = a.iscrowd ? 1 : 0;
    gtId[j] = a.id;
    gtSrc[j] = i;
    if (segm) {
      const size = imgSize.get(a.image_id)!;
      gtRle[j] = toRle(a.segmentation, size, sources.gt, `annotations[${i}].segmentation`);
      gtMaskBox.set(rleToBbox(gtRle[j]), j * 4);
      if (!a.bbox) gtBox.set(gtMaskBox.subarray(j * 4, j * 4 + 4), j * 4);
    }
  }

  // detections: bucket, then sort each bucket by score (stable) and cut at maxDet
  const dKey = new Int32Array(dts.length);
  for (let i = 0; i < dts.length; i++) {
    const ii = imgIdx.get(dts[i].image_id), ci = catIdx.get(dts[i].category_id);
    dKey[i] = ii === undefined || ci === undefined ? -1 : ci * nImg + ii;
  }
  let droppedDts = 0;
  for (let i = 0; i < dKey.length; i++) if (dKey[i] < 0) droppedDts++;
  const allStart = bucketOffsets(dKey, nB);
  const order = new Int32Array(allStart[nB]);
  const dfill = allStart.slice(0, nB);
  for (let i = 0; i < dts.length; i++) if (dKey[i] >= 0) order[dfill[dKey[i]]++] = i;
  const dtStart = new Int32Array(nB + 1);
  for (let b = 0; b < nB; b++) {
    const s = allStart[b], e = allStart[b + 1];
    if (e - s > 1) sortByScoreStable(order, s, e, dts);
    dtStart[b + 1] = dtStart[b] + Math.min(e - s, maxDet);
  }
  const nD = dtStart[nB];
  const dtBox = new Float64Array(nD * 4), dtArea = new Float64Array(nD);
  const dtScore = new Float64Array(nD), dtSrc = new Int32Array(nD);
  const dtRle: Rle[] = segm ? new Array(nD) : [];
  const dtMaskBox = new Float64Array(segm ? nD * 4 : 0);
  for (let b = 0; b < nB; b++) {
    let j = dtStart[b];
    const e = dtStart[b + 1];
    for (let p = allStart[b]; j < e; p++, j++) {
      const i = order[p];
      const d = dts[i];
      dtScore[j] = d.score;
      dtSrc[j] = i;
      if (segm) {
        const size = imgSize.get(d.image_id)!;
        dtRle[j] = d.mask ?? toRle(d.segmentation, size, sources.dt, `[${i}].segmentation`);
        dtArea[j] = d.area ?? rleArea(dtRle[j]);
        dtMaskBox.set(rleToBbox(dtRle[j]), j * 4);
        dtBox.set(d.bbox ?? dtMaskBox.subarray(j * 4, j * 4 + 4), j * 4);
      } else if (d.area === undefined && d.segmentation !== undefined) {
        // mask-only results: loadRes derives the box and the area from the mask
        const rle = toRle(
          d.segmentation,
          imgSize.get(d.image_id)!,
          sources.dt,
          `[${i}].segmentation`,
        );
        dtArea[j] = rleArea(rle);
        dtBox.set(d.bbox ?? rleToBbox(rle), j * 4);
      } else {
        if (!d.bbox) throw new MetricsInputError(sources.dt, `[${i}].bbox`, "missing");
        dtBox.set(d.bbox, j * 4);
        dtArea[j] = d.area ?? d.bbox[2] * d.bbox[3];
      }
    }
  }
  return {
    iouType,
    imgIds,
    catIds,
    nImg,
    nCat,
    gtStart,
    gtBox,
    gtArea,
    gtCrowd,
    gtId,
    gtSrc,
    gtRle,
    gtMaskBox,
    dtStart,
    dtBox,
    dtArea,
    dtScore,
    dtSrc,
    dtRle,
    dtMaskBox,
    droppedDts,
  };
}

function toRle(segm: unknown, size: [number, number], source: string, where: string): Rle {
  if (segm === undefined) throw new MetricsInputError(source, where, "missing (segm evaluation)");
  const [h, w] = size;
  if (Array.isArray(segm) && (!(h > 0) || !(w > 0))) {
    throw new MetricsInputError(source, where, "polygons need the image's width and height");
  }
  try {
    return segmentationToRle(segm, h, w);
  } catch (e) {
    throw new MetricsInputError(source, where, (e as Error).message);
  }
}

/** Score-descending, ties in original order (numpy's stable mergesort on -score). */
function sortByScoreStable(order: Int32Array, s: number, e: number, dts: CocoDetection[]) {
  const n = e - s;
  if (n <= 16) {
    for (let i = s + 1; i < e; i++) {
      const v = order[i];
      const sv = dts[v].score;
      let j = i - 1;
      while (j >= s && dts[order[j]].score < sv) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = v;
    }
    return;
  }
  const part = Array.from(order.subarray(s, e));
  part.sort((a, b) => dts[b].score - dts[a].score || a - b);
  order.set(part, s);
}
