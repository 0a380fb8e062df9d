/**
 * The shapes the evaluation page, its API and its exporters share (browser-safe: types and
 * small pure helpers only, no Deno APIs).
 */
import type { CocoReport, DetectionReport } from "@/lib/metrics/mod.ts";
import type { ClassificationResult, PanopticResult, SemsegResult } from "@/lib/metrics/mod.ts";

/** A run the page can evaluate: an app run record or a tracking (MLflow / run folder) run. */
export interface EvalRunSummary {
  id: string;
  name: string;
  /** detection, instance_segmentation, classification, semantic_segmentation, panoptic_segmentation. */
  task: string;
  model: string;
  /** succeeded, failed, running... (app) or FINISHED, RUNNING... (tracking). */
  status: string;
  /** "app" when the app launched it (KV record), "tracking" when found only in tracking. */
  source: "app" | "tracking";
  createdAt?: number;
  runDir?: string;
  /** The task's primary metric as the job logged it. */
  primary?: { name: string; value: number | null };
}

/** Where a run's evaluation inputs live (volume paths). */
export interface EvalInputs {
  runDir: string;
  predictions: string;
  /** Ground truth: COCO json (detection), labels json or none (classification), mask dir. */
  groundTruth?: string;
  /** Folder the ground truth's `file_name`s are relative to. */
  imageDir?: string;
}

/** One headline number with its one-line definition. */
export interface Headline {
  key: string;
  label: string;
  value: number | null;
  definition: string;
}

/** One metric's history over steps. */
export interface HistorySeries {
  name: string;
  points: { x: number; y: number }[];
}

/** An image of the "worst images" gallery, with its tally at the confidence threshold. */
export interface WorstImage {
  id: number;
  fileName: string;
  fp: number;
  missed: number;
  tp: number;
  /** Lowest IoU of its true positives (null: none). */
  minIou: number | null;
}

/**
 * Detection (and instance segmentation) part; the confusion matrix's image lists and the
 * per-image tallies are left out (the tallies become `worst`).
 */
export interface DetectionView {
  report: Omit<DetectionReport, "confusion" | "imageTallies"> & { confusion: ConfusionView };
  worst: WorstImage[];
  /** The cut `worst` was counted at. */
  worstAt: { confidence: number; iouThreshold: number };
}

/**
 * The detection confusion matrix as the page shows it (lib/metrics' `confusionRows`): `labels`
 * name the columns (classes, background); `matrix` has one more row than columns, because the
 * background row is split into boxes on nothing ("background") and extra boxes on objects
 * another box already matched ("duplicate"), named by `rowLabels`.
 */
export type ConfusionView = Omit<DetectionReport["confusion"], "cellImages"> & {
  rowLabels: string[];
};

/** A run's full evaluation, as computed and cached. */
export interface RunEvaluation {
  runId: string;
  name: string;
  task: string;
  model: string;
  kind: "detection" | "classification" | "semantic" | "panoptic" | "none";
  /** Whether the app launched the run (it then has a Training page). */
  source?: "app" | "tracking";
  /** Why only logged metrics are shown, when `kind` is "none". */
  note?: string;
  inputs: EvalInputs | null;
  /** SHA-256 over the ground truth and predictions bytes: the cache key. */
  contentHash: string;
  computedAt: number;
  seconds: number;
  headline: Headline[];
  /** Latest logged value of every metric (including ones computed in the job). */
  logged: Record<string, number>;
  history: HistorySeries[];
  detection?: DetectionView;
  classification?: ClassificationResult & { labels: string[] };
  /** `missing`: ground-truth images without a prediction, counted as all missed. */
  semantic?: SemsegResult & { labels: string[]; images: number; missing?: number };
  panoptic?: PanopticResult & { images: number; missing?: number; labels?: Record<string, string> };
}

/** The rows of a per-class table, whatever the task. */
export interface ClassRow {
  id: number;
  name: string;
  /** Column key -> value (-1 = undefined, as pycocotools). */
  values: Record<string, number>;
  support: number;
}

