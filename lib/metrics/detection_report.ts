/**
 * Everything the evaluation page shows for a detection or instance-segmentation run, computed
 * in one call from the ground truth and the run's predictions/val.json: COCO stats and table
 * (bbox, plus segm when masks are present), the confusion matrix with background, the TIDE
 * breakdown, the confidence sweep, the recommended threshold that deployment defaults to, and
 * per-image tallies at the matrix's confidence for the worst-images gallery.
 */
import { evaluateCoco } from "./coco_eval.ts";
import type { CocoDetection, CocoGt } from "./coco_types.ts";
import { type CocoReport, cocoReport } from "./coco_report.ts";
import { type DetectionConfusion, detectionConfusion } from "./det_confusion.ts";
import { tideErrors, type TideResult } from "./det_errors.ts";
import { type ConfidenceSweep, confidenceSweep } from "./conf_sweep.ts";
import { type ImageTallies, imageTallies } from "./det_images.ts";

/** The combined report; `segm` is present only when every prediction carries a mask. */
export interface DetectionReport {
  bbox: CocoReport;
  segm?: CocoReport;
  confusion: DetectionConfusion;
  errors: TideResult;
  sweep: ConfidenceSweep;
  /** F1-optimal confidence over all classes (the deployment default). */
  recommendedThreshold: number;
  /** Per-image true/false positives and misses at the confusion matrix's confidence. */
  imageTallies: ImageTallies;
  images: number;
  detections: number;
  seconds: number;
}

/**
 * Builds the report. `confidence` is the confusion matrix's score cut; when omitted the
 * recommended threshold is used, so the matrix shows what deployment would show.
 */
export function detectionReport(
  gt: CocoGt,
  dts: CocoDetection[],
  opts: { iouThreshold?: number; confidence?: number } = {},
): DetectionReport {
  const t0 = performance.now();
  const iouThreshold = opts.iouThreshold ?? 0.5;
  const names = new Map(gt.categories.map((c) => [c.id, c.name]));
  const bboxEval = evaluateCoco(gt, dts, "bbox");
  const sweep = confidenceSweep(bboxEval, iouThreshold);
  const recommended = sweep.overall.best.threshold;
  const confidence = opts.confidence ?? recommended;
  const withMasks = dts.length > 0 && dts.every((d) => d.hasMask);
  const report: DetectionReport = {
    bbox: cocoReport(bboxEval, names),
    confusion: detectionConfusion(gt, dts, { iouThreshold, confidence }),
    errors: tideErrors(gt, dts, { fgIou: iouThreshold }),
    sweep,
    recommendedThreshold: recommended,
    imageTallies: imageTallies(bboxEval, confidence, iouThreshold),
    images: bboxEval.imgIds.length,
    detections: dts.length,
    seconds: 0,
  };
  if (withMasks) report.segm = cocoReport(evaluateCoco(gt, dts, "segm"), names);
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}
