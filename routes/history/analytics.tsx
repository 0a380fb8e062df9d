import { Page } from "@/components/Page.tsx";
import { HistoryNav } from "@/components/history/HistoryNav.tsx";
import HistoryCharts from "@/islands/HistoryCharts.tsx";
import { type Analytics, analytics } from "@/lib/history/analytics.ts";
import { apiFilter, parseTime } from "@/lib/history/timeline.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  a: Analytics;
  since?: string;
  until?: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const f = apiFilter(ctx.url.searchParams);
    const a = await analytics({
      since: f.since ? parseTime(f.since) : undefined,
      until: f.until ? parseTime(f.until, true) : undefined,
    });
    return ctx.render({ a, since: f.since, until: f.until });
  },
};

/** Pipeline analytics over a time range. */
export default function AnalyticsPage({ data }: PageProps<Data>) {
  const { a } = data;
  const pct = a.successRate === null ? "—" : `${(a.successRate * 100).toFixed(1)}%`;
  const mins = (s: number | null) => (s === null ? "—" : `${(s / 60).toFixed(1)} min`);
  return (
    <Page title="History" description="Runs, models and activity over time.">
      <HistoryNav active="analytics" />
      <form method="get" class="mb-4 flex items-end gap-2 text-xs text-slate-600">
        <label>
          From{" "}
          <input
            type="date"
            name="since"
            value={data.since ?? ""}
            class="block rounded-md border border-slate-300 px-2 py-1 text-sm"
          />
        </label>
        <label>
          To{" "}
          <input
            type="date"
            name="until"
            value={data.until ?? ""}
            class="block rounded-md border border-slate-300 px-2 py-1 text-sm"
          />
        </label>
        <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 text-sm text-white">
          Apply
        </button>
      </form>
      <dl class="mb-4 grid grid-cols-2 gap-2 text-sm sm:grid-cols-5" data-summary>
        <Stat label="Runs" value={String(a.runs)} />
        <Stat label="Success rate" value={pct} />
        <Stat label="Median run time" value={mins(a.medianWallSeconds)} />
        <Stat label="Median queue time" value={mins(a.medianQueueSeconds)} />
        <Stat label="Events" value={a.events.toLocaleString("en-US")} />
      </dl>
      <HistoryCharts charts={a.charts} />
    </Page>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div class="rounded border border-slate-200 bg-white px-2 py-1">
      <dt class="text-xs text-slate-500">{label}</dt>
      <dd class="font-semibold tabular-nums text-slate-900">{value}</dd>
    </div>
  );
}
