/**
 * The timeline and analytics on a generated history of 100,000 events: every filter's pages
 * hold exactly the matching events, newest first, none twice, and the analytics counts agree.
 */
import { assert, assertEquals } from "@/tests/assert.ts";
import { analytics } from "@/lib/history/analytics.ts";
import { GEN_USERS, generatedEvent, generateHistory } from "@/lib/history/generate.ts";
import { ACTIVITY_TYPES, type ActivityQuery, queryActivity, words } from "@/lib/store/activity.ts";
import { setKv } from "@/lib/store/kv.ts";

const N = 100_000;
const START = Date.UTC(2025, 0, 1);
const DAYS = 365;

/** Ids the query should return, newest first, computed from the generator alone. */
function expected(q: ActivityQuery): string[] {
  const out: string[] = [];
  const ws = words(q.text ?? "");
  for (let i = N - 1; i >= 0; i--) {
    const a = generatedEvent(i, N, START, DAYS);
    if (q.type && a.type !== q.type) continue;
    if (q.who && a.who !== q.who) continue;
    if (q.since !== undefined && a.when < q.since) continue;
    if (q.until !== undefined && a.when > q.until) continue;
    const have = new Set([...words(`${a.who} ${a.what} ${a.subject}`), a.subject.toLowerCase()]);
    if (ws.some((w) => !have.has(w))) continue;
    out.push(a.id);
  }
  return out;
}

async function allPages(q: ActivityQuery): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const p = await queryActivity({ ...q, cursor, limit: 500 });
    ids.push(...p.items.map((a) => a.id));
    cursor = p.next ?? undefined;
    pages++;
  } while (cursor);
  return { ids, pages };
}

Deno.test({
  name: "[history] 100,000 events: filters and cursor pages return exactly the matching events",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const kv = await Deno.openKv(":memory:");
    setKv(kv);
    await generateHistory(N, { start: START, days: DAYS });
    const month = 30 * 86_400_000;
    const cases: [string, ActivityQuery][] = [
      ["type", { type: "run" }],
      ["user", { who: "dara" }],
      ["type + user", { type: "alias", who: "ana" }],
      ["time range", { since: START + 3 * month, until: START + 3 * month + 5 * 86_400_000 }],
      ["type + user + time", {
        type: "endpoint",
        who: "chen",
        since: START + month,
        until: START + 4 * month,
      }],
      ["words", { text: "alias ana" }],
      ["words + type", { text: "detector", type: "inference", since: START + 6 * month }],
    ];
    for (const [name, q] of cases) {
      await t.step(name, async () => {
        const want = expected(q);
        const got = await allPages(q);
        assertEquals(got.ids.length, want.length);
        assertEquals(got.ids, want);
        assertEquals(new Set(got.ids).size, got.ids.length);
      });
    }
    await t.step("first page of 50 is the 50 newest", async () => {
      const p = await queryActivity({ limit: 50 });
      assertEquals(p.items.map((a) => a.id), expected({}).slice(0, 50));
      assertEquals(p.index, "time");
    });
    await t.step("analytics count every event by type and user", async () => {
      const a = await analytics();
      assertEquals(a.events, N);
      const byType = a.charts.find((c) => c.id === "activity-by-type")!;
      for (const type of ACTIVITY_TYPES) {
        const i = byType.labels.indexOf(type);
        const want = Array.from({ length: N }, (_, k) =>
          k).filter((k) =>
            k % ACTIVITY_TYPES.length === ACTIVITY_TYPES.indexOf(type)
          ).length;
        assertEquals(byType.series[0].values[i], want, type);
      }
      const byUser = a.charts.find((c) => c.id === "activity-by-user")!;
      assertEquals(byUser.labels.length, GEN_USERS.length);
      assertEquals(byUser.series[0].values.reduce((s, v) => s! + v!, 0), N);
    });
    await t.step("analytics of a range with partial months at both ends", async () => {
      const since = Date.UTC(2025, 1, 10);
      const until = Date.UTC(2025, 4, 20) + 86_400_000 - 1;
      const a = await analytics({ since, until });
      assertEquals(a.events, expected({ since, until }).length);
      assert(a.events > 0);
    });
    kv.close();
  },
});
