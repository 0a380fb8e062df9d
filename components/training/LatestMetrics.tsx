import { COCO_NO_GT, cocoNoValue } from "@/lib/evaluation/headline.ts";
import { primaryMetric, type RunRecord } from "@/lib/training/types.ts";

function shown(v: number): string {
  return Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001)
    ? v.toExponential(3)
    : v.toFixed(4);
}

/** The latest value of each evaluation metric (and loss), the primary one first. */
export function LatestMetrics({ run }: { run: RunRecord }) {
  const pm = primaryMetric(run);
  const names = Object.keys(run.lastMetrics)
    .filter((n) => n === "loss" || n.startsWith("eval_"))
    .sort((a, b) => Number(b === pm.name) - Number(a === pm.name) || a.localeCompare(b));
  if (!names.length) return null;
  return (
    <dl class="flex flex-wrap gap-2" aria-label="Latest metrics" data-testid="latest-metrics">
      {names.map((n) => (
        <div
          key={n}
          class={`rounded-md border px-3 py-1.5 ${
            n === pm.name ? "border-sky-300 bg-sky-50" : "border-slate-200 bg-white"
          }`}
        >
          <dt class="text-xs text-slate-500">{n}</dt>
          {cocoNoValue(n, run.lastMetrics[n])
            ? (
              <dd class="font-mono text-sm text-slate-900" title={COCO_NO_GT} data-no-gt>
                — <span class="font-sans text-xs text-slate-500">no objects this size</span>
              </dd>
            )
            : (
              <dd class="font-mono text-sm tabular-nums text-slate-900">
                {shown(run.lastMetrics[n])}
              </dd>
            )}
        </div>
      ))}
    </dl>
  );
}
