/**
 * The run page's charts from metric points: which metrics there are, the evaluation metrics
 * offered for picking, one line per metric (and its twin from a compared run), and the step
 * range typed in the zoom fields.
 */
import { cocoNoValue } from "@/lib/evaluation/headline.ts";
import type { MetricPointLite } from "./status.ts";

/** One line: a metric of this run, or of a run it is compared with (dashed). */
export interface Series {
  label: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
  /** Series with the same key share a colour (a metric and its compared twin). */
  colorKey?: string;
}

/** A step range to zoom to; a missing end is open. */
export interface StepRange {
  from?: number;
  to?: number;
}

/** The evaluation metrics shown before any is picked. */
export const DEFAULT_EVAL_SHOWN = 4;

/** Metric names in the points, sorted. */
export function metricNames(points: MetricPointLite[]): string[] {
  return [...new Set(points.map((p) => p.name))].sort();
}

/** The evaluation metrics offered on their own chart: eval_*, without per-class ones and loss. */
export function evalMetricNames(names: string[]): string[] {
  return names.filter((n) => n.startsWith("eval_") && !n.includes("_class_") && n !== "eval_loss");
}

/**
 * The evaluation metrics drawn: those picked, else the first few that have a value to plot
 * (a metric that only ever logged COCO's -1, "no objects of this size", is not picked for you).
 */
export function shownEvalMetrics(
  evalNames: string[],
  picked: string[] | null,
  points: MetricPointLite[],
): string[] {
  return picked ??
    evalNames.filter((n) => seriesOf(points, n, n).points.length).slice(0, DEFAULT_EVAL_SHOWN);
}

/** `shown` with `name` ticked on or off (in the order of `evalNames`). */
export function pickEvalMetric(
  evalNames: string[],
  shown: string[],
  name: string,
  on: boolean,
): string[] {
  return evalNames.filter((n) => (n === name ? on : shown.includes(n)));
}

/** One metric's line, by step; COCO's -1 ("no objects of this size") is not a point. */
export function seriesOf(
  points: MetricPointLite[],
  name: string,
  label: string,
  dashed = false,
): Series {
  const pts = points.filter((p) => p.name === name && !cocoNoValue(name, p.value))
    .map((p) => ({ x: p.step, y: p.value })).sort((a, b) => a.x - b.x);
  return { label, points: pts, dashed, colorKey: name };
}

/**
 * A metric's line and, when another run is overlaid, that run's line of the same metric
 * (dashed, labelled with the other run's id).
 */
export function withCompared(
  points: MetricPointLite[],
  other: { id: string; points: MetricPointLite[] } | null,
  name: string,
  label: string,
): Series[] {
  const s = [seriesOf(points, name, label)];
  if (other?.points.length) s.push(seriesOf(other.points, name, `${label} (${other.id})`, true));
  return s;
}

/** A zoom field's value as a step: empty (or not a number) leaves that end open. */
export function parseStep(value: string): number | undefined {
  if (value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** True when the range limits the steps at either end. */
export function isZoomed(range: StepRange): boolean {
  return range.from !== undefined || range.to !== undefined;
}
