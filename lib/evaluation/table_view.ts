/**
 * What the Evaluation page's tables do with what the person picks, kept out of the islands:
 * sorting the per-class table, choosing its columns (and reading the choice back from
 * localStorage), which runs a comparison shows, and the URLs behind confusion-matrix cells.
 * Browser-safe: types only from the rest of lib/evaluation.
 */
import type { ClassRow } from "./types.ts";

/** A column key of the per-class table, or "name" / "support". */
export type SortKey = string;

/** How the per-class table is sorted. */
export interface ClassSort {
  key: SortKey;
  desc: boolean;
}

/** The sort the table opens with: the first metric column, best first. */
export function defaultSort(columnKeys: string[]): ClassSort {
  return { key: columnKeys[0] ?? "name", desc: true };
}

/** The sort after a click on `key`'s heading: the same column flips, another starts best first. */
export function nextSort(sort: ClassSort, key: SortKey): ClassSort {
  return { key, desc: sort.key === key ? !sort.desc : key !== "name" };
}

function sortValue(r: ClassRow, key: SortKey): string | number {
  return key === "name" ? r.name : key === "support" ? r.support : r.values[key] ?? -1;
}

/** The rows in the table's order (a copy; a missing value sorts as -1, below every score). */
export function sortClassRows(rows: ClassRow[], sort: ClassSort): ClassRow[] {
  return [...rows].sort((a, b) => {
    const x = sortValue(a, sort.key), y = sortValue(b, sort.key);
    const c = typeof x === "string" || typeof y === "string"
      ? String(x).localeCompare(String(y))
      : x - y;
    return sort.desc ? -c : c;
  });
}

/** The columns shown after ticking `key` on or off, in the table's column order. */
export function toggleColumn(columnKeys: string[], shown: string[], key: string): string[] {
  return shown.includes(key)
    ? shown.filter((k) => k !== key)
    : columnKeys.filter((k) => k === key || shown.includes(k));
}

/**
 * The columns kept in localStorage (JSON text, or null when nothing was kept), as far as they
 * are columns of this table; null when the text is not a kept list, so the default stands.
 */
export function savedColumns(text: string | null, columnKeys: string[]): string[] | null {
  const saved = parseJson(text);
  if (!Array.isArray(saved)) return null;
  return columnKeys.filter((k) => saved.includes(k));
}

/** The comparison's choices: runs hidden (by id) and whether deltas are shown. */
export interface ComparePrefs {
  hidden: string[];
  deltas: boolean;
}

/** The default: every run shown, with deltas. */
export const DEFAULT_COMPARE_PREFS: ComparePrefs = { hidden: [], deltas: true };

/** The comparison's choices kept in localStorage; what is missing or malformed is the default. */
export function savedComparePrefs(text: string | null): ComparePrefs {
  const saved = parseJson(text) as { hidden?: unknown; deltas?: unknown } | null;
  if (!saved || typeof saved !== "object") return DEFAULT_COMPARE_PREFS;
  return {
    hidden: Array.isArray(saved.hidden)
      ? saved.hidden.filter((h): h is string => typeof h === "string")
      : DEFAULT_COMPARE_PREFS.hidden,
    deltas: typeof saved.deltas === "boolean" ? saved.deltas : DEFAULT_COMPARE_PREFS.deltas,
  };
}

/** `hidden` with run `id` shown again, or hidden. */
export function toggleHidden(hidden: string[], id: string): string[] {
  return hidden.includes(id) ? hidden.filter((h) => h !== id) : [...hidden, id];
}

/** The compared runs shown, each with its index; the baseline (index 0) is never hidden. */
export function visibleRuns<R extends { id: string }>(
  runs: R[],
  hidden: string[],
): (R & { i: number })[] {
  return runs.map((r, i) => ({ ...r, i })).filter((r) => r.i === 0 || !hidden.includes(r.id));
}

/** The images of one detection confusion cell (truth `row`, prediction `col`). */
export function cellImagesUrl(runId: string, row: number, col: number, limit: number): string {
  return `/api/evaluation/${encodeURIComponent(runId)}/cell?row=${row}&col=${col}&limit=${limit}`;
}

/** A classification image's thumbnail, when the validation folder is known. */
export function thumbUrl(imageDir: string | null, key: string, size = 192): string | null {
  if (!imageDir) return null;
  const path = `${imageDir.replace(/\/+$/, "")}/${key}`;
  return `/api/data/file?path=${encodeURIComponent(path)}&thumb=${size}`;
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
