import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { reportCsv, reportMarkdown } from "./report.ts";
import type { RunEvaluation } from "./types.ts";

const HOSTILE = `<img src=x onerror="alert(1)">`;

/** A classification run whose class names and run name are hostile text. */
function hostileRun(): RunEvaluation {
  return {
    runId: "run`1",
    name: `<script>alert("run")</script>`,
    task: "classification",
    model: "resnet18",
    kind: "classification",
    note: "line one\n<b>bold</b>",
    inputs: { runDir: "/Volumes/m/s/v/runs/1", predictions: "/Volumes/m/s/v/``p.json" },
    contentHash: "h",
    computedAt: 0,
    seconds: 0,
    headline: [],
    logged: {},
    history: [],
    classification: {
      labels: [HOSTILE, '=HYPERLINK("http://evil")', "a|b"],
      perClass: [0, 1, 2].map(() => ({ precision: 0.5, recall: 0.5, f1: 0.5, support: 3 })),
      pr: [],
    },
  } as unknown as RunEvaluation;
}

Deno.test("[report] the Markdown report escapes raw HTML from class names, run names and notes", () => {
  const md = reportMarkdown([hostileRun()]);
  assert(!md.includes("<img"), "class name HTML is escaped");
  assert(!md.includes("<script"), "run name HTML is escaped");
  assert(!md.includes("<b>"), "note HTML is escaped");
  assertStringIncludes(md, '&lt;img src=x onerror="alert(1)"&gt;');
  assertStringIncludes(md, "| a\\|b |");
  assertStringIncludes(md, "> line one &lt;b&gt;bold&lt;/b&gt;");
  assertStringIncludes(md, "(``run`1``)");
  assertStringIncludes(md, "```/Volumes/m/s/v/``p.json```");
});

Deno.test("[report] CSV report cells that a spreadsheet would run as formulas are neutralised", () => {
  const csv = reportCsv([hostileRun()]);
  assertStringIncludes(csv, `"'=HYPERLINK(""http://evil"")"`);
  assert(!/(^|,)=/m.test(csv), "no cell starts with =");
});

Deno.test("[report] a classification report carries no COCO disclaimer", async () => {
  const { reportHtml } = await import("./report_html.ts");
  const { COCO_TRUST } = await import("./report.ts");
  const run = hostileRun();
  Object.assign(run.classification!, { confusion: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], roc: [] });
  assert(!reportMarkdown([run]).includes("pycocotools"), "markdown without COCO note");
  assert(!reportHtml([run]).includes("pycocotools"), "html without COCO note");
  const det = { ...run, kind: "detection", classification: undefined } as RunEvaluation;
  assertStringIncludes(reportMarkdown([det]), COCO_TRUST);
});

Deno.test("[headline] COCO's -1 shows as no value with its reason; no detections, no threshold", async () => {
  const { detectionHeadline, loggedHeadline } = await import("./headline.ts");
  const logged = loggedHeadline("detection", { eval_map: -1, eval_map_50: 0.4 });
  assertEquals(logged[0].value, null);
  assertStringIncludes(logged[0].definition, "no ground-truth objects in this size range");
  assertEquals(logged[1].value, 0.4);
  const f1 = new Array(101).fill(0);
  const rep = {
    bbox: { stats: { map: 0, map_50: 0, map_75: 0, mar_100: 0 } },
    sweep: { iouThreshold: 0.5, overall: { f1, best: { threshold: 1, f1: 0 } } },
    recommendedThreshold: 1,
    detections: 0,
  } as unknown as Parameters<typeof detectionHeadline>[0];
  const th = detectionHeadline(rep).find((h) => h.key === "threshold")!;
  assertEquals(th.value, null);
  assertStringIncludes(th.definition, "The model made no detections above");
  assert(!detectionHeadline(rep).some((h) => h.key === "f1"), "no F1 at a threshold that isn't");
});

Deno.test("[compare] runs of one config are told apart by id and stay visible when they overlap", async () => {
  const { compareCharts } = await import("./charts.ts");
  const { runLabels } = await import("./compare.ts");
  const run = (runId: string) =>
    ({
      runId,
      name: "demo v1",
      history: [{ name: "loss", points: [{ x: 1, y: 1 }, { x: 2, y: 0.5 }] }],
    }) as unknown as RunEvaluation;
  const evals = [run("20261203-1"), run("20261203-2")];
  assertEquals(runLabels(evals), ["demo v1 · 20261203-1", "demo v1 · 20261203-2"]);
  assertEquals(runLabels([{ name: "a", runId: "1" }, { name: "b", runId: "2" }]), ["a", "b"]);
  const loss = compareCharts(evals).find((c) => c.id === "compare-loss")!;
  assertEquals(loss.series.map((s) => [s.label, !!s.dashed]), [
    ["demo v1 · 20261203-1", false],
    ["demo v1 · 20261203-2", true],
  ]);
});
