/**
 * History at 100,000 events: server time of timeline pages (no filter, by type, type + user +
 * time range, by word, a deep page through the cursor) and of the analytics, each against a
 * full scan of the log done in the same run (what /history did before the indexes).
 * Target: every indexed page under 150 ms.
 */
import { analytics, summarize } from "@/lib/history/analytics.ts";
import { generateHistory, generateRuns } from "@/lib/history/generate.ts";
import { runFacts } from "@/lib/history/runs.ts";
import {
  type Activity,
  type ActivityQuery,
  ActivitySchema,
  queryActivity,
  typeOf,
  words,
} from "@/lib/store/activity.ts";
import { getKv, setKv } from "@/lib/store/kv.ts";
import { DEFAULT_RUN_RATES } from "@/lib/store/rates.ts";

const N = Number(Deno.env.get("HISTORY_BENCH_EVENTS") ?? 100_000);
const RUNS = 2_000;
const TARGET_MS = 150;

/** The page a query gets by reading every event (the baseline). */
async function fullScan(q: ActivityQuery, skip = 0): Promise<Activity[]> {
  const kv = await getKv();
  const out: Activity[] = [];
  const ws = words(q.text ?? "");
  for await (const e of kv.list({ prefix: ["activity"] }, { reverse: true })) {
    const a = ActivitySchema.parse(e.value);
    if (q.type && typeOf(a) !== q.type) continue;
    if (q.who && a.who !== q.who) continue;
    if (q.since !== undefined && a.when < q.since) continue;
    if (q.until !== undefined && a.when > q.until) continue;
    const hay = `${a.who} ${a.what} ${a.subject}`.toLowerCase();
    if (ws.some((w) => !hay.includes(w))) continue;
    out.push(a);
  }
  return out.slice(skip, skip + (q.limit ?? 50));
}

async function fullScanAnalytics() {
  const kv = await getKv();
  const stats = new Map<string, { dim: "t" | "u"; key: string; count: number }>();
  for await (const e of kv.list({ prefix: ["activity"] })) {
    const a = ActivitySchema.parse(e.value);
    for (const [dim, key] of [["t", typeOf(a)], ["u", a.who]] as const) {
      const s = stats.get(dim + key) ?? { dim, key, count: 0 };
      s.count++;
      stats.set(dim + key, s);
    }
  }
  const runs = [];
  for await (const e of kv.list({ prefix: ["training", "run"] })) {
    runs.push(runFacts(e.value as never, DEFAULT_RUN_RATES));
  }
  return summarize(runs, [...stats.values()]);
}

async function time<T>(f: () => Promise<T>, reps = 5): Promise<{ ms: number; out: T }> {
  let out!: T;
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    out = await f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { ms: ts[Math.floor(ts.length / 2)], out };
}

/** Entry point used by bench/main.ts. */
export async function run(): Promise<void> {
  setKv(await Deno.openKv(":memory:"));
  const t0 = performance.now();
  const { start } = await generateHistory(N);
  await generateRuns(RUNS);
  console.log(
    `generated ${N.toLocaleString("en-US")} events and ${RUNS} runs in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s`,
  );
  const month = 30 * 86_400_000;
  const cases: [string, ActivityQuery][] = [
    ["newest page (50)", { limit: 50 }],
    ["type = run", { type: "run", limit: 50 }],
    ["type + user + 1 month", {
      type: "endpoint",
      who: "chen",
      since: start + 5 * month,
      until: start + 6 * month,
      limit: 50,
    }],
    ["words 'alias ana'", { text: "alias ana", limit: 50 }],
    ["1 month, no type", { since: start + 2 * month, until: start + 3 * month, limit: 50 }],
  ];
  console.log("page                        indexed ms   full scan ms   same rows");
  let worst = 0;
  for (const [name, q] of cases) {
    const ix = await time(() => queryActivity(q));
    const fs = await time(() => fullScan(q), 3);
    const same = ix.out.items.map((a) => a.id).join() === fs.out.map((a) => a.id).join();
    worst = Math.max(worst, ix.ms);
    console.log(
      `${name.padEnd(28)}${ix.ms.toFixed(1).padStart(10)}${
        fs.ms.toFixed(1).padStart(15)
      }   ${same}`,
    );
  }
  // Page 21 of type=run: 20 cursor hops first, then the timed page.
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    cursor = (await queryActivity({ type: "run", cursor })).next ?? undefined;
  }
  const deep = await time(() => queryActivity({ type: "run", cursor }));
  const deepFs = await time(() => fullScan({ type: "run" }, 1000), 3);
  worst = Math.max(worst, deep.ms);
  console.log(
    `${"type = run, page 21".padEnd(28)}${deep.ms.toFixed(1).padStart(10)}${
      deepFs.ms.toFixed(1).padStart(15)
    }   ${deep.out.items.map((a) => a.id).join() === deepFs.out.map((a) => a.id).join()}`,
  );
  const an = await time(() => analytics(), 3);
  const anFs = await time(() => fullScanAnalytics(), 3);
  worst = Math.max(worst, an.ms);
  console.log(
    `${"analytics (all time)".padEnd(28)}${an.ms.toFixed(1).padStart(10)}${
      anFs.ms.toFixed(1).padStart(15)
    }   ${an.out.events === anFs.out.events && an.out.runs === anFs.out.runs}`,
  );
  console.log(
    `slowest indexed page ${worst.toFixed(1)} ms — target < ${TARGET_MS} ms: ${
      worst < TARGET_MS ? "met" : "NOT met"
    }`,
  );
}
