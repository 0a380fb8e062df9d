/** CSV as spreadsheets read it, shared by the chart downloads and the report and problem exports. */

/** Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal number: spreadsheets read it as a number and never as a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * One RFC 4180 cell: quoted when it holds a quote, comma or line break; null/undefined → "".
 * Text starting with `=`, `+`, `-`, `@`, tab or CR (a class or file name such as
 * `=HYPERLINK(...)`) gets a leading `'`, as OWASP recommends, so spreadsheets show it as text
 * instead of running it. Numbers, and strings that are plain numbers like `-0.5` or `+3`, stay
 * as they are: they cannot hold a formula and must stay numeric for charts and sums.
 */
export function csvCell(v: unknown): string {
  if (v === undefined || v === null) return "";
  let s = String(v);
  if (typeof v !== "number" && typeof v !== "bigint" && FORMULA_START.test(s)) {
    if (!PLAIN_NUMBER.test(s)) s = `'${s}`;
  }
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** CSV text from rows, each line ended by `eol`. */
export function toCsv(rows: readonly (readonly unknown[])[], eol = "\n"): string {
  return rows.map((r) => r.map(csvCell).join(",")).join(eol) + eol;
}
