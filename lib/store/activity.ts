/**
 * The activity log: who did what, when, to which subject. Every feature appends to it and the
 * History page reads it newest first, filtered through secondary indexes (never a full scan).
 *
 * Keys (ids sort by time, so every index is also a time index):
 * - ["activity", id] → Activity
 * - ["activity_ix", "t", type, id] · ["activity_ix", "u", who, id] · ["activity_ix", "tu", type,
 *   who, id] · ["activity_ix", "w", word, id] → 0 (references; the entry is read by id)
 * - ["activity_stats", "d"|"m", day|month, "t"|"u", type|who] → KvU64 (events per UTC day and
 *   month, for analytics)
 * - ["activity_wc", word] → KvU64 (how many events hold a word: the text filter walks the rarest)
 * - ["activity_meta", "index"] → 1 once entries written before the indexes existed are indexed
 */
import { z } from "zod";
import { getKv } from "./kv.ts";

/** The kinds of action the timeline filters by. */
export const ACTIVITY_TYPES = [
  "config",
  "scan",
  "run",
  "evaluation",
  "report",
  "model",
  "alias",
  "endpoint",
  "batch",
  "inference",
  "settings",
  "demo",
  "other",
] as const;
export type ActivityType = typeof ACTIVITY_TYPES[number];

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
  /** Set on write; entries from before it existed get it from `activityType`. */
  type: z.enum(ACTIVITY_TYPES).optional(),
});
export type Activity = z.infer<typeof ActivitySchema>;

const PREFIX = ["activity"];
const IX = "activity_ix";
const STATS = "activity_stats";
const WORD_COUNT = "activity_wc";
const META_KEY = ["activity_meta", "index"];
/** Index key parts are clipped so a long name can never make a key too large. */
const MAX_PART = 200;
const MAX_WORDS = 24;
/** Entries one filtered page may examine before it returns what it has (with a cursor). */
const SCAN_BUDGET = 3000;

let lastMs = 0;
let seq = 0;

/**
 * Sortable id: time first, then a per-process counter (so entries written in the same
 * millisecond keep their order), then randomness so other processes' entries stay distinct.
 */
function activityId(now: number): string {
  seq = now === lastMs ? (seq + 1) & 0xffff : 0;
  lastMs = now;
  return idFloor(now) + "-" + seq.toString(16).padStart(4, "0") +
    crypto.randomUUID().slice(0, 4);
}

/** The smallest id an entry written at `ms` can have (ids compare as strings). */
export function idFloor(ms: number): string {
  return Math.max(0, Math.floor(ms)).toString(36).padStart(9, "0");
}

/** An entry's type from its verb and subject (for entries written without one). */
export function activityType(what: string, subject: string): ActivityType {
  const w = what.toLowerCase();
  if (/alias/.test(w)) return "alias";
  if (/report/.test(w) || subject.startsWith("report:")) return "report";
  const head = subject.split(":")[0];
  const bySubject: Record<string, ActivityType> = {
    config: "config",
    dataset: "scan",
    run: "run",
    evaluation: "evaluation",
    eval: "evaluation",
    model: "model",
    registration: "model",
    endpoint: "endpoint",
    batch: "batch",
    inference: "inference",
    playground: "inference",
    settings: "settings",
    demo: "demo",
  };
  return bySubject[head] ?? (/evaluat/.test(w) ? "evaluation" : "other");
}

/** The entry's type, stored or derived. */
export function typeOf(a: Activity): ActivityType {
  return a.type ?? activityType(a.what, a.subject);
}

/** Lower-case words of a text (the text filter matches whole words). */
export function words(text: string): string[] {
  return [...new Set(text.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter(Boolean))]
    .map((w) => w.slice(0, 64));
}

/** The words an entry is found by: those of who/what/subject, and the whole who and subject. */
function entryWords(a: Activity): string[] {
  const all = new Set([
    ...words(`${a.who} ${a.what} ${a.subject}`),
    a.who.toLowerCase().slice(0, MAX_PART),
    a.subject.toLowerCase().slice(0, MAX_PART),
  ]);
  return [...all].filter(Boolean).slice(0, MAX_WORDS);
}

