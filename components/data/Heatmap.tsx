import { useEffect, useRef } from "preact/hooks";
import { DownloadButtons } from "@/components/charts/DownloadButtons.tsx";

interface Props {
  /** Grid side (cells per row). */
  size: number;
  /** Row-major counts, row = y. */
  cells: number[];
}

/** Annotation-location heatmap (box centres, normalised to the image) on a canvas. */
export function Heatmap({ size, cells }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const ctx = c.getContext("2d")!;
    const px = c.width / size;
    const max = Math.max(1, ...cells);
    ctx.clearRect(0, 0, c.width, c.height);
    for (let i = 0; i < cells.length; i++) {
      const t = Math.sqrt(cells[i] / max);
      ctx.fillStyle = `rgba(${Math.round(255 * t)}, ${Math.round(80 * (1 - t))}, ${
        Math.round(180 * (1 - t))
      }, ${0.08 + 0.92 * t})`;
      ctx.fillRect((i % size) * px, Math.floor(i / size) * px, px, px);
    }
  }, [cells.join(",")]);
  const rows: (string | number)[][] = [["row", "col", "count"]];
  cells.forEach((v, i) => rows.push([Math.floor(i / size), i % size, v]));
  return (
    <figure class="rounded-lg border border-slate-200 bg-white p-3" data-chart="annotation-heatmap">
      <figcaption class="flex items-center justify-between mb-2">
        <span class="text-sm font-semibold text-slate-800">Annotation locations (box centres)</span>
        <DownloadButtons name="annotation-heatmap" canvas={canvas} csv={rows} />
      </figcaption>
      <canvas
        ref={canvas}
        width={256}
        height={256}
        class="w-64 h-64 border border-slate-100"
        role="img"
        aria-label="Annotation location heatmap"
      />
    </figure>
  );
}
