/**
 * Several runs side by side: headline metrics with deltas against the first run (the baseline),
 * per-class deltas matched by class name, and the curves each run contributes to the overlays.
 */
import type { RunEvaluation } from "./types.ts";
import { classRows } from "./types.ts";

/** One metric across runs; `deltas[i]` is run i minus run 0 (null when either is missing). */
export interface CompareMetric {
  key: string;
  label: string;
  definition: string;
  values: (number | null)[];
  deltas: (number | null)[];
}

/** One class across runs, on the kind's main per-class metric. */
export interface CompareClass {
  name: string;
  values: (number | null)[];
  deltas: (number | null)[];
  support: number;
}

/** The comparison the page and the exports show. */
export interface Comparison {
  runs: { id: string; name: string; task: string; kind: string }[];
  metrics: CompareMetric[];
  /** Per-class main metric (AP, F1, IoU or PQ), with its name. */
  classMetric: string;
  classes: CompareClass[];
  /** Overall precision-recall (from the confidence sweep) per detection run. */
  prCurves: ({ recall: number[]; precision: number[] } | null)[];
  /** Runs of different kinds: only the metrics they share are compared. */
  warning?: string;
  /** Headline metrics some runs have and others do not: left out of `metrics`. */
  omitted: { key: string; label: string }[];
}

const MAIN_CLASS_METRIC: Record<string, [string, string]> = {
  detection: ["ap", "AP"],
  classification: ["f1", "F1"],
  semantic: ["iou", "IoU"],
  panoptic: ["pq", "PQ"],
};

const delta = (v: number | null, base: number | null) =>
  v === null || base === null || v < 0 || base < 0 ? null : v - base;

/** Builds the comparison; the first evaluation is the baseline. */
export function compareRuns(evals: RunEvaluation[]): Comparison {
  const kinds = new Set(evals.map((e) => e.kind));
  const keys: { key: string; label: string; definition: string }[] = [];
  const seen = new Set<string>();
  for (const e of evals) {
    for (const h of e.headline) {
      if (seen.has(h.key)) continue;
      seen.add(h.key);
      keys.push({ key: h.key, label: h.label, definition: h.definition });
    }
  }
  // a metric is compared only when every run has it: a column of dashes compares nothing
  const everywhere = (key: string) => evals.every((e) => e.headline.some((h) => h.key === key));
  const shared = keys.filter((k) => everywhere(k.key));
  const omitted = keys.filter((k) => !everywhere(k.key)).map(({ key, label }) => ({ key, label }));
  const warning = kinds.size > 1
    ? `These runs are of different kinds (${[...kinds].join(", ")}): ${
      shared.length
        ? `only the ${shared.length} metric${shared.length > 1 ? "s" : ""} they share ${
          shared.length > 1 ? "are" : "is"
        } compared`
        : "they share no metric to compare"
    }; ${omitted.length} that only some of them have ${
      omitted.length === 1 ? "is" : "are"
    } left out, and curves are overlaid only between runs of the same task.`
    : undefined;
  const metrics: CompareMetric[] = shared.map((k) => {
    const values = evals.map((e) => e.headline.find((h) => h.key === k.key)?.value ?? null);
    return { ...k, values, deltas: values.map((v) => delta(v, values[0])) };
  });
  const kind = evals[0]?.kind ?? "none";
  const [classKey, classMetric] = MAIN_CLASS_METRIC[kind] ?? ["", ""];
  const classes: CompareClass[] = [];
  if (!warning && classKey) {
    const rows = evals.map((e) => new Map(classRows(e).map((r) => [r.name, r])));
    const names = [...new Set(rows.flatMap((m) => [...m.keys()]))];
    for (const name of names) {
      const values = rows.map((m) => m.get(name)?.values[classKey] ?? null);
      classes.push({
        name,
        values,
        deltas: values.map((v) => delta(v, values[0])),
        support: rows[0].get(name)?.support ?? 0,
      });
    }
  }
  return {
    runs: evals.map((e, i) => ({
      id: e.runId,
      name: runLabels(evals)[i],
      task: e.task,
      kind: e.kind,
    })),
    metrics,
    classMetric,
    classes,
    prCurves: evals.map((e) => {
      const o = e.detection?.report.sweep.overall;
      return o ? { recall: o.recall, precision: o.precision } : null;
    }),
    warning,
    omitted,
  };
}

/**
 * Names for runs shown side by side: the run's name, with its id added wherever two runs share
 * a name (two launches of "demo v1" must not look like one).
 */
export function runLabels(evals: { name: string; runId: string }[]): string[] {
  const count = new Map<string, number>();
  for (const e of evals) count.set(e.name, (count.get(e.name) ?? 0) + 1);
  return evals.map((e) => (count.get(e.name)! > 1 ? `${e.name} · ${e.runId}` : e.name));
}
