import { assertEquals } from "@/tests/assert.ts";
import {
  evalMetricNames,
  isZoomed,
  metricNames,
  parseStep,
  pickEvalMetric,
  seriesOf,
  shownEvalMetrics,
  withCompared,
} from "./chart_series.ts";
import type { MetricPointLite } from "./status.ts";

const p = (name: string, step: number, value: number): MetricPointLite => ({
  name,
  step,
  value,
  ts: step,
});

const points = [
  p("loss", 2, 0.5),
  p("loss", 1, 0.9),
  p("learning_rate", 1, 0.001),
  p("eval_loss", 2, 0.6),
  p("eval_accuracy", 2, 0.7),
  p("eval_f1", 2, 0.6),
  p("eval_class_0_f1", 2, 0.5),
  p("eval_precision", 2, 0.6),
  p("eval_recall", 2, 0.6),
  p("eval_top5", 2, 1),
];

Deno.test("[training/chart_series] evaluation metrics exclude eval_loss and per-class ones", () => {
  const names = metricNames(points);
  assertEquals(names[0], "eval_accuracy");
  assertEquals(names.length, 10 - 1);
  assertEquals(evalMetricNames(names), [
    "eval_accuracy",
    "eval_f1",
    "eval_precision",
    "eval_recall",
    "eval_top5",
  ]);
});

Deno.test("[training/chart_series] the first four are shown until some are picked; picks keep the order", () => {
  const evalNames = evalMetricNames(metricNames(points));
  const first = shownEvalMetrics(evalNames, null, points);
  assertEquals(first, ["eval_accuracy", "eval_f1", "eval_precision", "eval_recall"]);
  const off = pickEvalMetric(evalNames, first, "eval_f1", false);
  assertEquals(off, ["eval_accuracy", "eval_precision", "eval_recall"]);
  assertEquals(pickEvalMetric(evalNames, off, "eval_top5", true), [
    "eval_accuracy",
    "eval_precision",
    "eval_recall",
    "eval_top5",
  ]);
  assertEquals(pickEvalMetric(evalNames, off, "eval_f1", true), first);
  assertEquals(shownEvalMetrics(evalNames, [], points), []);
});

Deno.test("[training/chart_series] a line is sorted by step; a compared run adds its dashed twin", () => {
  assertEquals(seriesOf(points, "loss", "loss"), {
    label: "loss",
    points: [{ x: 1, y: 0.9 }, { x: 2, y: 0.5 }],
    dashed: false,
    colorKey: "loss",
  });
  assertEquals(withCompared(points, null, "loss", "loss").length, 1);
  assertEquals(withCompared(points, { id: "other", points: [] }, "loss", "loss").length, 1);
  const both = withCompared(points, { id: "other", points: [p("loss", 1, 2)] }, "loss", "loss");
  assertEquals(both.map((s) => [s.label, s.dashed, s.colorKey]), [
    ["loss", false, "loss"],
    ["loss (other)", true, "loss"],
  ]);
});

Deno.test("[training/chart_series] zoom fields: empty or not a number leaves the end open", () => {
  assertEquals(parseStep(""), undefined);
  assertEquals(parseStep("  "), undefined);
  assertEquals(parseStep("abc"), undefined);
  assertEquals(parseStep("40"), 40);
  assertEquals(parseStep("0"), 0);
  assertEquals(isZoomed({}), false);
  assertEquals(isZoomed({ from: 0 }), true);
  assertEquals(isZoomed({ to: 10 }), true);
});

Deno.test("[training/chart_series] COCO's -1 (no objects of this size) is not plotted, nor picked by default", () => {
  const coco = [
    ...[24, 48, 72].flatMap((step) => [
      p("eval_map", step, 0.2 + step / 1000),
      p("eval_map_50", step, 0.6),
      p("eval_map_large", step, -1),
      p("eval_mar_large", step, -1),
      p("eval_map_medium", step, 0.3),
      p("eval_map_small", step, 0.25),
    ]),
    p("eval_map_medium", 96, -1), // objects of this size left the split: one -1 among values
  ];
  const names = evalMetricNames(metricNames(coco));
  assertEquals(names, [
    "eval_map",
    "eval_map_50",
    "eval_map_large",
    "eval_map_medium",
    "eval_map_small",
    "eval_mar_large",
  ]);
  // offered, but not picked for you: the first four with a value
  assertEquals(shownEvalMetrics(names, null, coco), [
    "eval_map",
    "eval_map_50",
    "eval_map_medium",
    "eval_map_small",
  ]);
  assertEquals(seriesOf(coco, "eval_map_large", "eval_map_large").points, []);
  assertEquals(seriesOf(coco, "eval_map_medium", "m").points.map((q) => q.x), [24, 48, 72]);
  // the same rule as the tiles: only COCO's metrics; another metric's -1 is a value
  assertEquals(seriesOf([p("eval_mcc", 1, -1)], "eval_mcc", "mcc").points, [{ x: 1, y: -1 }]);
  // a run picked by hand still shows what was picked
  assertEquals(shownEvalMetrics(names, ["eval_map_large"], coco), ["eval_map_large"]);
});
