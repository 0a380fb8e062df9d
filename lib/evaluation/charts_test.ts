import { assertEquals } from "@/tests/assert.ts";
import { historyCharts } from "./charts.ts";
import type { RunEvaluation } from "./types.ts";

Deno.test("[charts] metric history leaves out COCO's -1 (no objects of this size)", () => {
  const pts = (ys: number[]) => ys.map((y, i) => ({ x: 24 * (i + 1), y }));
  const ev = {
    history: [
      { name: "eval_map", points: pts([0.2, 0.3]) },
      { name: "eval_map_large", points: pts([-1, -1]) },
      { name: "eval_mar_small", points: pts([-1, 0.4]) },
    ],
  } as unknown as RunEvaluation;
  const chart = historyCharts(ev).find((c) => c.id === "history-eval")!;
  assertEquals(chart.series.map((s) => [s.label, s.points!.map((p) => p.y)]), [
    ["eval_map", [0.2, 0.3]],
    ["eval_mar_small", [0.4]],
  ]);
  assertEquals([chart.xLabel, chart.integerX], ["step", true], "ticks at whole steps");
});
