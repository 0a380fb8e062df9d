import { EmptyState } from "@/components/EmptyState.tsx";
import { modelHref } from "@/components/registry/parts.tsx";
import { type CostEstimate, formatHours, formatMoney } from "@/lib/serving/cost.ts";
import type { Endpoint } from "@/lib/workspace/types.ts";
import { endpointHref, EndpointState, EntityState, sizeLabel } from "./parts.tsx";

/** Every endpoint with its state, served versions (state, size, traffic), URL, creator, cost. */
export function EndpointTable(
  { rows }: { rows: { endpoint: Endpoint; cost: CostEstimate }[] },
) {
  if (rows.length === 0) {
    return (
      <EmptyState title="No serving endpoints yet">
        Create one below from a registered model version.
      </EmptyState>
    );
  }
  const link = "text-blue-700 hover:underline";
  return (
    <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table class="w-full text-sm" aria-label="Endpoints">
        <thead class="bg-slate-50 text-left text-slate-600">
          <tr>
            <th class="px-3 py-2 font-medium">Endpoint</th>
            <th class="px-3 py-2 font-medium">State</th>
            <th class="px-3 py-2 font-medium">Served versions</th>
            <th class="px-3 py-2 font-medium">URL</th>
            <th class="px-3 py-2 font-medium">Creator</th>
            <th class="px-3 py-2 font-medium">Cost (estimate)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ endpoint: e, cost }) => (
            <tr key={e.name} class="border-t border-slate-100 align-top" data-endpoint={e.name}>
              <td class="px-3 py-2 font-mono text-xs">
                <a class={link} href={endpointHref(e.name)}>{e.name}</a>
              </td>
              <td class="px-3 py-2">
                <EndpointState e={e} />
              </td>
              <td class="px-3 py-2">
                <ul class="space-y-1">
                  {e.entities.map((s) => (
                    <li key={`${s.model}@${s.version}`} class="flex flex-wrap items-center gap-1">
                      <a class={`${link} font-mono text-xs`} href={modelHref(s.model, s.version)}>
                        {s.model} v{s.version}
                      </a>
                      <span class="tabular-nums font-medium">{s.trafficPercent ?? 100}%</span>
                      <EntityState s={s} />
                      <span class="text-xs text-slate-500">{sizeLabel(s)}</span>
                    </li>
                  ))}
                </ul>
              </td>
              <td class="px-3 py-2 font-mono text-xs break-all max-w-xs">{e.url ?? "—"}</td>
              <td class="px-3 py-2">{e.creator ?? "—"}</td>
              <td class="px-3 py-2 whitespace-nowrap text-xs">
                {cost.kind === "cpu"
                  ? `${formatHours(cost.cpuHours ?? 0)} CPU, no charge`
                  : `${formatMoney(cost.perHour, cost.currency)}/h${cost.upperBound ? " max" : ""}`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
