import { type ReadonlySignal, useComputed, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import {
  evalMetricNames,
  isZoomed,
  metricNames,
  parseStep,
  pickEvalMetric,
  type Series,
  shownEvalMetrics,
  type StepRange,
  withCompared,
} from "@/lib/training/chart_series.ts";
import type { MetricPointLite } from "@/lib/training/types.ts";
import { MetricChart } from "./MetricChart.tsx";

/** A run that can be overlaid on the charts. */
export interface CompareOption {
  id: string;
  name: string;
}

/** The overlaid run's points, or why they could not be loaded. */
interface Overlay {
  id: string;
  points: MetricPointLite[];
  error?: string;
}

/**
 * Loss, learning rate and the task's evaluation metrics, with metric picking, log scale,
 * a step range (zoom) and another run overlaid for comparison.
 */
export function RunCharts(
  { points: pointsSig, compareOptions, ready, defaultCompare }: {
    /** This run's points, growing while it runs. */
    points: ReadonlySignal<MetricPointLite[]>;
    compareOptions: CompareOption[];
    /** A run overlaid from the start (a resumed run's parent). */
    defaultCompare?: string;
    /** False until hydrated: controls stay disabled. */
    ready: boolean;
  },
) {
  const evalNamesSig = useComputed(() => evalMetricNames(metricNames(pointsSig.value)));
  const pickedSig = useSignal<string[] | null>(null);
  const logYSig = useSignal(false);
  const rangeSig = useSignal<StepRange>({});
  const compareIdSig = useSignal("");
  const otherSig = useSignal<Overlay | null>(null);
  const points = pointsSig.value, evalNames = evalNamesSig.value;
  const shownEval = shownEvalMetrics(evalNames, pickedSig.value, points);
  const logY = logYSig.value, range = rangeSig.value, compareId = compareIdSig.value;
  const other = otherSig.value;
  useEffect(() => {
    if (ready && defaultCompare) compare(defaultCompare);
  }, [ready, defaultCompare]);

  async function compare(id: string) {
    compareIdSig.value = id;
    otherSig.value = null;
    if (!id) return;
    let overlay: Overlay;
    try {
      const res = await fetch(`/api/runs/${encodeURIComponent(id)}/metrics`);
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      overlay = { id, points: body.points };
    } catch (e) {
      overlay = {
        id,
        points: [],
        error: `Could not load ${id}: ${e instanceof Error ? e.message : e}`,
      };
    }
    // an answer for a run no longer picked is dropped
    if (compareIdSig.value === id) otherSig.value = overlay;
  }

  const withOther = (name: string, label: string): Series[] =>
    withCompared(points, other, name, label);
  const box = "rounded-md border border-slate-300 px-2 py-1 text-xs bg-white";

  return (
    <section aria-label="Charts" class="space-y-3">
      <div class="flex flex-wrap items-end gap-3 text-xs text-slate-600">
        <label class="flex items-center gap-1">
          <input
            type="checkbox"
            disabled={!ready}
            checked={logY}
            onChange={(e) => (logYSig.value = (e.currentTarget as HTMLInputElement).checked)}
          />
          log scale
        </label>
        {(["from", "to"] as const).map((end) => (
          <label key={end}>
            {end === "from" ? "steps from" : "to"}{" "}
            <input
              class={`${box} w-20`}
              type="number"
              disabled={!ready}
              value={range[end] ?? ""}
              onInput={(e) => (rangeSig.value = {
                ...range,
                [end]: parseStep((e.currentTarget as HTMLInputElement).value),
              })}
            />
          </label>
        ))}
        {isZoomed(range) && (
          <button
            type="button"
            class="underline"
            onClick={() => (rangeSig.value = {})}
          >
            reset zoom
          </button>
        )}
        <label>
          compare with{" "}
          <select
            class={`${box} max-w-[18rem]`}
            disabled={!ready || compareOptions.length === 0}
            value={compareId}
            onChange={(e) => compare((e.currentTarget as HTMLSelectElement).value)}
          >
            <option value="">
              {compareOptions.length ? "no other run" : "no comparable runs"}
            </option>
            {compareOptions.map((o) => <option key={o.id} value={o.id}>{o.name} ({o.id})</option>)}
          </select>
        </label>
      </div>
      {other?.error && <p role="alert" class="text-xs text-red-700">{other.error}</p>}
      <div class="grid gap-3 lg:grid-cols-2">
        <MetricChart
          title="Loss"
          series={[...withOther("loss", "loss"), ...withOther("eval_loss", "eval_loss")].filter((
            s,
          ) => s.points.length)}
          logY={logY}
          xMin={range.from}
          xMax={range.to}
        />
        <MetricChart
          title="Learning rate"
          series={withOther("learning_rate", "learning rate")}
          logY={logY}
          xMin={range.from}
          xMax={range.to}
        />
      </div>
      {evalNames.length > 0 && (
        <div class="space-y-2">
          <fieldset class="flex flex-wrap gap-3 text-xs text-slate-600">
            <legend class="sr-only">Evaluation metrics to show</legend>
            {evalNames.map((n) => (
              <label key={n} class="flex items-center gap-1">
                <input
                  type="checkbox"
                  disabled={!ready}
                  checked={shownEval.includes(n)}
                  onChange={(e) => {
                    const on = (e.currentTarget as HTMLInputElement).checked;
                    pickedSig.value = pickEvalMetric(evalNames, shownEval, n, on);
                  }}
                />
                {n}
              </label>
            ))}
          </fieldset>
          <MetricChart
            title="Evaluation metrics"
            series={shownEval.flatMap((n) => withOther(n, n))}
            logY={logY}
            xMin={range.from}
            xMax={range.to}
          />
        </div>
      )}
    </section>
  );
}