const clip = (s: string) => s.slice(0, MAX_PART);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Subtracting from a KvU64 sum wraps modulo 2^64, which is how a counter goes down. */
const u64 = (n: number) => (n >= 0 ? BigInt(n) : (1n << 64n) + BigInt(n));

/** The index references and counters of one entry. */
function indexKeys(a: Activity): { refs: Deno.KvKey[]; counters: Deno.KvKey[] } {
  const t = typeOf(a);
  const who = clip(a.who);
  const ws = entryWords(a);
  const d = day(a.when);
  return {
    refs: [
      [IX, "t", t, a.id],
      [IX, "u", who, a.id],
      [IX, "tu", t, who, a.id],
      ...ws.map((w) => [IX, "w", w, a.id]),
    ],
    counters: [
      [STATS, "d", d, "t", t],
      [STATS, "d", d, "u", who],
      [STATS, "m", d.slice(0, 7), "t", t],
      [STATS, "m", d.slice(0, 7), "u", who],
      ...ws.map((w) => [WORD_COUNT, w]),
    ],
  };
}

/**
 * Every index and counter mutation of some entries (`sign` -1 removes them); counters shared
 * by several entries are summed once.
 */
function indexOps(
  op: Deno.AtomicOperation,
  entries: Activity | Activity[],
  sign: 1 | -1,
): Deno.AtomicOperation {
  const sums = new Map<string, { key: Deno.KvKey; n: number }>();
  for (const a of Array.isArray(entries) ? entries : [entries]) {
    const { refs, counters } = indexKeys(a);
    for (const k of refs) sign > 0 ? op.set(k, 0) : op.delete(k);
    for (const k of counters) {
      const id = JSON.stringify(k);
      const cur = sums.get(id) ?? { key: k, n: 0 };
      cur.n += sign;
      sums.set(id, cur);
    }
  }
  for (const { key, n } of sums.values()) op.sum(key, u64(n));
  return op;
}

/**
 * Stores a complete entry with its indexes unless its id exists; true when it was added.
 * (Import uses it too, so a re-imported event is skipped, never overwritten.)
 */
export async function insertActivity(full: Activity): Promise<boolean> {
  const kv = await getKv();
  const a = { ...full, type: typeOf(full) };
  const op = kv.atomic().check({ key: [...PREFIX, a.id], versionstamp: null }).set(
    [...PREFIX, a.id],
    a,
  );
  return (await indexOps(op, a, 1).commit()).ok;
}

/**
 * Stores many new entries (import, generated histories): one atomic write per 20 entries; a
 * batch holding an id that exists falls back to one by one. Returns how many were added.
 */
export async function insertActivities(entries: Activity[]): Promise<number> {
  const kv = await getKv();
  let added = 0;
  for (let i = 0; i < entries.length; i += 20) {
    const batch = entries.slice(i, i + 20).map((e) => ({ ...e, type: typeOf(e) }));
    const op = kv.atomic();
    for (const a of batch) {
      op.check({ key: [...PREFIX, a.id], versionstamp: null }).set([...PREFIX, a.id], a);
    }
    indexOps(op, batch, 1);
    if ((await op.commit()).ok) added += batch.length;
    else for (const a of batch) if (await insertActivity(a)) added++;
  }
  return added;
}

/** Appends an entry; returns it. `type` is derived from `what`/`subject` when not given. */
export async function logActivity(
  entry: Omit<Activity, "id" | "when" | "details" | "type"> & {
    details?: Record<string, unknown>;
    type?: ActivityType;
  },
): Promise<Activity> {
  const when = Date.now();
  const parsed = ActivitySchema.parse({ ...entry, id: activityId(when), when });
  const full = { ...parsed, type: typeOf(parsed) };
  await ensureIndexed();
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await insertActivity(full)) return full;
    full.id = activityId(Date.now());
  }
  throw new Error("could not store the activity entry");
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

