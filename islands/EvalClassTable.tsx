import { useEffect, useState } from "preact/hooks";
import { type ClassRow, fmtMetric } from "@/lib/evaluation/types.ts";

interface Props {
  /** Metric columns (key into each row's values, label, tooltip). */
  columns: { key: string; label: string; title: string; integer?: boolean }[];
  /** One row per class. */
  rows: ClassRow[];
  /** localStorage key under which the chosen columns are kept. */
  storageKey: string;
}

type SortKey = "name" | "support" | string;

/** The per-class table: sortable by any column, with columns to show chosen (and remembered). */
export default function EvalClassTable({ columns, rows, storageKey }: Props) {
  const [ready, setReady] = useState(false);
  const [shown, setShown] = useState<string[]>(columns.map((c) => c.key));
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({
    key: columns[0]?.key ?? "name",
    desc: true,
  });
  useEffect(() => {
    try {
      const saved = JSON.parse(localStorage.getItem(storageKey) ?? "null");
      if (Array.isArray(saved)) {
        setShown(columns.map((c) => c.key).filter((k) => saved.includes(k)));
      }
    } catch { /* keep the default */ }
    setReady(true);
  }, []);
  function toggle(key: string) {
    const next = shown.includes(key)
      ? shown.filter((k) => k !== key)
      : columns.map((c) => c.key).filter((k) => k === key || shown.includes(k));
    setShown(next);
    try {
      localStorage.setItem(storageKey, JSON.stringify(next));
    } catch { /* private mode: not remembered */ }
  }
  const value = (
    r: ClassRow,
    k: SortKey,
  ) => (k === "name" ? r.name : k === "support" ? r.support : r.values[k] ?? -1);
  const sorted = [...rows].sort((a, b) => {
    const x = value(a, sort.key), y = value(b, sort.key);
    const c = typeof x === "string" ? x.localeCompare(String(y)) : (x as number) - (y as number);
    return sort.desc ? -c : c;
  });
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
        onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : key !== "name" })}
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
            {sorted.map((r) => (
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