/** Per-class table columns for a kind. */
export const CLASS_COLUMNS: Record<
  string,
  { key: string; label: string; title: string; integer?: boolean }[]
> = {
  detection: [
    { key: "ap", label: "AP", title: "AP averaged over IoU 0.50:0.95" },
    { key: "ap50", label: "AP50", title: "AP at IoU 0.50" },
    { key: "ap75", label: "AP75", title: "AP at IoU 0.75" },
    { key: "apSmall", label: "AP S", title: "AP of small objects (< 32² px)" },
    { key: "apMedium", label: "AP M", title: "AP of medium objects" },
    { key: "apLarge", label: "AP L", title: "AP of large objects (> 96² px)" },
    { key: "ar100", label: "AR100", title: "recall with up to 100 detections per image" },
    { key: "bestConf", label: "Best conf.", title: "this class's F1-optimal confidence threshold" },
    { key: "bestF1", label: "F1 there", title: "F1 of this class at its best threshold (IoU 0.5)" },
    { key: "dets", label: "dets", title: "detections kept for evaluation", integer: true },
  ],
  classification: [
    { key: "precision", label: "Precision", title: "of the images predicted as the class" },
    { key: "recall", label: "Recall", title: "of the class's images, found" },
    { key: "f1", label: "F1", title: "harmonic mean of precision and recall" },
    { key: "ap", label: "AP", title: "one-vs-rest average precision" },
  ],
  semantic: [
    { key: "iou", label: "IoU", title: "intersection over union of the class's pixels" },
    { key: "acc", label: "Accuracy", title: "share of the class's pixels labelled right" },
  ],
  panoptic: [
    { key: "pq", label: "PQ", title: "panoptic quality = SQ × RQ" },
    { key: "sq", label: "SQ", title: "mean IoU of matched segments" },
    { key: "rq", label: "RQ", title: "F1 of segment matching" },
  ],
};

/** The per-class rows of an evaluation (empty when there are none). */
export function classRows(ev: RunEvaluation): ClassRow[] {
  if (ev.detection) {
    const cocoRep: CocoReport = ev.detection.report.segm ?? ev.detection.report.bbox;
    const sweep = ev.detection.report.sweep.perClass;
    return cocoRep.perCategory.map((c) => ({
      id: c.id,
      name: c.name,
      values: {
        ap: c.ap,
        ap50: c.ap50,
        ap75: c.ap75,
        apSmall: c.apSmall,
        apMedium: c.apMedium,
        apLarge: c.apLarge,
        ar100: c.ar100,
        bestConf: sweep[String(c.id)]?.best.threshold ?? -1,
        bestF1: sweep[String(c.id)]?.best.f1 ?? -1,
        dets: c.dets,
      },
      support: c.gt,
    }));
  }
  if (ev.classification) {
    const c = ev.classification;
    return c.perClass.map((p, i) => ({
      id: i,
      name: c.labels[i] ?? String(i),
      values: { precision: p.precision, recall: p.recall, f1: p.f1, ap: c.pr[i]?.area ?? -1 },
      support: p.support,
    }));
  }
  if (ev.semantic) {
    const s = ev.semantic;
    return s.perClassIou.map((iou, i) => ({
      id: i,
      name: s.labels[i] ?? String(i),
      values: { iou: Number.isNaN(iou) ? -1 : iou, acc: nanTo(s.perClassAccuracy[i]) },
      support: s.areaLabel[i] ?? 0,
    }));
  }
  if (ev.panoptic) {
    const names = ev.panoptic.labels ?? {};
    return Object.entries(ev.panoptic.perClass).map(([id, p]) => ({
      id: Number(id),
      name: names[id] ?? id,
      values: { pq: nanTo(p.pq), sq: nanTo(p.sq), rq: nanTo(p.rq) },
      support: p.tp + p.fn,
    }));
  }
  return [];
}

const nanTo = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? -1 : v);

/** Formats a metric for tables: -1 (undefined) and null as "—". */
export function fmtMetric(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v) || v < 0) return "—";
  return Number.isInteger(v) && Math.abs(v) > 1 ? String(v) : v.toFixed(digits);
}
