/**
 * The timeline's filters as they travel in a URL (`?type=&who=&since=&until=&q=&cursor=`),
 * links from an event to its subject, and the CSV export of the timeline.
 */
import { z } from "zod";
import { toCsv } from "@/lib/csv.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { type Activity, ACTIVITY_TYPES, type ActivityQuery, typeOf } from "@/lib/store/activity.ts";

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/, "a date such as 2026-11-30");

/** The filter fields of the timeline form and API (all optional; empty means "any"). */
export const TimelineFilterSchema = z.object({
  type: z.enum(ACTIVITY_TYPES).optional(),
  who: z.string().trim().max(200).optional(),
  /** ISO date or date-time; a date means the start of that day (UTC). */
  since: day.optional(),
  /** ISO date or date-time; a date means the end of that day (UTC). */
  until: day.optional(),
  q: z.string().trim().max(200).optional(),
  cursor: z.string().regex(/^[0-9a-z]{1,12}(-[0-9a-f]{8})?$/).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
export type TimelineFilter = z.infer<typeof TimelineFilterSchema>;

/** Parses URL parameters, dropping empty ones; throws a ZodError naming the bad field. */
export function filterFromParams(p: URLSearchParams): TimelineFilter {
  const raw = Object.fromEntries([...p.entries()].filter(([, v]) => v.trim() !== ""));
  return TimelineFilterSchema.parse(raw);
}

/** Epoch ms of an ISO date (start of day) or date-time. */
export function parseTime(s: string, endOfDay = false): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    return Date.parse(`${s}T00:00:00Z`) + (endOfDay ? 86_400_000 - 1 : 0);
  }
  return Date.parse(s.endsWith("Z") ? s : `${s}Z`);
}

/** The store query for a filter. */
export function toQuery(f: TimelineFilter, pageSize = 50): ActivityQuery {
  return {
    type: f.type,
    who: f.who || undefined,
    since: f.since ? parseTime(f.since) : undefined,
    until: f.until ? parseTime(f.until, true) : undefined,
    text: f.q || undefined,
    cursor: f.cursor,
    limit: f.limit ?? pageSize,
  };
}

/** The same filter as URL parameters (empty fields left out), optionally on another page. */
export function filterParams(f: TimelineFilter, cursor?: string | null): string {
  const p = new URLSearchParams();
  for (const k of ["type", "who", "since", "until", "q"] as const) if (f[k]) p.set(k, f[k]!);
  if (f.limit) p.set("limit", String(f.limit));
  if (cursor) p.set("cursor", cursor);
  return p.toString();
}

/** Where an event's subject lives in the app, or null when it has no page. */
export function subjectHref(subject: string): string | null {
  const i = subject.indexOf(":");
  if (i < 0) return null;
  const kind = subject.slice(0, i);
  const rest = subject.slice(i + 1);
  const enc = encodeURIComponent;
  switch (kind) {
    case "config": {
      const [name, v] = rest.split("@v");
      return `/configs/${enc(name)}${v ? `?version=${enc(v)}` : ""}`;
    }
    case "run":
      return `/training/${enc(rest)}`;
    case "evaluation":
    case "eval":
      return `/evaluation?run=${enc(rest.split(",")[0])}`;
    case "report":
      return `/evaluation?run=${enc(rest.split(",")[0])}`;
    case "dataset":
      return `/data?path=${enc(rest.split(",")[0])}`;
    case "model": {
      const [name, ver] = rest.split("@");
      return ver && /^\d+$/.test(ver) ? `/models/${enc(name)}/${enc(ver)}` : `/models/${enc(name)}`;
    }
    case "registration":
      return `/models/registrations/${enc(rest)}`;
    case "endpoint":
      return `/deployments/${enc(rest)}`;
    case "batch":
      return `/deployments/batch/${enc(rest)}`;
    case "playground":
    case "inference":
      return `/inference?model=${enc(rest)}`;
    case "settings":
      return rest === "run_rates" ? "/settings/run-rates" : "/settings/rates";
    case "demo":
      return "/";
    default:
      return null;
  }
}

/** The timeline as CSV (id, time, type, who, what, subject, details as JSON). */
export function timelineCsv(items: Activity[]): string {
  return toCsv([
    ["id", "when", "type", "who", "what", "subject", "details"],
    ...items.map((a) => [
      a.id,
      new Date(a.when).toISOString(),
      typeOf(a),
      a.who,
      a.what,
      a.subject,
      JSON.stringify(a.details),
    ]),
  ]);
}

/** The filter of an API request; a bad field is a 400 naming it. */
export function apiFilter(p: URLSearchParams): TimelineFilter {
  const r = TimelineFilterSchema.safeParse(
    Object.fromEntries([...p.entries()].filter(([, v]) => v.trim() !== "")),
  );
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new BadRequestError(`${i.path.join(".")}: ${i.message}`, [
    { path: i.path.join("."), message: i.message },
  ]);
}
