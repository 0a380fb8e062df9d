import { Fragment } from "preact";
import { formatDuration, primaryMetric, type RunRecord } from "@/lib/training/types.ts";
import { StatusBadge } from "./StatusBadge.tsx";

function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

/** Rows of runs: status, config + version, model, compute, start, duration, primary metric. */
export function RunsTable({ runs, now }: { runs: RunRecord[]; now: number }) {
  return (
    <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table class="min-w-full text-sm">
        <thead class="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th class="px-3 py-2">Run</th>
            <th class="px-3 py-2">Status</th>
            <th class="px-3 py-2">Config</th>
            <th class="px-3 py-2">Model</th>
            <th class="px-3 py-2">Compute</th>
            <th class="px-3 py-2">Started (UTC)</th>
            <th class="px-3 py-2">Duration</th>
            <th class="px-3 py-2 text-right">Primary metric</th>
          </tr>
        </thead>
        <tbody class="divide-y divide-slate-100">
          {runs.map((r) => {
            const pm = primaryMetric(r);
            const start = r.startedAt ?? r.createdAt;
            const end = r.endedAt ?? now;
            return (
              <tr key={r.id} data-run={r.id} class="hover:bg-slate-50">
                <td class="px-3 py-2 min-w-[10rem] max-w-[16rem]">
                  <a
                    class="font-medium text-sky-700 hover:underline [overflow-wrap:anywhere]"
                    href={`/training/${r.id}`}
                  >
                    {r.name}
                  </a>
                  <div class="font-mono text-xs text-slate-400 whitespace-nowrap">{r.id}</div>
                  {r.status === "succeeded" && (
                    <a
                      class="text-xs text-sky-700 hover:underline"
                      href={`/evaluation?runs=${encodeURIComponent(r.id)}`}
                    >
                      Evaluate
                    </a>
                  )}
                </td>
                <td class="px-3 py-2">
                  <StatusBadge status={r.status} phase={r.phase} />
                  {r.stale && <div class="text-xs text-amber-700">workspace not answering</div>}
                </td>
                <td class="px-3 py-2 min-w-[6rem] [overflow-wrap:anywhere]">
                  {r.config.name} v{r.config.version}
                </td>
                <td class="px-3 py-2 font-mono text-xs [overflow-wrap:anywhere] min-w-[9rem] max-w-[14rem]">
                  {/* line breaks after "/" or "_", not inside a word */}
                  {r.config.model.split(/(?<=[/_])/).map((part, i) => (
                    <Fragment key={i}>
                      {part}
                      <wbr />
                    </Fragment>
                  ))}
                </td>
                <td class="px-3 py-2">
                  {r.compute.kind === "local" ? "local" : `Databricks · ${r.distribution}`}
                </td>
                <td class="px-3 py-2 tabular-nums whitespace-nowrap">{when(start)}</td>
                <td class="px-3 py-2 tabular-nums whitespace-nowrap">
                  {formatDuration((end - start) / 1000)}
                </td>
                <td class="px-3 py-2 text-right tabular-nums">
                  {pm.value === null ? "—" : (
                    <span title={pm.name}>
                      {pm.value.toFixed(4)}
                      <span class="block text-xs text-slate-400">{pm.name}</span>
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
