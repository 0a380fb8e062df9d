/**
 * Pipeline analytics: runs by status and week, success rate, durations and queue times, the
 * best validation metric per task over time, most-used models and tasks, activity by type and
 * user. Runs come from the run records; activity counts from the per-day counters the activity
 * log keeps, so nothing here reads the events themselves.
 */
import { activityStats } from "@/lib/store/activity.ts";
import { getRunRates } from "@/lib/store/rates.ts";
import { RUN_STATUSES } from "@/lib/training/types.ts";
import { allRunFacts as runsFacts, type RunFacts } from "./runs.ts";

/** A chart with the numbers it draws: `labels` × `series` is also its table and CSV. */
export interface HistoryChart {
  id: string;
  title: string;
  kind: "bar" | "line";
  labels: string[];
  series: { label: string; values: (number | null)[] }[];
  /** Unit of the values, shown in the table header. */
  unit?: string;
  caption?: string;
}

/** A time range in epoch ms (inclusive); both ends optional. */
export interface Range {
  since?: number;
  until?: number;
}

/** Everything the analytics page shows. */
export interface Analytics {
  runs: number;
  byStatus: Record<string, number>;
  /** Succeeded ÷ finished (succeeded + failed + cancelled); null with none finished. */
  successRate: number | null;
  medianWallSeconds: number | null;
  medianQueueSeconds: number | null;
  events: number;
  charts: HistoryChart[];
}

/** The Monday (UTC) of the week holding `ms`, as YYYY-MM-DD. */
export function weekOf(ms: number): string {
  const d = new Date(ms);
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - back))
    .toISOString().slice(0, 10);
}

const inRange = (ms: number, r: Range) =>
  (r.since === undefined || ms >= r.since) && (r.until === undefined || ms <= r.until);
const dayStr = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Every run's facts with the run rates in force, newest first. */
export async function allRunFacts(now = Date.now()): Promise<RunFacts[]> {
  return await runsFacts(await getRunRates(), now);
}

/** Analytics for runs launched and events written in `range`. */
export async function analytics(range: Range = {}): Promise<Analytics> {
  const [facts, stats] = await Promise.all([
    allRunFacts(),
    activityStats(
      range.since !== undefined ? dayStr(range.since) : undefined,
      range.until !== undefined ? dayStr(range.until) : undefined,
    ),
  ]);
  return summarize(facts.filter((f) => inRange(f.createdAt, range)), stats);
}

