import { useEffect, useRef } from "preact/hooks";
import type { ChartSpec } from "@/lib/evaluation/charts.ts";
import { PALETTE } from "@/lib/charts/palette.ts";
import { Chart, whiteBackground } from "@/components/charts/chart.ts";
import { DownloadButtons } from "@/components/charts/DownloadButtons.tsx";

/** One chart from a server-built spec, with a PNG download button (disabled until drawn). */
export function EvalChart({ spec, ready }: { spec: ChartSpec; ready: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const line = spec.kind === "line";
    const chart = new Chart(canvas.current, {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: spec.series.map((s, i) => {
          const c = s.color ?? PALETTE[i % PALETTE.length];
          return line
            ? {
              label: s.label,
              data: s.points ?? [],
              borderColor: c,
              backgroundColor: c,
              borderDash: s.dashed ? [6, 4] : [],
              borderWidth: 2,
              pointRadius: (s.points?.length ?? 0) > 30 ? 0 : 2,
              hidden: s.hidden,
              parsing: false as const,
            }
            : {
              label: s.label,
              data: s.values ?? [],
              backgroundColor: spec.labels?.map((_, j) => PALETTE[j % PALETTE.length]) ?? c,
            };
        }) as never,
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: line ? "x" : "y",
        interaction: { mode: "nearest", intersect: false },
        scales: line
          ? {
            x: {
              type: "linear",
              min: spec.xDomain?.[0],
              max: spec.xDomain?.[1],
              ticks: spec.integerX ? { precision: 0 } : undefined,
              title: { display: !!spec.xLabel, text: spec.xLabel ?? "" },
            },
            y: {
              min: spec.yDomain?.[0],
              max: spec.yDomain?.[1],
              title: { display: !!spec.yLabel, text: spec.yLabel ?? "" },
            },
          }
          : {
            x: { beginAtZero: true, title: { display: !!spec.xLabel, text: spec.xLabel ?? "" } },
          },
        plugins: {
          legend: { display: line, position: "bottom", labels: { boxWidth: 12 } },
        },
      },
      plugins: [whiteBackground],
    });
    return () => chart.destroy();
  }, [spec]);
  return (
    <figure class="rounded-lg border border-slate-200 bg-white p-3" data-chart={spec.id}>
      <figcaption class="flex items-start justify-between gap-2 mb-1">
        <span class="text-sm font-semibold text-slate-800">{spec.title}</span>
        <DownloadButtons name={spec.id} canvas={canvas} disabled={!ready} title={spec.title} />
      </figcaption>
      {spec.caption && <p class="text-xs text-slate-500 mb-2">{spec.caption}</p>}
      <div class={spec.kind === "bar" ? "relative h-56" : "relative h-72"}>
        <canvas ref={canvas} role="img" aria-label={`${spec.title} chart`} />
      </div>
    </figure>
  );
}
