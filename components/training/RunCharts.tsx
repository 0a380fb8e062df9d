import { useEffect, useMemo, useState } from "preact/hooks";
import type { MetricPointLite } from "@/lib/training/types.ts";
import { MetricChart, type Series } from "./MetricChart.tsx";

/** A run that can be overlaid on the charts. */
export interface CompareOption {
  id: string;
  name: string;
}

function seriesOf(points: MetricPointLite[], name: string, label: string, dashed = false): Series {
  const pts = points.filter((p) => p.name === name).map((p) => ({ x: p.step, y: p.value }));
  pts.sort((a, b) => a.x - b.x);
  return { label, points: pts, dashed, colorKey: name };
}

/**
 * Loss, learning rate and the task's evaluation metrics, with metric picking, log scale,
 * a step range (zoom) and another run overlaid for comparison.
 */
export function RunCharts(
  { points, compareOptions, ready, defaultCompare }: {
    points: MetricPointLite[];
    compareOptions: CompareOption[];
    /** A run overlaid from the start (a resumed run's parent). */
    defaultCompare?: string;
    /** False until hydrated: controls stay disabled. */
    ready: boolean;
  },
) {
  const names = useMemo(() => [...new Set(points.map((p) => p.name))].sort(), [points]);
  const evalNames = names.filter((n) =>
    n.startsWith("eval_") && !n.includes("_class_") && n !== "eval_loss"
  );
  const [picked, setPicked] = useState<string[] | null>(null);
  const shownEval = picked ?? evalNames.slice(0, 4);
  const [logY, setLogY] = useState(false);
  const [range, setRange] = useState<{ from?: number; to?: number }>({});
  const [compareId, setCompareId] = useState("");
  const [other, setOther] = useState<{ points: MetricPointLite[]; error?: string } | null>(null);
  useEffect(() => {
    if (ready && defaultCompare) compare(defaultCompare);
  }, [ready, defaultCompare]);

  async function compare(id: string) {
    setCompareId(id);
    setOther(null);
    if (!id) return;
    try {
      const res = await fetch(`/api/runs/${encodeURIComponent(id)}/metrics`);
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      setOther({ points: body.points });
    } catch (e) {
      setOther({
        points: [],
        error: `Could not load ${id}: ${e instanceof Error ? e.message : e}`,
      });
    }
  }

  const withOther = (name: string, label: string): Series[] => {
    const s = [seriesOf(points, name, label)];
    if (other?.points.length) s.push(seriesOf(other.points, name, `${label} (${compareId})`, true));
    return s;
  };
  const num = (v: string) => (v.trim() === "" ? undefined : Number(v));
  const box = "rounded-md border border-slate-300 px-2 py-1 text-xs bg-white";

  return (
    <section aria-label="Charts" class="space-y-3">
      <div class="flex flex-wrap items-end gap-3 text-xs text-slate-600">
        <label class="flex items-center gap-1">
          <input
            type="checkbox"
            disabled={!ready}
            checked={logY}
            onChange={(e) => setLogY((e.currentTarget as HTMLInputElement).checked)}
          />
          log scale
        </label>
        <label>
          steps from{" "}
          <input
            class={`${box} w-20`}
            type="number"
            disabled={!ready}
            value={range.from ?? ""}
            onInput={(e) =>
              setRange({ ...range, from: num((e.currentTarget as HTMLInputElement).value) })}
          />
        </label>
        <label>
          to{" "}
          <input
            class={`${box} w-20`}
            type="number"
            disabled={!ready}
            value={range.to ?? ""}
            onInput={(e) =>
              setRange({ ...range, to: num((e.currentTarget as HTMLInputElement).value) })}
          />
        </label>
        {(range.from !== undefined || range.to !== undefined) && (
          <button
            type="button"
            class="underline"
            onClick={() => setRange({})}
          >
            reset zoom
          </button>
        )}
        <label>
          compare with{" "}
          <select
            class={box}
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
                    setPicked(on ? [...shownEval, n] : shownEval.filter((x) => x !== n));
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
