import type { EvalRunSummary } from "@/lib/evaluation/types.ts";
import { fmtMetric } from "@/lib/evaluation/types.ts";

/** The run chooser: tick one run to evaluate it, 2–6 to compare them (a plain GET form). */
export function RunPicker(
  { runs, selected, open, trackingError }: {
    runs: EvalRunSummary[];
    selected: string[];
    open: boolean;
    trackingError?: string;
  },
) {
  return (
    <details
      open={open}
      class="mb-6 rounded-lg border border-slate-200 bg-white print:hidden"
      data-testid="run-picker"
    >
      <summary class="cursor-pointer px-4 py-2 text-sm font-medium text-slate-800">
        {selected.length ? "Change runs" : "Pick runs"} — one to evaluate, 2–6 to compare
      </summary>
      <form method="get" action="/evaluation" class="px-4 pb-4">
        {trackingError && (
          <p class="text-sm text-amber-800 mb-2">
            The tracking server did not answer ({trackingError}); only the app's runs are listed.
          </p>
        )}
        {runs.length === 0
          ? (
            <p class="text-sm text-slate-600">
              No runs yet. Launch one on{" "}
              <a class="text-sky-700 underline" href="/training/new">Training</a>.
            </p>
          )
          : (
            <div class="overflow-x-auto">
              <table class="min-w-full text-sm">
                <thead class="text-left text-slate-500">
                  <tr>
                    <th class="py-1 pr-2"></th>
                    <th class="py-1 pr-2 font-medium">Run</th>
                    <th class="py-1 pr-2 font-medium">Task</th>
                    <th class="py-1 pr-2 font-medium">Model</th>
                    <th class="py-1 pr-2 font-medium">Status</th>
                    <th class="py-1 pr-2 font-medium text-right">Logged</th>
                    <th class="py-1 font-medium">Source</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.map((r) => (
                    <tr key={r.id} class="border-t border-slate-100">
                      <td class="py-1 pr-2">
                        <input
                          type="checkbox"
                          name="run"
                          value={r.id}
                          id={`run-${r.id}`}
                          checked={selected.includes(r.id)}
                        />
                      </td>
                      <td class="py-1 pr-2">
                        <label for={`run-${r.id}`} class="text-slate-800 [overflow-wrap:anywhere]">
                          {r.name}
                        </label>
                        <span class="block text-xs text-slate-400">
                          {r.id} ·{" "}
                          <a
                            class="text-sky-700 underline"
                            href={`/evaluation?runs=${encodeURIComponent(r.id)}`}
                          >
                            open
                          </a>
                        </span>
                      </td>
                      <td class="py-1 pr-2">{r.task.replace(/_/g, " ")}</td>
                      <td class="py-1 pr-2 text-xs">{r.model}</td>
                      <td class="py-1 pr-2">{r.status}</td>
                      <td class="py-1 pr-2 text-right tabular-nums">
                        {r.primary?.value !== null && r.primary?.value !== undefined
                          ? `${r.primary.name.replace("eval_", "")} ${fmtMetric(r.primary.value)}`
                          : "—"}
                      </td>
                      <td class="py-1 text-xs">{r.source === "app" ? "app" : "tracking"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        {runs.length > 0 && (
          <button
            type="submit"
            class="mt-3 rounded bg-sky-700 px-4 py-1.5 text-sm font-medium text-white hover:bg-sky-800"
          >
            Evaluate / compare
          </button>
        )}
      </form>
    </details>
  );
}
