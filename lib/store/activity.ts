/**
 * The activity log: who did what, when, to which subject. Every feature appends to it and the
 * History page reads it newest first.
 */
import { z } from "zod";
import { getKv } from "./kv.ts";

/** One entry of the activity log. */
export const ActivitySchema = z.object({
  id: z.string(),
  who: z.string(),
  /** A verb phrase: "saved config", "launched run", ... */
  what: z.string(),
  /** epoch milliseconds */
  when: z.number(),
  /** What it was done to, e.g. `config:detection-demo@v3`. */
  subject: z.string(),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type Activity = z.infer<typeof ActivitySchema>;

const PREFIX = ["activity"];

let lastMs = 0;
let seq = 0;

/**
 * Sortable id: time first, then a per-process counter (so entries written in the same
 * millisecond keep their order), then randomness so other processes' entries stay distinct.
 */
function activityId(now: number): string {
  seq = now === lastMs ? (seq + 1) & 0xffff : 0;
  lastMs = now;
  return now.toString(36).padStart(9, "0") + "-" + seq.toString(16).padStart(4, "0") +
    crypto.randomUUID().slice(0, 4);
}

/** Appends an entry; returns it. */
export async function logActivity(
  entry: Omit<Activity, "id" | "when" | "details"> & { details?: Record<string, unknown> },
): Promise<Activity> {
  const kv = await getKv();
  const when = Date.now();
  const full = ActivitySchema.parse({ ...entry, id: activityId(when), when });
  await kv.set([...PREFIX, full.id], full);
  return full;
}

/** Newest entries first, optionally only those whose subject starts with `subjectPrefix`. */
export async function listActivity(
  opts: { limit?: number; subjectPrefix?: string } = {},
): Promise<Activity[]> {
  const kv = await getKv();
  const out: Activity[] = [];
  const limit = opts.limit ?? 100;
  for await (const e of kv.list({ prefix: PREFIX }, { reverse: true })) {
    const a = ActivitySchema.safeParse(e.value);
    if (!a.success) continue;
    if (opts.subjectPrefix && !a.data.subject.startsWith(opts.subjectPrefix)) continue;
    out.push(a.data);
    if (out.length >= limit) break;
  }
  return out;
}

/** One entry by id, or null. */
export async function getActivity(id: string): Promise<Activity | null> {
  if (!/^[0-9a-z]{1,12}-[0-9a-f]{8}$/.test(id)) return null;
  const kv = await getKv();
  const e = await kv.get([...PREFIX, id]);
  const a = ActivitySchema.safeParse(e.value);
  return a.success ? a.data : null;
}

/** Merges `patch` into an entry's details (e.g. marking an alias move as undone). */
export async function updateActivityDetails(
  id: string,
  patch: Record<string, unknown>,
): Promise<void> {
  const kv = await getKv();
  for (let attempt = 0; attempt < 20; attempt++) {
    const e = await kv.get([...PREFIX, id]);
    const a = ActivitySchema.safeParse(e.value);
    if (!a.success) return;
    const next = { ...a.data, details: { ...a.data.details, ...patch } };
    if ((await kv.atomic().check(e).set([...PREFIX, id], next).commit()).ok) return;
  }
}
