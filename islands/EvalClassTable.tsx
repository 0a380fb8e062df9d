import { useComputed, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import {
  defaultSort,
  nextSort,
  savedColumns,
  sortClassRows,
  type SortKey,
  toggleColumn,
} from "@/lib/evaluation/table_view.ts";
import { type ClassRow, fmtMetric } from "@/lib/evaluation/types.ts";

interface Props {
  /** Metric columns (key into each row's values, label, tooltip). */
  columns: { key: string; label: string; title: string; integer?: boolean }[];
  /** One row per class. */
  rows: ClassRow[];
  /** localStorage key under which the chosen columns are kept. */
  storageKey: string;
}

/** The per-class table: sortable by any column, with columns to show chosen (and remembered). */
export default function EvalClassTable({ columns, rows, storageKey }: Props) {
  const keys = columns.map((c) => c.key);
  const readySig = useSignal(false);
  const shownSig = useSignal<string[]>(keys);
  const sortSig = useSignal(defaultSort(keys));
  const sortedSig = useComputed(() => sortClassRows(rows, sortSig.value));
  useEffect(() => {
    let text: string | null = null;
    try {
      text = localStorage.getItem(storageKey);
    } catch { /* storage refused: keep the default */ }
    const saved = savedColumns(text, keys);
    if (saved) shownSig.value = saved;
    readySig.value = true;
  }, []);
  const ready = readySig.value, shown = shownSig.value, sort = sortSig.value;
  function toggle(key: string) {
    const next = toggleColumn(keys, shown, key);
    shownSig.value = next;
    try {
      localStorage.setItem(storageKey, JSON.stringify(next));
    } catch { /* private mode: not remembered */ }
  }
  const cols = columns.filter((c) => shown.includes(c.key));
  const head = (key: SortKey, label: string, title?: string) => (
    <th
      class="px-2 py-1 text-right first:text-left font-medium"
      title={title}
      aria-sort={sort.key === key ? (sort.desc ? "descending" : "ascending") : "none"}
    >
      <button
        type="button"
        disabled={!ready}
        data-sort={key}
        class="hover:underline disabled:no-underline"
        onClick={() => (sortSig.value = nextSort(sort, key))}
      >
        {label}
        {sort.key === key ? (sort.desc ? " ▼" : " ▲") : ""}
      </button>
    </th>
  );
  return (
    <div>
      <details class="mb-2 text-xs">
        <summary class="cursor-pointer text-slate-600">
          Columns ({cols.length} of {columns.length})
        </summary>
        <div class="flex flex-wrap gap-3 mt-1">
          {columns.map((c) => (
            <label key={c.key} class="flex items-center gap-1" title={c.title}>
              <input
                type="checkbox"
                disabled={!ready}
                checked={shown.includes(c.key)}
                data-column={c.key}
                onChange={() => toggle(c.key)}
              />
              {c.label}
            </label>
          ))}
        </div>
      </details>
      <div class="overflow-x-auto">
        <table class="min-w-full text-sm" data-testid="class-table">
          <thead class="bg-slate-50 text-slate-700">
            <tr>
              {head("name", "Class")}
              {cols.map((c) => head(c.key, c.label, c.title))}
              {head("support", "Support", "ground-truth objects (or images, pixels) of the class")}
            </tr>
          </thead>
          <tbody>
            {sortedSig.value.map((r) => (
              <tr key={r.id} class="border-t border-slate-100">
                <td class="px-2 py-1 text-slate-800">{r.name}</td>
                {cols.map((c) => (
                  <td key={c.key} class="px-2 py-1 text-right tabular-nums">
                    {c.integer ? String(r.values[c.key] ?? "—") : fmtMetric(r.values[c.key])}
                  </td>
                ))}
                <td class="px-2 py-1 text-right tabular-nums text-slate-500">{r.support}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
