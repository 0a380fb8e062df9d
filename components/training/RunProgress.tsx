import { formatDuration, PHASE_LABELS, type RunRecord } from "@/lib/training/types.ts";

const STEPS = [
  "queued",
  "starting",
  "loading_data",
  "training",
  "evaluating",
  "exporting",
  "succeeded",
];

function stepIndex(phase: string): number {
  if (phase === "cluster_starting" || phase === "launching") return 0;
  if (phase === "building_model") return 2;
  if (phase === "predicting") return 5;
  const i = STEPS.indexOf(phase);
  return i < 0 ? 0 : i;
}

/**
 * Seconds left while the run trains and the job has measured its pace: never before its first
 * step (a job that has just started reports 0 s), nor once the run has stopped.
 */
export function knownEta(run: RunRecord): number | null {
  const p = run.progress;
  if (run.status !== "running" || !p || p.step <= 0 || p.etaSeconds === null) return null;
  if (!Number.isFinite(p.etaSeconds) || p.etaSeconds < 0) return null;
  if (p.etaSeconds === 0 && (p.totalSteps === null || p.step < p.totalSteps)) return null;
  return p.etaSeconds;
}

/** The phase trail and the step progress bar with epoch and, once known, ETA. */
export function RunProgress({ run }: { run: RunRecord }) {
  const p = run.progress;
  const eta = knownEta(run);
  const total = p?.totalSteps ?? null;
  const pct = p && total
    ? Math.min(100, Math.round((p.step / total) * 100))
    : run.status === "succeeded"
    ? 100
    : 0;
  const current = stepIndex(run.phase);
  const ended = run.status === "failed" || run.status === "cancelled";
  return (
    <div class="rounded-lg border border-slate-200 bg-white p-5">
      <ol class="flex flex-wrap gap-1 text-xs mb-4" aria-label="Phases">
        {STEPS.map((s, i) => {
          const label = s === "queued" && run.compute.kind === "databricks"
            ? "queued / cluster starting"
            : PHASE_LABELS[s];
          const state = i < current || run.status === "succeeded"
            ? "done"
            : i === current && !ended
            ? "now"
            : "todo";
          return (
            <li
              key={s}
              data-phase={s}
              data-state={state}
              class={`rounded-full px-2 py-0.5 ${
                state === "done"
                  ? "bg-green-100 text-green-800"
                  : state === "now"
                  ? "bg-sky-600 text-white"
                  : "bg-slate-100 text-slate-500"
              }`}
            >
              {label}
            </li>
          );
        })}
      </ol>
      <svg
        viewBox="0 0 100 3"
        preserveAspectRatio="none"
        class="h-3 w-full rounded-full"
        role="progressbar"
        aria-label="Training progress"
        aria-valuemin={0}
        aria-valuemax={total ?? 0}
        aria-valuenow={p?.step ?? 0}
        data-pct={pct}
      >
        <rect x="0" y="0" width="100" height="3" class="fill-slate-200" />
        <rect
          x="0"
          y="0"
          width={pct}
          height="3"
          class={run.status === "failed"
            ? "fill-red-500"
            : run.status === "cancelled"
            ? "fill-amber-500"
            : run.status === "succeeded"
            ? "fill-green-600"
            : "fill-sky-600"}
        />
      </svg>
      <div class="mt-2 flex flex-wrap gap-x-6 gap-y-1 text-sm text-slate-700 tabular-nums">
        <span data-testid="steps">
          step {p?.step ?? 0}
          {total ? ` of ${total}` : ""}
          {total ? ` (${pct}%)` : ""}
        </span>
        <span>epoch {p?.epoch ?? 0}</span>
        {eta !== null && <span data-testid="eta">ETA {formatDuration(eta)}</span>}
      </div>
    </div>
  );
}
