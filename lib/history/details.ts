/**
 * A one-line summary of an activity's details for the timeline (the full object is in the
 * JSON and CSV exports): scalar facts only, in words a reader knows ("latency 12 ms", not
 * `latencyMs 12.3457`), internal bookkeeping and opaque ids left out, each value clipped, at
 * most a few of them, so a row stays one line however much an event recorded.
 */
import { formatBytes, plural } from "@/lib/format.ts";

/** Keys that are bookkeeping, or ids that mean nothing to a reader of the row. */
const HIDDEN = new Set([
  "i",
  "undoneBy",
  "undoes",
  "registration",
  "jobRunId",
  "scanId",
  "mlflowRunId",
  "idempotencyToken",
]);

/** At most this many facts in a row, each at most this long. */
export const MAX_FACTS = 4;
export const MAX_VALUE = 60;

/** Labels of the keys the app writes, where the key itself does not read as words. */
const LABELS: Record<string, string> = {
  runId: "run",
  resumedFrom: "resumed from",
  workloadSize: "workload size",
  workloadType: "workload type",
  scaleToZero: "scale to zero",
  inferenceTables: "inference tables",
  removedFiles: "files removed",
  keptFiles: "files kept",
  removedConfigs: "configurations removed",
  pricePerDbu: "price per DBU",
  fileName: "file",
  chars: "length",
  entities: "serves",
  n: "count",
};

/** Keys whose number is a count of something, shown as "3 files". */
const COUNTS: Record<string, [string, string]> = {
  chars: ["character", "characters"],
  removedFiles: ["file", "files"],
  keptFiles: ["file", "files"],
  removedConfigs: ["configuration", "configurations"],
};

/** Words of a camelCase key: `maxSteps` → "max steps". */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/_/g, " ").toLowerCase();
}

function clip(s: string): string {
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}

/** A number as a reader wants it: whole when large, three significant digits when small. */
function num(v: number): string {
  const a = Math.abs(v);
  if (a >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString("en-US");
  return String(+v.toPrecision(a >= 10 ? 3 : 2));
}

/** An opaque id: a UUID, or a long run of hex digits (a hash). */
const OPAQUE = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{24,})$/i;

/** The label and value of one fact, or null when it is not shown in the row. */
function fact(key: string, v: unknown): { label: string; value: string } | null {
  if (HIDDEN.has(key)) return null;
  if (/Id$/.test(key) && typeof v === "string" && OPAQUE.test(v)) return null;
  // a unit in the key moves into the value: latencyMs 12.3 → "latency 12 ms"
  const unit = key.match(/^(.+?)(Ms|Seconds|Bytes)$/);
  if (unit && typeof v === "number" && Number.isFinite(v)) {
    const label = LABELS[key] ?? words(unit[1]);
    if (unit[2] === "Bytes") return { label, value: formatBytes(v) };
    return { label, value: `${num(v)} ${unit[2] === "Ms" ? "ms" : "s"}` };
  }
  const label = LABELS[key] ?? words(key);
  if (v === null) return { label, value: "none" };
  if (typeof v === "string") return v === "" ? null : { label, value: clip(v) };
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return null;
    const c = COUNTS[key];
    return { label, value: c ? plural(v, c[0], c[1]) : num(v) };
  }
  if (typeof v === "boolean") return { label, value: v ? "yes" : "no" };
  return null; // objects and lists: in the exports
}

/** One fact of a row: its key (stable, for lists), its label and its value. */
export interface Fact {
  key: string;
  label: string;
  value: string;
}

/** The facts of an activity's details, in the order they were recorded. */
export function detailFacts(details: Record<string, unknown>): Fact[] {
  const out: Fact[] = [];
  // an alias move reads as one fact
  if ("from" in details && "to" in details) {
    const f = fact("from", details.from), t = fact("to", details.to);
    if (f && t) out.push({ key: "version", label: "version", value: `${f.value} → ${t.value}` });
  }
  for (const [key, v] of Object.entries(details)) {
    if (out.length >= MAX_FACTS) break;
    if (key === "from" || key === "to") continue;
    const f = fact(key, v);
    if (f) out.push({ key, ...f });
  }
  return out.slice(0, MAX_FACTS);
}
