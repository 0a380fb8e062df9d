/**
 * A one-line summary of an activity's details for the timeline (the full object is in the
 * JSON and CSV exports): scalar facts only, internal bookkeeping left out, each value clipped,
 * at most a few of them, so a row stays one line however much an event recorded.
 */

/** Keys that are bookkeeping, not facts a reader wants in the row. */
const HIDDEN = new Set(["i", "undoneBy", "undoes", "registration", "jobRunId"]);

/** At most this many facts in a row, each at most this long. */
export const MAX_FACTS = 4;
export const MAX_VALUE = 60;

function show(v: unknown): string | null {
  if (v === null) return "none";
  if (typeof v === "string") return v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE - 1)}…` : v;
  if (typeof v === "number") return Number.isFinite(v) ? String(+v.toPrecision(6)) : null;
  if (typeof v === "boolean") return v ? "yes" : "no";
  return null; // objects and lists: in the exports
}

/** `key: value` facts of an activity's details, in the order they were recorded. */
export function detailFacts(details: Record<string, unknown>): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  // an alias move reads as one fact
  if ("from" in details && "to" in details) {
    const f = show(details.from), t = show(details.to);
    if (f !== null && t !== null) out.push({ key: "version", value: `${f} → ${t}` });
  }
  for (const [key, v] of Object.entries(details)) {
    if (out.length >= MAX_FACTS) break;
    if (HIDDEN.has(key) || key === "from" || key === "to") continue;
    const value = show(v);
    if (value !== null && value !== "") out.push({ key, value });
  }
  return out.slice(0, MAX_FACTS);
}