/** A timeline filter; every field is optional. Times are epoch milliseconds, inclusive. */
export interface ActivityQuery {
  type?: ActivityType;
  who?: string;
  since?: number;
  until?: number;
  /** Whole words, all of which must appear in who/what/subject. */
  text?: string;
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** One page of the timeline. */
export interface ActivityPage {
  items: Activity[];
  /** Cursor of the next page, null at the end. */
  next: string | null;
  /** Which index answered (for the bench and tests). */
  index: "time" | "type" | "user" | "type+user" | "word";
  /** Entries read to build the page. */
  examined: number;
}

/**
 * One page of entries matching `q`, newest first. The most selective index is walked over the
 * time range; the other conditions are checked on what it yields, at most SCAN_BUDGET entries
 * a page (a page may then hold fewer than `limit` items but still has a `next`).
 */
export async function queryActivity(q: ActivityQuery = {}): Promise<ActivityPage> {
  const kv = await getKv();
  await ensureIndexed();
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
  const ws = words(q.text ?? "");
  const who = q.who ? clip(q.who) : undefined;
  let prefix: Deno.KvKey;
  let index: ActivityPage["index"];
  if (ws.length) {
    const counts = await kv.getMany<Deno.KvU64[]>(ws.slice(0, 10).map((w) => [WORD_COUNT, w]));
    const n = counts.map((c) => Number(c.value?.value ?? 0n));
    if (n.some((x) => x === 0)) return { items: [], next: null, index: "word", examined: 0 };
    const rarest = ws[n.indexOf(Math.min(...n))];
    prefix = [IX, "w", rarest];
    index = "word";
  } else if (q.type && who) [prefix, index] = [[IX, "tu", q.type, who], "type+user"];
  else if (q.type) [prefix, index] = [[IX, "t", q.type], "type"];
  else if (who) [prefix, index] = [[IX, "u", who], "user"];
  else [prefix, index] = [PREFIX, "time"];

  const upper = q.until !== undefined ? idFloor(q.until + 1) : "~";
  const end = q.cursor && q.cursor < upper ? q.cursor : upper;
  const start = idFloor(q.since ?? 0);
  const selector = { start: [...prefix, start], end: [...prefix, end] };
  const keep = (a: Activity) =>
    (!q.type || typeOf(a) === q.type) && (!who || clip(a.who) === who) &&
    (ws.length === 0 || ws.every((w) => entryWords(a).includes(w)));

  const items: Activity[] = [];
  let examined = 0;
  let lastId: string | null = null;
  let exhausted = true;
  const iter = kv.list(selector, { reverse: true, batchSize: Math.min(limit * 2, 500) });
  let ids: string[] = [];
  const flush = async () => {
    for (let i = 0; i < ids.length; i += 10) {
      const got = await kv.getMany(ids.slice(i, i + 10).map((id) => [...PREFIX, id]));
      for (const e of got) {
        const a = ActivitySchema.safeParse(e.value);
        if (a.success && keep(a.data)) items.push(a.data);
      }
    }
    ids = [];
  };
  for await (const e of iter) {
    const id = e.key[e.key.length - 1] as string;
    examined++;
    lastId = id;
    if (prefix === PREFIX) {
      const a = ActivitySchema.safeParse(e.value);
      if (a.success && keep(a.data)) items.push(a.data);
    } else if (index === "word") {
      ids.push(id);
      if (ids.length >= 50) await flush();
    } else {
      ids.push(id); // exact index: every reference matches
      if (items.length + ids.length >= limit) await flush();
    }
    if (items.length >= limit || examined >= SCAN_BUDGET) {
      exhausted = false;
      break;
    }
  }
  await flush();
  const page = items.slice(0, limit);
  const next = !exhausted && lastId
    ? (page.length === limit ? page[page.length - 1].id : lastId)
    : null;
  return { items: page, next, index, examined };
}

/** One counter of the activity statistics. */
export interface ActivityStat {
  /** YYYY-MM-DD, or YYYY-MM for a whole month. */
  period: string;
  dim: "t" | "u";
  key: string;
  count: number;
}

/**
 * Event counts by type ("t") and user ("u") between two days (`YYYY-MM-DD`, inclusive): whole
 * months from the monthly counters, the partial months at either end from the daily ones.
 */
export async function activityStats(fromDay?: string, toDay?: string): Promise<ActivityStat[]> {
  const kv = await getKv();
  await ensureIndexed();
  const out: ActivityStat[] = [];
  const read = async (kind: "d" | "m", from: string, to: string) => {
    const selector = { start: [STATS, kind, from], end: [STATS, kind, to + "~"] };
    for await (const e of kv.list<Deno.KvU64>(selector)) {
      const count = Number(e.value.value);
      if (count > 0 && count < 2 ** 53) {
        out.push({
          period: e.key[2] as string,
          dim: e.key[3] as "t" | "u",
          key: e.key[4] as string,
          count,
        });
      }
    }
  };
  const from = fromDay ?? "0000-01-01";
  const to = toDay ?? "9999-12-31";
  const firstFull = from.endsWith("-01") ? from.slice(0, 7) : nextMonth(from.slice(0, 7));
  const lastFull = isLastDay(to) ? to.slice(0, 7) : prevMonth(to.slice(0, 7));
  if (firstFull > lastFull) {
    await read("d", from, to);
    return out;
  }
  await read("m", firstFull, lastFull);
  if (from < firstFull) await read("d", from, `${prevMonth(firstFull)}-31`);
  if (to.slice(0, 7) > lastFull) await read("d", `${nextMonth(lastFull)}-01`, to);
  return out;
}

function nextMonth(m: string): string {
  const [y, mo] = m.split("-").map(Number);
  return mo === 12
    ? `${String(y + 1).padStart(4, "0")}-01`
    : `${m.slice(0, 4)}-${String(mo + 1).padStart(2, "0")}`;
}

function prevMonth(m: string): string {
  const [y, mo] = m.split("-").map(Number);
  return mo === 1
    ? `${String(y - 1).padStart(4, "0")}-12`
    : `${m.slice(0, 4)}-${String(mo - 1).padStart(2, "0")}`;
}

function isLastDay(d: string): boolean {
  if (d.startsWith("9999")) return true;
  const t = Date.parse(`${d}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t + 86_400_000).getUTCDate() === 1;
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

/** Deletes entries written before `before` (ms) with their indexes; returns how many. */
export async function pruneActivity(before: number): Promise<number> {
  const kv = await getKv();
  await ensureIndexed();
  let removed = 0;
  for (;;) {
    const batch: Deno.KvEntry<unknown>[] = [];
    for await (const e of kv.list({ start: [...PREFIX, ""], end: [...PREFIX, idFloor(before)] })) {
      batch.push(e);
      if (batch.length >= 20) break;
    }
    if (batch.length === 0) return removed;
    const op = kv.atomic();
    const gone: Activity[] = [];
    for (const e of batch) {
      op.check(e).delete(e.key);
      const a = ActivitySchema.safeParse(e.value);
      if (a.success) gone.push(a.data);
    }
    indexOps(op, gone, -1);
    if ((await op.commit()).ok) removed += batch.length;
  }
}

let indexing: Promise<void> | null = null;

/**
 * Indexes entries written before the indexes existed (once per data dir; idempotent: an entry
 * whose type reference exists is skipped, so concurrent writers never count twice).
 */
export function ensureIndexed(): Promise<void> {
  indexing ??= (async () => {
    const kv = await getKv();
    if ((await kv.get(META_KEY)).value === 1) return;
    let batch: Activity[] = [];
    const run = async () => {
      const refs = await kv.getMany(batch.map((a) => [IX, "t", typeOf(a), a.id]));
      const op = kv.atomic();
      const todo = batch.filter((_, i) => refs[i].versionstamp === null);
      batch.forEach((a, i) => {
        if (refs[i].versionstamp !== null) return;
        op.check(refs[i]);
        if (!a.type) op.set([...PREFIX, a.id], { ...a, type: typeOf(a) });
      });
      indexOps(op, todo, 1);
      await op.commit();
      batch = [];
    };
    for await (const e of kv.list({ prefix: PREFIX })) {
      const a = ActivitySchema.safeParse(e.value);
      if (a.success) batch.push(a.data);
      if (batch.length >= 10) await run();
    }
    if (batch.length) await run();
    await kv.set(META_KEY, 1);
  })().catch((e) => {
    indexing = null;
    throw e;
  });
  return indexing;
}

/** Forgets the per-process "already indexed" answer (tests that swap the KV store). */
export function resetActivityIndexState(): void {
  indexing = null;
}
