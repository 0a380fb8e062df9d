import { assert, assertStringIncludes } from "@/tests/assert.ts";
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
