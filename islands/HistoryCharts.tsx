import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { Chart, whiteBackground } from "@/components/charts/chart.ts";
import { DownloadButtons } from "@/components/charts/DownloadButtons.tsx";
import { PALETTE } from "@/lib/charts/palette.ts";
import { chartRows, type HistoryChart } from "@/lib/history/analytics.ts";

interface Props {
  /** Charts built on the server; each one's numbers are also shown as a table. */
  charts: HistoryChart[];
}

/** The analytics charts (chart.js), each with its numbers and PNG/CSV downloads. */
export default function HistoryCharts({ charts }: Props) {
  const readySig = useSignal(false);
  useEffect(() => {
    readySig.value = true;
  }, []);
  return (
    <div class="grid gap-4 lg:grid-cols-2">
      {charts.map((c) => <OneChart key={c.id} chart={c} ready={readySig.value} />)}
    </div>
  );
}

function OneChart({ chart, ready }: { chart: HistoryChart; ready: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current || chart.labels.length === 0) return;
    const line = chart.kind === "line";
    const c = new Chart(canvas.current, {
      type: chart.kind,
      data: {
        labels: chart.labels,
        datasets: chart.series.map((s, i) => ({
          label: s.label,
          data: s.values,
          borderColor: PALETTE[i % PALETTE.length],
          backgroundColor: PALETTE[i % PALETTE.length],
          spanGaps: true,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: line || chart.series.length > 1, position: "bottom" } },
        scales: { y: { beginAtZero: true } },
      },
      plugins: [whiteBackground],
    });
    return () => c.destroy();
  }, [chart]);
  const rows = chartRows(chart);
  return (
    <figure class="rounded-lg border border-slate-200 bg-white p-3" data-chart={chart.id}>
      <figcaption class="mb-1 flex items-start justify-between gap-2">
        <span class="text-sm font-semibold text-slate-800">{chart.title}</span>
        <DownloadButtons
          name={chart.id}
          canvas={canvas}
          csv={rows}
          disabled={!ready || chart.labels.length === 0}
          title={chart.title}
        />
      </figcaption>
      {chart.caption && <p class="mb-2 text-xs text-slate-500">{chart.caption}</p>}
      {chart.labels.length === 0 ? <p class="text-sm text-slate-500">No data in this range.</p> : (
        <>
          <div class="relative h-56">
            <canvas ref={canvas} role="img" aria-label={`${chart.title} chart`} />
          </div>
          <details class="mt-2 text-xs">
            <summary class="cursor-pointer text-slate-600">
              Numbers{chart.unit ? ` (${chart.unit})` : ""}
            </summary>
            <table class="mt-1 w-full tabular-nums" data-numbers>
              <thead>
                <tr>
                  {rows[0].map((h) => (
                    <th key={String(h)} class="text-left font-medium pr-2">{h}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.slice(1).map((r, i) => (
                  <tr key={i}>{r.map((v, j) => <td key={j} class="pr-2">{v}</td>)}</tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </figure>
  );
}
