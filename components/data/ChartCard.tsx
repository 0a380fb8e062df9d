import { useEffect, useRef } from "preact/hooks";
import { Chart } from "@/components/charts/chart.ts";
import { slug } from "@/components/charts/download.ts";
import { DownloadButtons } from "@/components/charts/DownloadButtons.tsx";

/** One series of a chart. */
export interface Series {
  label: string;
  data: number[] | { x: number; y: number }[];
  colors?: string[];
}

interface Props {
  /** Chart heading (also the download file name). */
  title: string;
  kind: "bar" | "scatter";
  /** Category labels (bar charts). */
  labels?: string[];
  series: Series[];
  /** Rows for the CSV download, header first. */
  csv: (string | number)[][];
  /** Axis titles. */
  x?: string;
  y?: string;
  /** Horizontal bars (for long class lists). */
  horizontal?: boolean;
}

/** A chart.js chart with "PNG" and "CSV" download buttons. */
export function ChartCard({ title, kind, labels, series, csv, x, y, horizontal }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    chart.current?.destroy();
    chart.current = new Chart(canvas.current, {
      type: kind,
      data: {
        labels,
        datasets: series.map((s) => ({
          label: s.label,
          data: s.data as never,
          backgroundColor: s.colors ?? "rgba(37, 99, 235, 0.7)",
          pointRadius: kind === "scatter" ? 3 : undefined,
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: series.length > 1 } },
        scales: {
          x: {
            title: { display: !!x, text: x ?? "" },
            ...(kind === "scatter" ? { type: "linear" as const } : {}),
          },
          y: { title: { display: !!y, text: y ?? "" }, beginAtZero: true },
        },
      },
    });
    return () => chart.current?.destroy();
  }, [JSON.stringify(series), JSON.stringify(labels)]);
  const rows = horizontal ? Math.max(8, labels?.length ?? 8) : 0;
  return (
    <figure class="rounded-lg border border-slate-200 bg-white p-3" data-chart={slug(title)}>
      <figcaption class="flex items-center justify-between mb-2">
        <span class="text-sm font-semibold text-slate-800">{title}</span>
        <DownloadButtons name={slug(title)} canvas={canvas} csv={csv} />
      </figcaption>
      <div class={rows > 20 ? "relative h-[36rem]" : "relative h-64"}>
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
    </figure>
  );
}
