/**
 * The few numbers a run's evaluation leads with, each with a one-line definition, so nobody has
 * to remember what "AP75" or "RQ" means.
 */
import type {
  ClassificationResult,
  DetectionReport,
  PanopticResult,
  SemsegResult,
} from "@/lib/metrics/mod.ts";
import type { Headline } from "./types.ts";

/** Definitions of the metrics the page shows, by key. */
export const DEFINITIONS: Record<string, [string, string]> = {
  map: ["mAP", "COCO AP: precision averaged over recall 0–1 and IoU 0.50–0.95, then over classes."],
  map_50: [
    "AP50",
    "AP counting a detection as correct when its box overlaps the object by IoU ≥ 0.5.",
  ],
  map_75: ["AP75", "The same at IoU ≥ 0.75: rewards tight boxes."],
  map_small: ["AP small", "AP on objects smaller than 32×32 pixels."],
  map_medium: ["AP medium", "AP on objects between 32×32 and 96×96 pixels."],
  map_large: ["AP large", "AP on objects larger than 96×96 pixels."],
  mar_1: ["AR1", "Recall when only each image's single best detection is kept."],
  mar_10: ["AR10", "Recall with up to 10 detections per image."],
  mar_100: ["AR100", "Recall with up to 100 detections per image, averaged over IoU 0.50–0.95."],
  segm_map: ["Mask mAP", "COCO AP computed on mask overlap instead of box overlap."],
  threshold: ["Recommended threshold", "The confidence cut that maximises F1 over all classes."],
  f1: ["F1 at threshold", "Harmonic mean of precision and recall at the recommended threshold."],
  accuracy: ["Accuracy", "Share of images whose top prediction is the true class."],
  top5: ["Top-5 accuracy", "Share of images whose true class is among the 5 best predictions."],
  macro_f1: ["Macro F1", "F1 per class, averaged with every class weighing the same."],
  weighted_f1: ["Weighted F1", "F1 per class, averaged weighting classes by their image count."],
  miou: ["mIoU", "Pixel IoU per class (overlap ÷ union), averaged over classes."],
  pixel_accuracy: ["Pixel accuracy", "Share of labelled pixels predicted as the right class."],
  mean_accuracy: ["Mean class accuracy", "Pixel accuracy per class, averaged over classes."],
  pq: ["PQ", "Panoptic quality = SQ × RQ: segmentation and recognition in one number."],
  sq: ["SQ", "Mean IoU of the matched segments (IoU > 0.5)."],
  rq: ["RQ", "F1 of segment matching: TP / (TP + ½FP + ½FN)."],
  loss: ["Loss", "Training loss of the last logged step."],
  eval_loss: ["Validation loss", "Loss on the validation set at the last evaluation."],
};

/** What COCO's -1 means; shown instead of the number. */
export const COCO_NO_GT =
  "— : no ground-truth objects in this size range (COCO reports -1), so there is nothing to score.";

/**
 * True when a logged value is COCO's -1 ("no objects of this size") rather than a score: the
 * value -1 of an eval_map* / eval_mar* metric. The run page's tiles show it as "—" and its
 * charts leave it out.
 */
export function cocoNoValue(name: string, value: number): boolean {
  return value === -1 && name.startsWith("eval_ma");
}

function h(key: string, value: number | null | undefined): Headline {
  const [label, definition] = DEFINITIONS[key] ?? [key, ""];
  // COCO's -1 is "no ground truth here", not a score: shown as "—" with that reason
  if (value === -1) return { key, label, value: null, definition: `${definition} ${COCO_NO_GT}` };
  return { key, label, value: value ?? null, definition };
}

/**
 * Why a detection run has no meaningful recommended threshold, or null when it has one: with no
 * detections, or none that matches an object, every cut gives F1 = 0 and the sweep's "best"
 * (1.000) would only be its last point.
 */
export function noThresholdReason(
  rep: Pick<DetectionReport, "detections" | "sweep">,
): string | null {
  if (rep.detections === 0) {
    return "The model made no detections above the training job's score cut (0.05 for " +
      "torchvision detectors), so there is no threshold to recommend.";
  }
  if (!(rep.sweep.overall.best.f1 > 0)) {
    return `None of the model's ${rep.detections} detections matches an object at IoU ≥ ${rep.sweep.iouThreshold}, so there is no threshold to recommend.`;
  }
  return null;
}

/** Detection headline: COCO stats, mask mAP when present, and the recommended threshold. */
export function detectionHeadline(rep: DetectionReport): Headline[] {
  const s = rep.bbox.stats;
  const out = [
    h("map", s.map),
    h("map_50", s.map_50),
    h("map_75", s.map_75),
    h("mar_100", s.mar_100),
  ];
  if (rep.segm) out.push(h("segm_map", rep.segm.stats.map));
  const none = noThresholdReason(rep);
  if (none) {
    out.push({ key: "threshold", label: DEFINITIONS.threshold[0], value: null, definition: none });
  } else out.push(h("threshold", rep.recommendedThreshold), h("f1", rep.sweep.overall.best.f1));
  return out;
}

/** Classification headline. */
export function classificationHeadline(r: ClassificationResult): Headline[] {
  const out = [h("accuracy", r.accuracy)];
  if (r.topK["5"] !== undefined) out.push(h("top5", r.topK["5"]));
  out.push(h("macro_f1", r.macro.f1), h("weighted_f1", r.weighted.f1));
  return out;
}

/** Semantic segmentation headline. */
export function semsegHeadline(r: SemsegResult): Headline[] {
  return [
    h("miou", r.meanIou),
    h("pixel_accuracy", r.pixelAccuracy),
    h("mean_accuracy", r.meanAccuracy),
  ];
}

/** Panoptic headline. */
export function panopticHeadline(r: PanopticResult): Headline[] {
  return [h("pq", r.all.pq), h("sq", r.all.sq), h("rq", r.all.rq)];
}

/** Headline from logged metrics only (runs without predictions). */
export function loggedHeadline(task: string, logged: Record<string, number>): Headline[] {
  const keys = task === "classification"
    ? ["accuracy", "f1"]
    : task === "semantic_segmentation"
    ? ["miou", "pixel_accuracy"]
    : task === "panoptic_segmentation"
    ? ["pq", "sq", "rq"]
    : ["map", "map_50", "map_75", "mar_100"];
  const out = keys.filter((k) => `eval_${k}` in logged).map((k) => h(k, logged[`eval_${k}`]));
  if ("eval_loss" in logged) out.push(h("eval_loss", logged.eval_loss));
  return out;
}
