import { Page } from "@/components/Page.tsx";
import { HistoryNav } from "@/components/history/HistoryNav.tsx";
import { allRunFacts } from "@/lib/history/analytics.ts";
import {
  costsByUserMonth,
  type EndpointCost,
  endpointCosts,
  type UserMonth,
} from "@/lib/history/costs.ts";
import type { RunFacts } from "@/lib/history/runs.ts";
import { formatBytes } from "@/lib/format.ts";
import { formatHours, formatMoney } from "@/lib/serving/cost.ts";
import { preferencesFor } from "@/lib/store/preferences.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  runs: RunFacts[];
  endpoints: EndpointCost[];
  endpointError?: string;
  months: UserMonth[];
  currency: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const [facts, eps, prefs] = await Promise.all([
      allRunFacts(),
      endpointCosts(ctx.state.workspace),
      preferencesFor(ctx.state),
    ]);
    return ctx.render({
      runs: facts.slice(0, prefs.pageSize),
      endpoints: eps.rows,
      endpointError: eps.error,
      months: costsByUserMonth(facts, eps.rows),
      currency: eps.currency,
    });
  },
};

const TH = "px-2 py-1.5 text-left font-medium";
const TD = "px-2 py-1.5 tabular-nums";

/** What each run used, and the estimated cost of runs and endpoints per user and month. */
export default function UsagePage({ data }: PageProps<Data>) {
  const cur = data.currency;
  const est = (v: number | null) => (v === null ? "—" : `≈ ${formatMoney(v, cur)}`);
  return (
    <Page
      title="History"
      description="Resource usage per run and estimated cost. Every money figure is an estimate."
    >
      <HistoryNav active="usage" />
      <p class="mb-3 text-sm text-slate-600">
        Estimates from durations, node types and the rates in{" "}
        <a class="text-blue-700" href="/settings/run-rates">run cost rates</a> and{" "}
        <a class="text-blue-700" href="/settings/rates">endpoint cost rates</a>; not a bill. Local
        runs show CPU hours.
      </p>
      <h2 class="mb-2 font-semibold">Runs</h2>
      <div class="mb-6 overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table class="w-full text-sm" data-usage="runs">
          <thead class="bg-slate-50 text-slate-600">
            <tr>
              <th class={TH}>Run</th>
              <th class={TH}>Who</th>
              <th class={TH}>Status</th>
              <th class={TH}>Compute</th>
              <th class={TH}>Wall time</th>
              <th class={TH}>Queue</th>
              <th class={TH}>GPU·h</th>
              <th class={TH}>CPU·h</th>
              <th class={TH}>Peak memory</th>
              <th class={TH}>Images/s</th>
              <th class={TH}>DBU (est.)</th>
              <th class={TH}>Cost (est.)</th>
            </tr>
          </thead>
          <tbody>
            {data.runs.map((r) => (
              <tr key={r.id} class="border-t border-slate-100">
                <td class="px-2 py-1.5 max-w-[14rem] [overflow-wrap:anywhere]">
                  <a class="text-blue-700" href={`/training/${encodeURIComponent(r.id)}`}>
                    {r.name}
                  </a>
                </td>
                <td class={TD}>{r.createdBy}</td>
                <td class={TD}>{r.status}</td>
                <td class={TD}>
                  {r.compute === "local" ? "local" : `${r.nodes}× ${r.nodeType ?? "node"}`}
                </td>
                <td class={TD}>
                  {r.wallSeconds === null ? "—" : formatHours(r.wallSeconds / 3600)}
                </td>
                <td class={TD}>
                  {r.queueSeconds === null ? "—" : formatHours(r.queueSeconds / 3600)}
                </td>
                <td class={TD}>{r.gpuHours.toFixed(2)}</td>
                <td class={TD}>{r.compute === "local" ? r.cpuHours.toFixed(2) : "—"}</td>
                <td class={`${TD} whitespace-nowrap`}>{memory(r)}</td>
                <td class={TD}>{r.resources?.imagesPerSecond?.toFixed(1) ?? "—"}</td>
                <td class={TD}>{r.dbu === null ? "—" : `≈ ${r.dbu.toFixed(2)}`}</td>
                <td class={TD}>{est(r.cost)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 class="mb-2 font-semibold">Endpoints</h2>
      {data.endpointError && (
        <p role="alert" class="mb-2 text-sm text-red-700">
          Endpoints unavailable: {data.endpointError}
        </p>
      )}
      <div class="mb-6 overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table class="w-full text-sm" data-usage="endpoints">
          <thead class="bg-slate-50 text-slate-600">
            <tr>
              <th class={TH}>Endpoint</th>
              <th class={TH}>Owner</th>
              <th class={TH}>Up</th>
              <th class={TH}>Per month (est.)</th>
              <th class={TH}>So far (est.)</th>
            </tr>
          </thead>
          <tbody>
            {data.endpoints.map((e) => (
              <tr key={e.name} class="border-t border-slate-100">
                <td class="px-2 py-1.5">
                  <a class="text-blue-700" href={`/deployments/${encodeURIComponent(e.name)}`}>
                    {e.name}
                  </a>
                </td>
                <td class={TD}>{e.owner}</td>
                <td class={TD}>{formatHours(e.cost.hoursUp)}</td>
                <td class={TD}>{e.cost.kind === "cpu" ? "CPU only" : est(e.cost.perMonth)}</td>
                <td class={TD}>
                  {e.cost.kind === "cpu"
                    ? `${(e.cost.cpuHours ?? 0).toFixed(1)} CPU·h`
                    : est(e.cost.total)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 class="mb-2 font-semibold">Per user and month</h2>
      <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table class="w-full text-sm" data-usage="months">
          <thead class="bg-slate-50 text-slate-600">
            <tr>
              <th class={TH}>Month</th>
              <th class={TH}>User</th>
              <th class={TH}>Runs</th>
              <th class={TH}>GPU·h</th>
              <th class={TH}>CPU·h</th>
              <th class={TH}>Run DBU (est.)</th>
              <th class={TH}>Runs (est.)</th>
              <th class={TH}>Endpoints (est.)</th>
            </tr>
          </thead>
          <tbody>
            {data.months.map((m) => (
              <tr key={`${m.month}-${m.user}`} class="border-t border-slate-100">
                <td class={TD}>{m.month}</td>
                <td class={TD}>{m.user}</td>
                <td class={TD}>{m.runs}</td>
                <td class={TD}>{m.gpuHours.toFixed(2)}</td>
                <td class={TD}>{(m.cpuHours + m.endpointCpuHours).toFixed(2)}</td>
                <td class={TD}>≈ {m.dbu.toFixed(2)}</td>
                <td class={TD}>{est(m.money)}</td>
                <td class={TD}>{est(m.endpointMoney)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Page>
  );
}

/** Peak memory (the job reports MiB) in the app's size units. */
function memory(r: RunFacts): string {
  const res = r.resources;
  if (!res) return "—";
  const parts = [];
  const mib = (v: number) => formatBytes(v * 1024 * 1024);
  if (res.peakGpuMemMb !== undefined) parts.push(`GPU ${mib(res.peakGpuMemMb)}`);
  if (res.peakCpuMemMb !== undefined) parts.push(`CPU ${mib(res.peakCpuMemMb)}`);
  return parts.join(" · ") || "—";
}
