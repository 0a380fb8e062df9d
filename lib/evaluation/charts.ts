/**
 * Chart descriptions built on the server from an evaluation and drawn by the page's chart
 * island (chart.js) — one place decides what each chart shows, the browser only draws it.
 */
import { markCoincident } from "@/lib/charts/coincident.ts";
import { classColor } from "@/lib/data/colors.ts";
import { TIDE_ERRORS } from "@/lib/metrics/mod.ts";
import { runLabels } from "./compare.ts";
import { cocoNoValue } from "./headline.ts";
import type { RunEvaluation } from "./types.ts";

/** One line (or, for bar charts, one set of bars). */
export interface ChartSeries {
  label: string;
  points?: { x: number; y: number }[];
  values?: number[];
  dashed?: boolean;
  /** Hidden until its legend entry is clicked (long per-class lists). */
  hidden?: boolean;
  /** A class's own colour (lib/data/colors.ts); else the chart palette by position. */
  color?: string;
}

/** A chart the island draws; `id` names the PNG download. */
export interface ChartSpec {
  id: string;
  title: string;
  kind: "line" | "bar";
  series: ChartSeries[];
  /** Bar categories. */
  labels?: string[];
  xLabel?: string;
  yLabel?: string;
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** x counts whole things (optimizer steps): ticks only at whole numbers. */
  integerX?: boolean;
  /** One line under the title. */
  caption?: string;
}

const HISTORY_SKIP = /(_class_|^epoch$|grad_norm)/;

/** History charts: losses together, the learning rate, validation metrics together. */
export function historyCharts(ev: RunEvaluation, prefix = ""): ChartSpec[] {
  // COCO's -1 ("no objects of this size") is not a value to plot; a metric of only -1 is left out
  const hist = ev.history.filter((s) => !HISTORY_SKIP.test(s.name))
    .map((s) => ({ ...s, points: s.points.filter((p) => !cocoNoValue(s.name, p.y)) }))
    .filter((s) => s.points.length > 0);
  const groups: [string, string, (n: string) => boolean][] = [
    ["loss", "Loss", (n) => /loss/.test(n)],
    ["eval", "Validation metrics", (n) => n.startsWith("eval_") && !/loss/.test(n)],
    ["lr", "Learning rate", (n) => n === "learning_rate"],
  ];
  return groups.flatMap(([id, title, keep]) => {
    const series = markCoincident(
      hist.filter((s) => keep(s.name)).slice(0, 8).map((s) => ({
        label: s.name,
        points: s.points,
      })),
    );
    return series.length
      ? [{
        id: `${prefix}history-${id}`,
        title,
        kind: "line" as const,
        series,
        xLabel: "step",
        integerX: true,
      }]
      : [];
  });
}

/** A detection run's curves: PR per class, the confidence sweep, and TIDE's breakdown. */
export function detectionCharts(ev: RunEvaluation): ChartSpec[] {
  const rep = ev.detection?.report;
  if (!rep) return [];
  const cats = rep.bbox.perCategory;
  // the model's class index: the category's rank among the ids, as training numbers them
  const classIndex = new Map(rep.confusion.catIds.map((id, i) => [id, i]));
  const pr = (key: "p50" | "p75"): ChartSpec => ({
    id: `pr-curves-iou${key.slice(1)}`,
    title: `Precision–recall per class (IoU 0.${key.slice(1)})`,
    kind: "line",
    xLabel: "recall",
    yLabel: "precision",
    xDomain: [0, 1],
    yDomain: [0, 1],
    caption:
      "COCO's interpolated precision at 101 recall points; click a class in the legend to hide it.",
    series: cats.map((c, i) => ({
      label: c.name,
      hidden: i >= 10,
      color: classColor(classIndex.get(c.id) ?? i),
      points: rep.bbox.recall
        .map((x, j) => ({ x, y: rep.bbox.prCurves[String(c.id)]?.[key][j] ?? -1 }))
        .filter((p) => p.y >= 0),
    })),
  });
  const o = rep.sweep.overall, t = rep.sweep.thresholds;
  const at = (ys: number[]) => t.map((x, i) => ({ x, y: ys[i] }));
  const best = o.best.threshold;
  return [
    pr("p50"),
    pr("p75"),
    {
      id: "confidence-sweep",
      title: "Precision, recall and F1 by confidence threshold",
      kind: "line",
      xLabel: "confidence threshold",
      xDomain: [0, 1],
      yDomain: [0, 1],
      caption: `IoU ${rep.sweep.iouThreshold}. Recommended threshold ${best.toFixed(2)}: F1 ${
        o.best.f1.toFixed(3)
      } (precision ${o.best.precision.toFixed(3)}, recall ${o.best.recall.toFixed(3)}).`,
      series: [
        { label: "precision", points: at(o.precision) },
        { label: "recall", points: at(o.recall) },
        { label: "F1", points: at(o.f1) },
        {
          label: `recommended ${best.toFixed(2)}`,
          points: [{ x: best, y: 0 }, { x: best, y: 1 }],
          dashed: true,
        },
      ],
    },
    {
      id: "tide-errors",
      title: "Where the AP goes: AP50 gained by fixing each error type",
      kind: "bar",
      labels: TIDE_ERRORS.map((e) => `${TIDE_LABELS[e]} (${rep.errors.counts[e]})`),
      series: [{ label: "dAP50", values: TIDE_ERRORS.map((e) => rep.errors.dAP[e]) }],
      caption:
        `TIDE at IoU ${rep.errors.fgIou} (background below ${rep.errors.bgIou}); counts in brackets.`,
    },
  ];
}

