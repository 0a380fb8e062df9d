import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { Comparison } from "@/lib/evaluation/compare.ts";
import {
  type ComparePrefs,
  DEFAULT_COMPARE_PREFS,
  savedComparePrefs,
  toggleHidden,
  visibleRuns,
} from "@/lib/evaluation/table_view.ts";
import { fmtMetric } from "@/lib/evaluation/types.ts";

interface Props {
  /** Runs side by side; the first is the baseline deltas are measured against. */
  comparison: Comparison;
}

const KEY = "lakevision.evaluation.compare.columns";

function Delta({ v }: { v: number | null }) {
  if (v === null) return null;
  const cls = Math.abs(v) < 5e-4 ? "text-slate-400" : v > 0 ? "text-emerald-700" : "text-rose-700";
  return (
    <span class={`ml-1 text-xs ${cls}`} data-delta={v.toFixed(4)}>
      ({v >= 0 ? "+" : ""}
      {v.toFixed(3)})
    </span>
  );
}

/** Metrics and per-class values of 2–6 runs side by side, with deltas to the baseline. */
export default function EvalCompare({ comparison: c }: Props) {
  const readySig = useSignal(false);
  const prefsSig = useSignal<ComparePrefs>(DEFAULT_COMPARE_PREFS);
  useEffect(() => {
    let text: string | null = null;
    try {
      text = localStorage.getItem(KEY);
    } catch { /* storage refused: defaults */ }
    prefsSig.value = savedComparePrefs(text);
    readySig.value = true;
  }, []);
  const ready = readySig.value, { hidden, deltas } = prefsSig.value;
  function save(prefs: ComparePrefs) {
    prefsSig.value = prefs;
    try {
      localStorage.setItem(KEY, JSON.stringify(prefs));
    } catch { /* not remembered */ }
  }
  const cols = visibleRuns(c.runs, hidden);
  const header = (first: string) => (
    <tr>
      <th class="px-2 py-1 text-left font-medium">{first}</th>
      {cols.map((r) => (
        <th
          key={r.id}
          class="px-2 py-1 text-right font-medium max-w-[14rem] [overflow-wrap:anywhere]"
          data-run={r.id}
        >
          {r.name}
          {r.i === 0 && <span class="block text-xs font-normal text-slate-500">baseline</span>}
        </th>
      ))}
    </tr>
  );
  return (
    <div class="space-y-4">
      {(c.metrics.length > 0 || c.classes.length > 0) && (
        <fieldset class="flex flex-wrap gap-3 text-xs text-slate-600" data-testid="compare-columns">
          <legend class="sr-only">Columns</legend>
          {c.runs.slice(1).map((r) => (
            <label key={r.id} class="flex items-center gap-1 min-w-0 [overflow-wrap:anywhere]">
              <input
                type="checkbox"
                disabled={!ready}
                checked={!hidden.includes(r.id)}
                data-column={r.id}
                onChange={() =>
                  save({ hidden: toggleHidden(hidden, r.id), deltas })}
              />
              {r.name}
            </label>
          ))}
          <label class="flex items-center gap-1">
            <input
              type="checkbox"
              disabled={!ready}
              checked={deltas}
              data-column="deltas"
              onChange={() =>
                save({ hidden, deltas: !deltas })}
            />
            show deltas
          </label>
        </fieldset>
      )}
      {c.metrics.length > 0 && (
        <div class="overflow-x-auto">
          <table class="min-w-full text-sm" data-testid="compare-metrics">
            <thead class="bg-slate-50 text-slate-700">{header("Metric")}</thead>
            <tbody>
              {c.metrics.map((m) => (
                <tr key={m.key} class="border-t border-slate-100">
                  <td class="px-2 py-1" title={m.definition}>{m.label}</td>
                  {cols.map((r) => (
                    <td key={r.id} class="px-2 py-1 text-right tabular-nums">
                      {fmtMetric(m.values[r.i])}
                      {deltas && r.i > 0 && <Delta v={m.deltas[r.i]} />}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {c.classes.length > 0 && (
        <div class="overflow-x-auto">
          <h3 class="text-sm font-semibold text-slate-800 mb-1">Per-class {c.classMetric}</h3>
          <table class="min-w-full text-sm" data-testid="compare-classes">
            <thead class="bg-slate-50 text-slate-700">{header("Class")}</thead>
            <tbody>
              {c.classes.map((k) => (
                <tr key={k.name} class="border-t border-slate-100">
                  <td class="px-2 py-1">
                    {k.name} <span class="text-xs text-slate-400">({k.support})</span>
                  </td>
                  {cols.map((r) => (
                    <td key={r.id} class="px-2 py-1 text-right tabular-nums">
                      {fmtMetric(k.values[r.i])}
                      {deltas && r.i > 0 && <Delta v={k.deltas[r.i]} />}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
