/**
 * The generated model card (Markdown): task, labels, training data, config version, validation
 * metrics with the recommended confidence threshold, lineage links, intended use and limits.
 * People edit it afterwards; what is generated states only what the app knows.
 */
import { plural } from "@/lib/format.ts";
import type { ClassMetric, RunFacts } from "./run_facts.ts";

/** What the card is built from. */
export interface CardInput {
  name: string;
  task: string;
  labels: string[];
  baseModel?: string;
  input: { width: number; height: number };
  facts: RunFacts | null;
  /** The content of metrics.json (null for imported models). */
  metrics: Record<string, unknown> | null;
}

const TASK_WORDS: Record<string, string> = {
  detection: "object detection (boxes)",
  classification: "image classification",
  semantic_segmentation: "semantic segmentation (a class per pixel)",
  instance_segmentation: "instance segmentation (a mask per object)",
  panoptic_segmentation: "panoptic segmentation",
};

/** Escapes characters that Markdown tables and emphasis would read as markup. */
function md(s: string): string {
  return s.replace(/([\\|*_`[\]])/g, "\\$1").replace(/\r?\n/g, " ");
}

const fmt = (v: number | null | undefined) =>
  v === null || v === undefined || v < 0 ? "—" : v.toFixed(3);

/** Builds the card's Markdown. */
export function buildCard(c: CardInput): string {
  const f = c.facts;
  const out: string[] = [`# ${md(c.name)}`, ""];
  out.push("## Model", "");
  out.push(`- Task: ${TASK_WORDS[c.task] ?? md(c.task)}`);
  if (c.baseModel) out.push(`- Architecture: \`${c.baseModel.replaceAll("`", "")}\``);
  out.push(`- Input: ${c.input.width} × ${c.input.height} RGB`);
  const shown = c.labels.slice(0, 40).map(md).join(", ");
  out.push(
    `- Classes (${c.labels.length}): ${shown}${c.labels.length > 40 ? ", …" : ""}`,
    "",
  );
  out.push("## Training data", "");
  if (f) {
    if (f.config) {
      out.push(
        `- Config: [${md(f.config.name)} v${f.config.version}](/configs/${
          encodeURIComponent(f.config.name)
        }?version=${f.config.version})`,
      );
    }
    if (f.dataset) out.push(`- Training data: ${dataLink(f.dataset, f.datasetImages)}`);
    if (f.valDataset) out.push(`- Validation data: ${dataLink(f.valDataset, f.valImages)}`);
    out.push(`- Run: [${md(f.name)} (${f.runId})](/training/${encodeURIComponent(f.runId)})`);
    out.push(...launchLines(f), "");
    out.push(...edaLines(f));
  } else {
    out.push("- Imported model: its training data is not known to Lakevision.", "");
  }
  out.push("## Validation metrics", "");
  if (f && f.headline.length) {
    out.push("| Metric | Value |", "|---|---|");
    for (const h of f.headline) out.push(`| ${md(h.label)} | ${fmt(h.value)} |`);
    out.push("");
    if (f.threshold) {
      out.push(
        `Recommended confidence threshold: **${f.threshold.threshold.toFixed(2)}** (F1 ` +
          `${f.threshold.f1.toFixed(3)}, precision ${f.threshold.precision.toFixed(3)}, recall ` +
          `${f.threshold.recall.toFixed(3)} at IoU ${f.threshold.iou}).`,
        "",
      );
    }
    if (f.classes.length && f.classMetric) out.push(...classTable(f.classMetric, f.classes));
    if (f.evaluationNote) out.push(`Note: ${md(f.evaluationNote)}`, "");
    out.push(
      `[Full evaluation](/evaluation?runs=${encodeURIComponent(f.runId)}) of the source run.`,
      "",
    );
  } else {
    out.push("No validation metrics were recorded for this version.", "");
  }
  out.push("## Intended use and limits", "");
  out.push(
    f
      ? "- Trained and validated on the data above: expect it to work on images like those " +
        "(same kind of camera, scenes, classes and object sizes). It was not evaluated on " +
        "anything else."
      : "- Describe what this model is for and where it was evaluated.",
    "- Classes outside the list above are never predicted.",
    "- Edit this card to add what you know: known failure cases, fairness checks, owners.",
    "",
  );
  return out.join("\n");
}

/** A dataset path linked to its Data EDA page, with the images folder of an annotation file. */
function dataLink(path: string, images?: string): string {
  const link = `[${md(path)}](/data?path=${encodeURIComponent(path)})`;
  return images ? `${link} (images in \`${images.replaceAll("`", "")}\`)` : link;
}

/** What the run was launched with beyond its config: limits, the run it resumed, compute. */
function launchLines(f: RunFacts): string[] {
  const l = f.launch;
  if (!l) return [];
  const out: string[] = [];
  const limits = [
    l.maxEpochs !== undefined ? `at most ${plural(l.maxEpochs, "epoch")}` : "",
    l.maxSteps !== undefined ? `at most ${plural(l.maxSteps, "step")}` : "",
  ].filter(Boolean);
  if (limits.length) {
    out.push(`- Launched with: ${limits.join(", ")} (instead of the config's own limits)`);
  }
  if (l.resumedFrom) {
    out.push(
      `- Resumed from: [${md(l.resumedFrom)}](/training/${encodeURIComponent(l.resumedFrom)})`,
    );
  }
  if (l.compute) out.push(`- Compute: ${md(l.compute)}`);
  return out;
}

function edaLines(f: RunFacts): string[] {
  const e = f.eda;
  if (!e) return [];
  if (!e.splits.length) return [`Dataset scan: ${md(e.note ?? "none")}.`, ""];
  const rows = [
    `Dataset scan (${md(e.format ?? "unknown format")}, ${plural(e.problems, "problem")} found):`,
    "",
    "| Split | Images | Annotations | Classes | Balance | Images without annotations |",
    "|---|---|---|---|---|---|",
  ];
  for (const s of e.splits) {
    rows.push(
      `| ${md(s.name)} | ${s.images} | ${s.annotations} | ${s.classes} | ${s.imbalance} | ` +
        `${s.imagesWithoutAnnotations} |`,
    );
  }
  rows.push("");
  return rows;
}

function classTable(metric: string, classes: ClassMetric[]): string[] {
  const rows = [`| Class | ${md(metric)} | Support |`, "|---|---|---|"];
  for (const c of classes.slice(0, 100)) {
    rows.push(`| ${md(c.name)} | ${fmt(c.value)} | ${c.support} |`);
  }
  if (classes.length > 100) rows.push(`| … ${classes.length - 100} more | | |`);
  rows.push("");
  return rows;
}
