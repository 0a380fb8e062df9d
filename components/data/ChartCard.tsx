import { useEffect, useRef } from "preact/hooks";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  PointElement,
  ScatterController,
  Tooltip,
} from "chart.js";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  ScatterController,
  PointElement,
  Tooltip,
  Legend,
);

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

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

/** Triggers a browser download of `href` as `name`. */
export function download(name: string, href: string): void {
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** CSV text from rows (RFC 4180 quoting). */
export function toCsv(rows: (string | number)[][]): string {
  return rows.map((r) =>
    r.map((v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v)))
      .join(",")
  ).join("\n") + "\n";
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
        <span class="flex gap-1">
          <button
            type="button"
            class="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50"
            onClick={() =>
              canvas.current &&
              download(`${slug(title)}.png`, canvas.current.toDataURL("image/png"))}
          >
            PNG
          </button>
          <button
            type="button"
            class="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50"
            onClick={() =>
              download(
                `${slug(title)}.csv`,
                `data:text/csv;charset=utf-8,${encodeURIComponent(toCsv(csv))}`,
              )}
          >
            CSV
          </button>
        </span>
      </figcaption>
      <div class={rows > 20 ? "relative h-[36rem]" : "relative h-64"}>
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
    </figure>
  );
}
