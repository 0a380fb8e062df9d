import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { Chart } from "@/components/charts/chart.ts";
import { slug } from "@/components/charts/download.ts";
import { DownloadButtons } from "@/components/charts/DownloadButtons.tsx";
import { errorText } from "@/lib/data/eda_page.ts";

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

/**
 * A chart.js chart with "PNG" and "CSV" download buttons. chart.js is imported on the first
 * draw, so the page loads it only once there is a scan to chart.
 */
export function ChartCard({ title, kind, labels, series, csv, x, y, horizontal }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const errorSig = useSignal<string | null>(null);
  useEffect(() => {
    let chart: Chart | undefined;
    let gone = false;
    import("@/components/charts/chart.ts").then(({ Chart }) => {
      if (gone || !canvas.current) return;
      errorSig.value = null;
      chart = new Chart(canvas.current, {
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
    }).catch((e) => {
      if (!gone) errorSig.value = `Could not load the chart library: ${errorText(e)}`;
    });
    return () => {
      gone = true;
      chart?.destroy();
    };
  }, [JSON.stringify(series), JSON.stringify(labels)]);
  const rows = horizontal ? Math.max(8, labels?.length ?? 8) : 0;
  return (
    <figure class="rounded-lg border border-slate-200 bg-white p-3" data-chart={slug(title)}>
      <figcaption class="flex items-center justify-between mb-2">
        <span class="text-sm font-semibold text-slate-800">{title}</span>
        <DownloadButtons name={slug(title)} canvas={canvas} csv={csv} />
      </figcaption>
      {errorSig.value && (
        <p role="alert" class="mb-2 rounded bg-red-50 px-3 py-2 text-sm text-red-800">
          {errorSig.value}
        </p>
      )}
      <div class={rows > 20 ? "relative h-[36rem]" : "relative h-64"}>
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
    </figure>
  );
}
