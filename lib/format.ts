/**
 * How the app writes byte sizes and counted nouns, the same on every page (browser-safe).
 *
 * Sizes are decimal (SI): 1 kB = 1,000 B, 1 MB = 1,000,000 B — the units the training and
 * export jobs print in their logs, so a file reads the same size in a run's log, on its run page
 * and in the registry.
 */

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB"] as const;

/**
 * Bytes as "44.7 MB" (decimal units, one decimal from kB up; whole bytes below 1 kB); "—" for
 * an unknown size (undefined, null, negative or not a number).
 */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return "—";
  if (n < 1000) return `${Math.round(n)} B`;
  let i = 0;
  let v = n;
  // 999,960 B rounds to "1000.0 kB": move up a unit before rounding says so
  while (i < UNITS.length - 1 && v >= 999.95) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${UNITS[i]}`;
}

/**
 * `count` with its noun in the right number: "1 error", "3 errors", "0 boxes". The plural is
 * the singular + "s" unless given (`plural(2, "box", "boxes")`). Counts are grouped
 * ("1,204 images").
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? singular : pluralForm}`;
}