/** The analytics of given runs and activity counters (pure: tests and the bench call it). */
export function summarize(
  runs: RunFacts[],
  stats: { dim: "t" | "u"; key: string; count: number }[],
): Analytics {
  const byStatus = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<string, number>;
  for (const r of runs) byStatus[r.status]++;
  const finished = byStatus.succeeded + byStatus.failed + byStatus.cancelled;
  const weeks = new Map<string, Record<string, number>>();
  for (const r of runs) {
    const w = weekOf(r.createdAt);
    const row = weeks.get(w) ?? {};
    row[r.status] = (row[r.status] ?? 0) + 1;
    weeks.set(w, row);
  }
  const weekLabels = [...weeks.keys()].sort();
  const shown = ["succeeded", "failed", "cancelled", "running", "queued"];
  const walls = runs.flatMap((r) =>
    r.wallSeconds !== null && r.status !== "running" ? [r.wallSeconds] : []
  );
  const queues = runs.flatMap((r) => (r.queueSeconds !== null ? [r.queueSeconds] : []));

  // Best validation metric per task and week (higher is better, except losses).
  const trend = new Map<string, Map<string, number>>();
  for (const r of runs) {
    const v = r.metric.value;
    if (v === null || !Number.isFinite(v)) continue;
    const key = `${r.task} (${r.metric.name})`;
    const m = trend.get(key) ?? new Map<string, number>();
    const w = weekOf(r.createdAt);
    const lower = /loss/.test(r.metric.name);
    const cur = m.get(w);
    if (cur === undefined || (lower ? v < cur : v > cur)) m.set(w, v);
    trend.set(key, m);
  }
  const trendWeeks = [...new Set([...trend.values()].flatMap((m) => [...m.keys()]))].sort();

  const count = (keyOf: (r: RunFacts) => string) => {
    const m = new Map<string, number>();
    for (const r of runs) m.set(keyOf(r), (m.get(keyOf(r)) ?? 0) + 1);
    return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10);
  };
  const sumStats = (dim: "t" | "u") => {
    const m = new Map<string, number>();
    for (const s of stats) if (s.dim === dim) m.set(s.key, (m.get(s.key) ?? 0) + s.count);
    return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  };
  const byType = sumStats("t");
  const byUser = sumStats("u").slice(0, 15);
  const bar = (id: string, title: string, rows: [string, number][], unit?: string) => ({
    id,
    title,
    kind: "bar" as const,
    labels: rows.map((r) => r[0]),
    series: [{ label: title, values: rows.map((r) => r[1]) }],
    unit,
  });
  const buckets = [60, 300, 900, 3600, 4 * 3600, 12 * 3600, Infinity];
  const bucketNames = ["< 1 min", "1–5 min", "5–15 min", "15–60 min", "1–4 h", "4–12 h", "> 12 h"];
  const hist = (xs: number[]) =>
    buckets.map((b, i) => xs.filter((x) => x < b && x >= (buckets[i - 1] ?? 0)).length);
  const charts: HistoryChart[] = [
    bar("runs-by-status", "Runs by status", RUN_STATUSES.map((s) => [s, byStatus[s]])),
    {
      id: "runs-by-week",
      title: "Runs by week",
      kind: "line",
      labels: weekLabels,
      series: shown.map((s) => ({
        label: s,
        values: weekLabels.map((w) => weeks.get(w)![s] ?? 0),
      })),
      caption: "Week starting (Monday, UTC).",
    },
    {
      id: "success-rate-by-week",
      title: "Success rate by week",
      kind: "line",
      labels: weekLabels,
      unit: "%",
      series: [{
        label: "succeeded ÷ finished",
        values: weekLabels.map((w) => {
          const r = weeks.get(w)!;
          const f = (r.succeeded ?? 0) + (r.failed ?? 0) + (r.cancelled ?? 0);
          return f ? Math.round((1000 * (r.succeeded ?? 0)) / f) / 10 : null;
        }),
      }],
    },
    {
      id: "durations",
      title: "Run durations and queue times",
      kind: "bar",
      labels: bucketNames,
      series: [{ label: "run time", values: hist(walls) }, {
        label: "queue time",
        values: hist(queues),
      }],
      unit: "runs",
    },
    {
      id: "metric-trend",
      title: "Best validation metric per task",
      kind: "line",
      labels: trendWeeks,
      series: [...trend.entries()].map(([k, m]) => ({
        label: k,
        values: trendWeeks.map((w) => m.get(w) ?? null),
      })),
      caption: "Best value of each task's primary metric among runs launched that week.",
    },
    bar("top-models", "Most-used models", count((r) => r.model), "runs"),
    bar("top-tasks", "Most-used tasks", count((r) => r.task), "runs"),
    bar("activity-by-type", "Activity by type", byType, "events"),
    bar("activity-by-user", "Activity by user", byUser, "events"),
  ];
  return {
    runs: runs.length,
    byStatus,
    successRate: finished ? byStatus.succeeded / finished : null,
    medianWallSeconds: median(walls),
    medianQueueSeconds: median(queues),
    events: byType.reduce((a, [, n]) => a + n, 0),
    charts,
  };
}

/** A chart's numbers as CSV rows, header first. */
export function chartRows(c: HistoryChart): (string | number)[][] {
  return [
    [c.kind === "line" ? "label" : "category", ...c.series.map((s) => s.label)],
    ...c.labels.map((l, i) => [l, ...c.series.map((s) => s.values[i] ?? "")]),
  ];
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
