/**
 * The metrics library's public surface, for pages, exports and the CLI: exact COCO detection
 * evaluation (bbox, segm), semantic segmentation, panoptic quality, classification, and the
 * detection drill-downs (confusion matrix, TIDE errors, confidence sweep).
 */
export { MetricsInputError } from "./input_error.ts";
export type {
  CocoAnnotation,
  CocoCategory,
  CocoDetection,
  CocoGt,
  CocoImage,
  IouType,
} from "./coco_types.ts";
export { parseCocoGt, parseCocoResults } from "./coco_types.ts";
export type { CocoEvalResult, CocoParams } from "./coco_eval.ts";
export { defaultCocoParams, evaluateCoco } from "./coco_eval.ts";
export { COCO_STAT_NAMES, formatCocoSummary } from "./coco_summary.ts";
export type { CocoCategoryRow, CocoReport } from "./coco_report.ts";
export { cocoReport } from "./coco_report.ts";
export type { Rle, RleJson } from "./mask_rle.ts";
export { rleArea, rleDecode, rleEncode, rleIou, rleToBbox, segmentationToRle } from "./mask_rle.ts";
export type { SemsegOptions, SemsegResult } from "./semseg.ts";
export { meanIou, SemsegAccumulator } from "./semseg.ts";
export type {
  PanopticCategory,
  PanopticResult,
  PqClass,
  PqSummary,
  SegmentInfo,
} from "./panoptic.ts";
export { PanopticAccumulator, segmentsFromCategoryInstance } from "./panoptic.ts";
export type { ClassificationResult, ClassificationSample, Curve, Prf } from "./classification.ts";
export { classificationMetrics, prCurve, rocCurve } from "./classification.ts";
export type { ConfusionRows, DetectionConfusion, ImageConfusion } from "./det_confusion.ts";
export { confusionRows, detectionConfusion, imageConfusion } from "./det_confusion.ts";
export type { ImageTallies, ImageTally } from "./det_images.ts";
export { imageTallies } from "./det_images.ts";
export type { TideError, TideResult } from "./det_errors.ts";
export { TIDE_ERRORS, tideErrors } from "./det_errors.ts";
export type { ConfidenceSweep, SweepCurve } from "./conf_sweep.ts";
export { confidenceSweep } from "./conf_sweep.ts";
export type { DetectionReport } from "./detection_report.ts";
export { detectionReport } from "./detection_report.ts";
export { decodePng } from "../image/png.ts";
export { classIndexMap, panopticIdMap } from "../image/label_maps.ts";
export {
  evaluatePanopticFiles,
  evaluateSemsegFiles,
  loadClassification,
  loadCoco,
  readJsonFile,
} from "./eval_files.ts";
