import { useEffect, useRef } from "preact/hooks";
import { PALETTE as ALL_COLOURS } from "@/lib/charts/palette.ts";
import type { Series } from "@/lib/training/chart_series.ts";
import { markCoincident } from "@/lib/charts/coincident.ts";
import { Chart } from "@/components/charts/chart.ts";

/** Seven colours: more metrics than that on one chart cycle. */
const PALETTE = ALL_COLOURS.slice(0, 7);

/**
 * A line chart over optimizer steps (browser only: renders a canvas once hydrated, a summary
 * table-less placeholder on the server). Updates in place without animation, so live data does
 * not flicker.
 */
export function MetricChart(
  { title, series: given, logY = false, xMin, xMax }: {
    title: string;
    series: Series[];
    logY?: boolean;
    xMin?: number;
    xMax?: number;
  },
) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  const series = markCoincident(given);
  const keys = [...new Set(series.map((s) => s.colorKey ?? s.label))];
  const colour = (s: Series) => PALETTE[keys.indexOf(s.colorKey ?? s.label) % PALETTE.length];
  const datasets = series.map((s) => ({
    label: s.label,
    data: s.points,
    borderColor: colour(s),
    backgroundColor: colour(s),
    borderDash: s.dashed ? [6, 4] : [],
    borderWidth: 2,
    pointRadius: s.points.length > 60 ? 0 : 2,
    parsing: false as const,
  }));
  const usableLog = logY && series.every((s) => s.points.every((p) => p.y > 0));

  useEffect(() => {
    if (!canvas.current) return;
    // data, zoom and the y scale are set by the effect below, which runs right after this one
    chart.current = new Chart(canvas.current, {
      type: "line",
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "nearest", intersect: false },
        // optimizer steps: ticks at whole steps only
        scales: {
          x: { type: "linear", ticks: { precision: 0 }, title: { display: true, text: "step" } },
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      },
    });
    return () => chart.current?.destroy();
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.datasets = datasets;
    const x = c.options.scales!.x!;
    x.min = xMin;
    x.max = xMax;
    c.options.scales!.y = { type: usableLog ? "logarithmic" : "linear" };
    c.update("none");
  });

  const count = series.reduce((n, s) => n + s.points.length, 0);
  return (
    <figure class="rounded-lg border border-slate-200 bg-white p-3" data-chart={title}>
      <figcaption class="flex justify-between text-sm font-medium text-slate-800 mb-2">
        <span>{title}</span>
        <span class="text-xs font-normal text-slate-400" data-points={count}>{count} points</span>
      </figcaption>
      <div class="relative h-56">
        <canvas ref={canvas} aria-label={`${title} chart`} role="img" />
      </div>
      {logY && !usableLog && (
        <p class="text-xs text-amber-700 mt-1">Log scale needs positive values; shown linear.</p>
      )}
    </figure>
  );
}
