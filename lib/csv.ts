/** CSV as spreadsheets read it, shared by the chart downloads and the report and problem exports. */

/** One RFC 4180 cell: quoted when it holds a quote, comma or line break; null/undefined → "". */
export function csvCell(v: unknown): string {
  if (v === undefined || v === null) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** CSV text from rows, each line ended by `eol`. */
export function toCsv(rows: readonly (readonly unknown[])[], eol = "\n"): string {
  return rows.map((r) => r.map(csvCell).join(",")).join(eol) + eol;
}
