/**
 * Evaluation reports for people who were not at the screen: JSON (everything), CSV (every
 * metric as one row, for spreadsheets) and Markdown (headline, per-class table, errors,
 * comparison). The self-contained HTML report lives in report_html.ts.
 */
import { TIDE_ERRORS } from "@/lib/metrics/mod.ts";
import { compareRuns, type Comparison } from "./compare.ts";
import { noThresholdReason } from "./headline.ts";
import { CLASS_COLUMNS, classRows, fmtMetric, type RunEvaluation } from "./types.ts";
import { toCsv } from "@/lib/csv.ts";

/** The formats `renderReport` writes. */
export const REPORT_FORMATS = ["json", "csv", "md", "html"] as const;
export type ReportFormat = typeof REPORT_FORMATS[number];

/** Content types and extensions per format. */
export const REPORT_TYPES: Record<ReportFormat, { type: string; ext: string }> = {
  json: { type: "application/json; charset=utf-8", ext: "json" },
  csv: { type: "text/csv; charset=utf-8", ext: "csv" },
  md: { type: "text/markdown; charset=utf-8", ext: "md" },
  html: { type: "text/html; charset=utf-8", ext: "html" },
};

/** The statement every report carries about COCO numbers. */
export const COCO_TRUST =
  "COCO numbers are computed by Lakevision's TypeScript evaluator, which reproduces pycocotools' " +
  "12 summary statistics exactly (tested to 1e-6 against pycocotools' reference values, bbox and segm).";

/** Everything, as one JSON document. */
export function reportJson(evals: RunEvaluation[]): string {
  const comparison = evals.length > 1 ? compareRuns(evals) : undefined;
  return JSON.stringify(
    { generatedAt: new Date().toISOString(), runs: evals, comparison },
    null,
    1,
  );
}

/** Every metric as `run_id,run_name,section,class,metric,value`. */
export function reportCsv(evals: RunEvaluation[]): string {
  const rows: (string | number)[][] = [[
    "run_id",
    "run_name",
    "section",
    "class",
    "metric",
    "value",
  ]];
  for (const e of evals) {
    const add = (section: string, cls: string, metric: string, v: number | null | undefined) => {
      if (v !== null && v !== undefined && Number.isFinite(v)) {
        rows.push([e.runId, e.name, section, cls, metric, v]);
      }
    };
    for (const h of e.headline) add("headline", "", h.key, h.value);
    const rep = e.detection?.report;
    if (rep) {
      for (const [k, v] of Object.entries(rep.bbox.stats)) add("coco_bbox", "", k, v);
      if (rep.segm) {
        for (const [k, v] of Object.entries(rep.segm.stats)) add("coco_segm", "", k, v);
      }
      for (const t of TIDE_ERRORS) {
        add("errors", "", `${t}_count`, rep.errors.counts[t]);
        add("errors", "", `${t}_dap`, rep.errors.dAP[t]);
      }
      for (const [id, c] of Object.entries(rep.sweep.perClass)) {
        const name = rep.bbox.perCategory.find((p) => String(p.id) === id)?.name ?? id;
        add("threshold", name, "best_threshold", c.best.threshold);
        add("threshold", name, "best_f1", c.best.f1);
      }
    }
    const cols = CLASS_COLUMNS[e.kind] ?? [];
    for (const r of classRows(e)) {
      for (const c of cols) add("per_class", r.name, c.key, r.values[c.key]);
      add("per_class", r.name, "support", r.support);
    }
    for (const [k, v] of Object.entries(e.logged)) add("logged", "", k, v);
  }
  return toCsv(rows);
}

/**
 * Text from runs and datasets (class names, run names, notes) as inert Markdown: raw HTML is
 * escaped so `<img onerror=...>` in a class name shows as text wherever the report is rendered,
 * and line breaks cannot end a table row or heading early.
 */
function mdText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/[\r\n]+/g, " ");
}

