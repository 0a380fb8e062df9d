import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { compareCharts } from "./charts.ts";
import { compareRuns } from "./compare.ts";
import type { Headline, RunEvaluation } from "./types.ts";

const hl = (key: string, value: number): Headline => ({ key, label: key, value, definition: "" });
const loss = [{ name: "loss", points: [{ x: 1, y: 2 }, { x: 2, y: 1 }] }];

function run(
  runId: string,
  task: string,
  kind: RunEvaluation["kind"],
  headline: Headline[],
): RunEvaluation {
  return { runId, name: runId, task, kind, headline, history: loss } as unknown as RunEvaluation;
}

const cls = (id: string) =>
  run(id, "classification", "classification", [hl("accuracy", 0.9), hl("macro_f1", 0.8)]);
const det = (id: string, extra: Headline[] = []) =>
  run(id, "detection", "detection", [hl("map", 0.5), hl("map_50", 0.7), ...extra]);

Deno.test("[compare] runs of different tasks: only shared metrics, the rest counted; no mixed loss overlay", () => {
  const evals = [cls("c1"), det("d1")];
  const c = compareRuns(evals);
  assertEquals(c.metrics, []);
  assertEquals(c.omitted.map((m) => m.key), ["accuracy", "macro_f1", "map", "map_50"]);
  assertStringIncludes(c.warning!, "they share no metric to compare; 4 that only some");
  // a classification loss and a detection loss are not one chart
  assertEquals(compareCharts(evals).map((s) => s.id), []);
  // a second run of each task: each task's losses overlaid on their own chart
  const four = [cls("c1"), det("d1"), cls("c2"), det("d2")];
  const charts = compareCharts(four).filter((s) => s.id.startsWith("compare-loss"));
  assertEquals(charts.map((s) => [s.id, s.series.map((x) => x.label)]), [
    ["compare-loss-classification", ["c1", "c2"]],
    ["compare-loss-detection", ["d1", "d2"]],
  ]);
  assert(charts.every((s) => s.title.endsWith("runs)")), charts.map((s) => s.title).join());
});

Deno.test("[compare] a metric only some runs have is left out and named", () => {
  const c = compareRuns([det("a", [hl("f1", 0.9)]), det("b")]);
  assertEquals(c.warning, undefined);
  assertEquals(c.metrics.map((m) => m.key), ["map", "map_50"]);
  assertEquals(c.omitted, [{ key: "f1", label: "f1" }]);
  const mixed = compareRuns([
    det("a"),
    run("s", "semantic_segmentation", "semantic", [
      hl("map", 0.1),
    ]),
  ]);
  assertEquals(mixed.metrics.map((m) => m.key), ["map"]);
  assertStringIncludes(mixed.warning!, "only the 1 metric they share is compared; 1 that only");
});
