/**
 * The self-contained HTML report: one file, no requests to the server or anywhere else (styles
 * inline, charts as SVG data URIs), that prints to PDF cleanly through its print stylesheet.
 */
import { classColor } from "@/lib/data/colors.ts";
import { TIDE_ERRORS } from "@/lib/metrics/mod.ts";
import { compareRuns, type Comparison } from "./compare.ts";
import { COCO_TRUST, usesCoco } from "./report.ts";
import { barChartSvg, heatmapSvg, lineChartSvg, svgDataUri } from "./svg.ts";
import { TIDE_LABELS } from "./charts.ts";
import { cocoNoValue } from "./headline.ts";
import { CLASS_COLUMNS, classRows, fmtMetric, type RunEvaluation } from "./types.ts";

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#0f172a;margin:0;background:#f8fafc}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #cbd5e1;padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px}
.trust{background:#ecfdf5;border:1px solid #a7f3d0;padding:8px 12px;border-radius:6px;color:#065f46}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:8px 12px;min-width:150px;flex:1}
.card b{display:block;font-size:20px}.card small{color:#64748b;display:block}
table{border-collapse:collapse;background:#fff;margin:6px 0;font-size:13px}th,td{border:1px solid #e2e8f0;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f1f5f9}
.pos{color:#15803d}.neg{color:#b91c1c}.muted{color:#64748b}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px;align-items:start}.charts img{width:100%;height:auto;border:1px solid #e2e8f0;border-radius:6px;background:#fff}
@media print{body{background:#fff;font-size:11px}main{max-width:none;padding:0}
h2{break-before:page}h2.first{break-before:auto}.charts img,table,.card{break-inside:avoid}
.card{border-color:#94a3b8}}
@page{margin:14mm}
`;

const img = (svg: string, alt: string) => `<img alt="${esc(alt)}" src="${svgDataUri(svg)}">`;

const signed = (v: number | null) =>
  v === null
    ? ""
    : ` <span class="${v >= 0 ? "pos" : "neg"}">(${v >= 0 ? "+" : ""}${v.toFixed(3)})</span>`;

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
}

function runSection(e: RunEvaluation, first: boolean): string {
  const out: string[] = [
    `<h2${first ? ' class="first"' : ""}>${esc(e.name)} <span class="muted">${
      esc(e.runId)
    }</span></h2>`,
    `<p class="muted">Task ${esc(e.task)} · model ${esc(e.model || "—")}${
      e.inputs
        ? ` · predictions ${esc(e.inputs.predictions)} · ground truth ${
          esc(e.inputs.groundTruth ?? "—")
        }`
        : ""
    }</p>`,
  ];
  if (e.note) out.push(`<p>${esc(e.note)}</p>`);
  out.push(
    `<div class="cards">${
      e.headline.map((h) =>
        `<div class="card"><small>${esc(h.label)}</small><b>${fmtMetric(h.value)}</b><small>${
          esc(h.definition)
        }</small></div>`
      ).join("")
    }</div>`,
  );
  const charts: string[] = [];
  const hist = e.history
    .map((s) => ({ ...s, points: s.points.filter((p) => !cocoNoValue(s.name, p.y)) }))
    .filter((s) => s.points.length > 1);
  const loss = hist.filter((s) => /loss/.test(s.name));
  const evals = hist.filter((s) => s.name.startsWith("eval_") && !/loss/.test(s.name)).slice(0, 6);
  if (loss.length) {
    charts.push(
      img(
        lineChartSvg({
          title: "Loss",
          series: loss.map((s) => ({ label: s.name, points: s.points })),
          xLabel: "step",
        }),
        "Loss history",
      ),
    );
  }
  if (evals.length) {
    charts.push(
      img(
        lineChartSvg({
          title: "Validation metrics",
          series: evals.map((s) => ({ label: s.name, points: s.points })),
          xLabel: "step",
        }),
        "Validation metric history",
      ),
    );
  }
  const rep = e.detection?.report;
  if (rep) {
    const classIndex = new Map(rep.confusion.catIds.map((id, i) => [id, i]));
    const curves = rep.bbox.perCategory.slice(0, 8).map((c, i) => ({
      label: c.name,
      color: classColor(classIndex.get(c.id) ?? i),
      points: rep.bbox.recall.map((r, i) => ({
        x: r,
        y: rep.bbox.prCurves[String(c.id)]?.p50[i] ?? -1,
      })).filter((p) => p.y >= 0),
    }));
    charts.push(
      img(
        lineChartSvg({
          title: "Precision–recall at IoU 0.5",
          series: curves,
          xLabel: "recall",
          yLabel: "precision",
          xDomain: [0, 1],
          yDomain: [0, 1],
        }),
        "PR curves",
      ),
    );
    const o = rep.sweep.overall;
    const pts = (ys: number[]) => rep.sweep.thresholds.map((x, i) => ({ x, y: ys[i] }));
    charts.push(img(
      lineChartSvg({
        title: `Confidence sweep (recommended ${o.best.threshold.toFixed(2)})`,
        series: [
          { label: "precision", points: pts(o.precision) },
          {
            label: "recall",
            points: pts(o.recall),
          },
          { label: "F1", points: pts(o.f1) },
          {
            label: `recommended ${o.best.threshold.toFixed(2)}`,
            points: [{ x: o.best.threshold, y: 0 }, { x: o.best.threshold, y: 1 }],
            dashed: true,
          },
        ],
        xLabel: "confidence threshold",
        xDomain: [0, 1],
        yDomain: [0, 1],
      }),
      "Confidence sweep",
    ));
    charts.push(
      img(
        heatmapSvg({
          title: `Confusion matrix (IoU ${rep.confusion.iouThreshold}, conf ≥ ${
            rep.confusion.confidence.toFixed(2)
          })`,
          labels: rep.confusion.labels,
          rowLabels: rep.confusion.rowLabels,
          matrix: rep.confusion.matrix,
        }),
        "Confusion matrix",
      ),
    );
    charts.push(
      img(
        barChartSvg({
          title: "Errors: AP50 gained if fixed (TIDE dAP)",
          labels: TIDE_ERRORS.map((t) => `${TIDE_LABELS[t]} (${rep.errors.counts[t]})`),
          values: TIDE_ERRORS.map((t) => rep.errors.dAP[t]),
          format: (v) => v.toFixed(4),
        }),
        "TIDE errors",
      ),
    );
  }
  if (e.classification) {
    const c = e.classification;
    charts.push(
      img(
        heatmapSvg({ title: "Confusion matrix", labels: c.labels, matrix: c.confusion }),
        "Confusion matrix",
      ),
    );
  }
  if (charts.length) out.push(`<div class="charts">${charts.join("")}</div>`);
  const cols = CLASS_COLUMNS[e.kind];
  const rows = classRows(e);
  if (cols && rows.length) {
    out.push(
      `<h3>Per class</h3>`,
      table(
        ["Class", ...cols.map((c) => esc(c.label)), "Support"],
        rows.map((
          r,
        ) => [
          esc(r.name),
          ...cols.map((c) => (c.integer ? String(r.values[c.key]) : fmtMetric(r.values[c.key]))),
          String(r.support),
        ]),
      ),
    );
  }
  if (e.detection?.worst.length) {
    out.push(
      `<h3>Worst images at confidence ≥ ${e.detection.worstAt.confidence.toFixed(2)}</h3>`,
      table(
        ["Image", "False positives", "Missed", "Found", "Loosest IoU"],
        e.detection.worst.map((w) => [
          esc(w.fileName),
          String(w.fp),
          String(w.missed),
          String(w.tp),
          w.minIou === null ? "—" : w.minIou.toFixed(2),
        ]),
      ),
    );
  }
  return out.join("\n");
}

function compareSection(c: Comparison): string {
  const head = ["Metric", ...c.runs.map((r, i) => esc(r.name) + (i === 0 ? " (baseline)" : ""))];
  const out = [`<h2 class="first">Comparison</h2>`];
  if (c.warning) out.push(`<p>${esc(c.warning)}</p>`);
  if (c.metrics.length) {
    out.push(table(
      head,
      c.metrics.map((
        m,
      ) => [
        esc(m.label),
        ...m.values.map((v, i) => fmtMetric(v) + (i ? signed(m.deltas[i]) : "")),
      ]),
    ));
  }
  if (c.prCurves.some(Boolean)) {
    const series = c.prCurves.flatMap((p, i) =>
      p
        ? [{ label: c.runs[i].name, points: p.recall.map((x, j) => ({ x, y: p.precision[j] })) }]
        : []
    );
    out.push(
      `<div class="charts">${
        img(
          lineChartSvg({
            title: "Precision–recall over confidence (IoU 0.5)",
            series,
            xLabel: "recall",
            yLabel: "precision",
            xDomain: [0, 1],
            yDomain: [0, 1],
          }),
          "Overlaid PR curves",
        )
      }</div>`,
    );
  }
  if (c.classes.length) {
    out.push(
      `<h3>Per-class ${esc(c.classMetric)}</h3>`,
      table(
        ["Class", ...head.slice(1)],
        c.classes.map((
          k,
        ) => [
          esc(k.name),
          ...k.values.map((v, i) => fmtMetric(v) + (i ? signed(k.deltas[i]) : "")),
        ]),
      ),
    );
  }
  return out.join("\n");
}

/** The HTML report for one run or a comparison of several. */
export function reportHtml(evals: RunEvaluation[]): string {
  const title = evals.length === 1
    ? `Evaluation: ${evals[0].name}`
    : `Evaluation: ${evals.length} runs compared`;
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="muted">Generated ${new Date().toISOString()} by Lakevision.</p>`,
  ];
  if (evals.some(usesCoco)) body.push(`<p class="trust">${esc(COCO_TRUST)}</p>`);
  if (evals.length > 1) body.push(compareSection(compareRuns(evals)));
  evals.forEach((e, i) => body.push(runSection(e, i === 0 && evals.length === 1)));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>
${body.join("\n")}
</main></body></html>
`;
}