/** A code span holding `s` verbatim: the fence is longer than any run of backticks inside. */
function mdCode(s: string): string {
  const one = s.replace(/[\r\n]+/g, " ");
  const run = Math.max(0, ...(one.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(run + 1);
  const pad = one.startsWith("`") || one.endsWith("`") ? " " : "";
  return `${fence}${pad}${one}${pad}${fence}`;
}

const mdCell = (s: string) => mdText(s).replace(/\|/g, "\\|");

function mdTable(head: string[], rows: string[][]): string {
  return [
    `| ${head.map(mdCell).join(" | ")} |`,
    `|${head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`),
  ].join("\n");
}

const signed = (v: number | null) => (v === null ? "—" : `${v >= 0 ? "+" : ""}${v.toFixed(3)}`);

/** One run's section of the Markdown report. */
function mdRun(e: RunEvaluation): string {
  const out: string[] = [`## ${mdText(e.name)} (${mdCode(e.runId)})`, ""];
  out.push(`Task: ${mdText(e.task)} · model: ${mdText(e.model || "—")}`);
  if (e.inputs) {
    out.push(
      `Predictions: ${mdCode(e.inputs.predictions)} · ground truth: ${
        mdCode(e.inputs.groundTruth ?? "—")
      }`,
    );
  }
  if (e.note) out.push("", `> ${mdText(e.note)}`);
  out.push(
    "",
    mdTable(
      ["Metric", "Value", "Meaning"],
      e.headline.map((h) => [h.label, fmtMetric(h.value), h.definition]),
    ),
  );
  const cols = CLASS_COLUMNS[e.kind];
  const rows = classRows(e);
  if (cols && rows.length) {
    out.push(
      "",
      "### Per class",
      "",
      mdTable(
        ["Class", ...cols.map((c) => c.label), "Support"],
        rows.map((
          r,
        ) => [
          r.name,
          ...cols.map((c) => (c.integer ? String(r.values[c.key]) : fmtMetric(r.values[c.key]))),
          String(r.support),
        ]),
      ),
    );
  }
  const rep = e.detection?.report;
  if (rep) {
    out.push(
      "",
      `### Errors (TIDE, IoU ${rep.errors.fgIou})`,
      "",
      mdTable(
        ["Error", "Count", "dAP50 if fixed"],
        TIDE_ERRORS.map((t) => [t, String(rep.errors.counts[t]), rep.errors.dAP[t].toFixed(4)]),
      ),
    );
    const c = rep.confusion;
    out.push(
      "",
      `### Confusion matrix (IoU ${c.iouThreshold}, confidence ≥ ${c.confidence})`,
      "",
      mdTable(
        ["truth \\ predicted", ...c.labels],
        c.matrix.map((r, i) => [c.rowLabels[i], ...r.map(String)]),
      ),
    );
    const b = rep.sweep.overall.best;
    out.push(
      "",
      noThresholdReason(rep) ??
        `Recommended confidence threshold: **${b.threshold.toFixed(2)}** (precision ${
          b.precision.toFixed(3)
        }, recall ${b.recall.toFixed(3)}, F1 ${b.f1.toFixed(3)}).`,
    );
  }
  return out.join("\n");
}

/** The comparison's Markdown section. */
function mdCompare(c: Comparison): string {
  const head = ["Metric", ...c.runs.map((r, i) => (i === 0 ? `${r.name} (baseline)` : r.name))];
  const out = ["## Comparison", ""];
  if (c.warning) out.push(`> ${mdText(c.warning)}`, "");
  if (c.metrics.length) {
    out.push(mdTable(
      head,
      c.metrics.map((m) => [
        m.label,
        ...m.values.map((
          v,
          i,
        ) => (i === 0 ? fmtMetric(v) : `${fmtMetric(v)} (${signed(m.deltas[i])})`)),
      ]),
    ));
  }
  if (c.classes.length) {
    out.push(
      "",
      `### Per-class ${mdText(c.classMetric)}`,
      "",
      mdTable(
        ["Class", ...head.slice(1)],
        c.classes.map((
          k,
        ) => [
          k.name,
          ...k.values.map((
            v,
            i,
          ) => (i === 0 ? fmtMetric(v) : `${fmtMetric(v)} (${signed(k.deltas[i])})`)),
        ]),
      ),
    );
  }
  return out.join("\n");
}

/** Whether a run's numbers are COCO's (detection and instance masks): only then the note. */
export function usesCoco(e: RunEvaluation): boolean {
  return e.kind === "detection";
}

/** The Markdown report. */
export function reportMarkdown(evals: RunEvaluation[]): string {
  const parts = [
    `# Evaluation report`,
    "",
    `Generated ${new Date().toISOString()} by Lakevision.`,
  ];
  if (evals.some(usesCoco)) parts.push("", `_${COCO_TRUST}_`);
  if (evals.length > 1) parts.push("", mdCompare(compareRuns(evals)));
  for (const e of evals) parts.push("", mdRun(e));
  return parts.join("\n") + "\n";
}