/** Names of TIDE's error types as the page shows them. */
export const TIDE_LABELS: Record<string, string> = {
  cls: "classification",
  loc: "localisation",
  both: "class + location",
  dupe: "duplicate",
  bkg: "background",
  missed: "missed",
};

/** Overlays for a comparison: PR over confidence and the main validation metric over steps. */
export function compareCharts(evals: RunEvaluation[]): ChartSpec[] {
  const out: ChartSpec[] = [];
  // runs of one config share a name: labels carry the run id then, and every run after the
  // first is dashed so that identical curves stay visible on top of each other
  const labels = runLabels(evals);
  const style = (i: number) => ({ label: labels[i], dashed: i > 0 });
  const pr = evals.flatMap((e, j) => {
    const o = e.detection?.report.sweep.overall;
    return o ? [{ ...style(j), points: o.recall.map((x, i) => ({ x, y: o.precision[i] })) }] : [];
  });
  // an overlay needs two runs to compare: a lone detection run among others has its own page
  if (pr.length >= 2) {
    out.push({
      id: "compare-pr",
      title: "Precision–recall over confidence (IoU 0.5), all classes",
      kind: "line",
      xLabel: "recall",
      yLabel: "precision",
      xDomain: [0, 1],
      yDomain: [0, 1],
      series: pr,
    });
    out.push({
      id: "compare-f1",
      title: "F1 by confidence threshold",
      kind: "line",
      xLabel: "confidence threshold",
      xDomain: [0, 1],
      yDomain: [0, 1],
      series: evals.flatMap((e, j) => {
        const s = e.detection?.report.sweep;
        return s
          ? [{ ...style(j), points: s.thresholds.map((x, i) => ({ x, y: s.overall.f1[i] })) }]
          : [];
      }),
    });
  }
  // a loss (or any logged metric) is only comparable within one task: one overlay per task
  const tasks = [...new Set(evals.map((e) => e.task ?? ""))];
  for (
    const [name, title] of [
      ["eval_map", "mAP over steps"],
      ["loss", "Loss over steps"],
      ["eval_accuracy", "Accuracy over steps"],
      ["eval_miou", "mIoU over steps"],
      ["eval_pq", "PQ over steps"],
    ]
  ) {
    for (const task of tasks) {
      const series = evals.flatMap((e, j) => {
        const h = (e.task ?? "") === task ? e.history.find((s) => s.name === name) : undefined;
        const points = h?.points.filter((p) => !cocoNoValue(name, p.y)) ?? [];
        return points.length ? [{ ...style(j), points }] : [];
      });
      if (series.length < 2) continue;
      const one = tasks.length === 1;
      out.push({
        id: one ? `compare-${name}` : `compare-${name}-${task}`,
        title: one ? title : `${title} (${task.replace(/_/g, " ")} runs)`,
        kind: "line",
        xLabel: "step",
        series,
      });
    }
  }
  return out;
}

/**
 * A classification run's confidence sweep: what answering only above a top-1 score cut keeps,
 * and how accurate those answers are (the classifier's counterpart of detection's F1 sweep).
 */
export function classificationCharts(ev: RunEvaluation): ChartSpec[] {
  const sw = ev.classification?.sweep;
  if (!sw) return [];
  const line = (ys: number[]) => sw.thresholds.map((x, i) => ({ x, y: ys[i] }));
  return [{
    id: "classification-sweep",
    title: "Confidence sweep (top-1 score)",
    kind: "line",
    xLabel: "confidence threshold",
    yLabel: "share",
    xDomain: [0, 1],
    yDomain: [0, 1],
    series: [
      // past the last kept image accuracy is undefined: the line stops there
      {
        label: "accuracy of the answers kept",
        points: line(sw.accuracy).filter((_, i) => sw.kept[i] > 0),
      },
      { label: "images answered", points: line(sw.kept) },
      { label: "correct answers (of all images)", points: line(sw.correct), dashed: true },
    ],
  }];
}
