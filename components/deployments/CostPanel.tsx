import {
  type CostEstimate,
  formatHours,
  formatMoney,
  HOURS_PER_MONTH,
} from "@/lib/serving/cost.ts";

/** The cost estimate of one endpoint; every figure says it is an estimate. */
export function CostPanel({ cost }: { cost: CostEstimate }) {
  const c = cost;
  return (
    <section
      class="rounded-lg border border-slate-200 bg-white p-4 text-sm"
      aria-labelledby="cost-title"
      data-cost={c.kind}
    >
      <h2 id="cost-title" class="text-lg font-semibold text-slate-900 mb-1">Cost (estimate)</h2>
      {c.kind === "cpu"
        ? (
          <p>
            Up <strong>{formatHours(c.hoursUp)}</strong>, about{" "}
            <strong data-cpu-hours>{formatHours(c.cpuHours ?? 0)} of CPU</strong>{" "}
            (estimate{c.upperBound ? ", upper bound" : ""}). No money: this app serves it.
          </p>
        )
        : (
          <>
            <dl class="grid grid-cols-2 gap-y-1">
              <dt class="text-slate-500">Rate</dt>
              <dd>
                {c.dbuPerHour === null ? "—" : `${c.dbuPerHour.toFixed(2)} DBU/h`} ≈{" "}
                {formatMoney(c.perHour, c.currency)}/h (est.)
              </dd>
              <dt class="text-slate-500">Up for</dt>
              <dd>{formatHours(c.hoursUp)}</dd>
              <dt class="text-slate-500">So far</dt>
              <dd data-cost-total>
                ≈ {formatMoney(c.total, c.currency)} (est.{c.upperBound ? ", at most" : ""})
              </dd>
              <dt class="text-slate-500">Always on</dt>
              <dd>
                ≈ {formatMoney(c.perMonth, c.currency)} per month ({HOURS_PER_MONTH} h, est.)
              </dd>
            </dl>
            <table class="mt-2 w-full text-xs">
              <tbody>
                {c.entities.map((e) => (
                  <tr key={e.name} class="border-t border-slate-100">
                    <td class="py-1 font-mono">{e.name}</td>
                    <td class="py-1">{e.workloadType} {e.workloadSize}</td>
                    <td class="py-1 text-right tabular-nums">
                      {e.dbuPerHour === null ? "no rate" : `${e.dbuPerHour} DBU/h`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      {c.notes.length > 0 && (
        <ul class="mt-2 list-disc pl-5 text-xs text-slate-600">
          {c.notes.map((n) => <li key={n}>{n}</li>)}
        </ul>
      )}
      <p class="mt-2 text-xs text-slate-500">
        Rates are editable estimates, not your contract prices:{" "}
        <a class="text-blue-700 hover:underline" href="/settings/rates">Settings → Cost rates</a>.
      </p>
    </section>
  );
}
