import { useEffect, useState } from "preact/hooks";
import { AnnotatedImage, BoxLegend } from "@/components/evaluation/AnnotatedImage.tsx";
import { ConfusionTable } from "@/components/evaluation/MatrixTable.tsx";
import { downloadHref } from "@/components/charts/download.ts";
import type { ImageDetail } from "@/lib/evaluation/images.ts";
import { heatmapSvg, svgDataUri } from "@/lib/evaluation/svg.ts";

interface Props {
  /** The run whose cells are opened (GET /api/evaluation/<runId>/cell). */
  runId: string;
  /** Class names; the last is "background". */
  labels: string[];
  /** Category ids in label order (background has none). */
  catIds: number[];
  /** Rows: ground truth, columns: prediction. */
  matrix: number[][];
  /** IoU and confidence the matrix was counted at. */
  iou: number;
  confidence: number;
}

interface Cell {
  row: number;
  col: number;
  total: number;
  images: ImageDetail[];
}

/** The detection confusion matrix; clicking a cell shows the images behind it, drawn. */
export default function EvalConfusion({ runId, labels, catIds, matrix, iou, confidence }: Props) {
  const [ready, setReady] = useState(false);
  const [cell, setCell] = useState<Cell | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<{ row: number; col: number; message: string } | null>(null);
  useEffect(() => setReady(true), []);

  async function open(row: number, col: number) {
    setBusy(`${row},${col}`);
    setError(null);
    try {
      const res = await fetch(
        `/api/evaluation/${encodeURIComponent(runId)}/cell?row=${row}&col=${col}&limit=24`,
      );
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      setCell({ row, col, total: body.total, images: body.images });
    } catch (e) {
      setError({ row, col, message: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(null);
    }
  }

  /** The matrix as a PNG (drawn from the same SVG the HTML report embeds). */
  function downloadPng() {
    const svg = heatmapSvg({
      title: `Confusion matrix (IoU ${iou}, confidence ≥ ${confidence.toFixed(2)})`,
      labels,
      matrix,
    });
    const img = new Image();
    img.onload = () => {
      const c = document.createElement("canvas");
      c.width = img.naturalWidth * 2;
      c.height = img.naturalHeight * 2;
      const g = c.getContext("2d")!;
      g.scale(2, 2);
      g.drawImage(img, 0, 0);
      downloadHref("confusion-matrix.png", c.toDataURL("image/png"));
    };
    img.src = svgDataUri(svg);
  }

  const bg = labels.length - 1;
  return (
    <div>
      <div class="flex items-start justify-between gap-2 mb-2">
        <p class="text-xs text-slate-500">
          IoU ≥ {iou}, confidence ≥ {confidence.toFixed(2)}{" "}
          (the recommended threshold). Rows: what the object is; columns: what the model said. Click
          a cell to see its images.
        </p>
        <button
          type="button"
          disabled={!ready}
          data-testid="confusion-png"
          class="shrink-0 rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50"
          onClick={downloadPng}
        >
          PNG
        </button>
      </div>
      <div class="overflow-x-auto">
        <ConfusionTable
          labels={labels}
          matrix={matrix}
          testId="confusion"
          levels={5}
          background={bg}
          cell={(v, i, j, shade) => (
            <button
              type="button"
              disabled={!ready || v === 0 || busy !== null}
              data-cell={`${i},${j}`}
              aria-label={`${v} — truth ${labels[i]}, predicted ${labels[j]}`}
              class={`w-full min-w-[3rem] h-9 tabular-nums ${shade} ${
                cell?.row === i && cell?.col === j ? "ring-2 ring-sky-600" : ""
              } enabled:hover:ring-2 enabled:hover:ring-sky-400 disabled:cursor-default`}
              onClick={() => open(i, j)}
            >
              {busy === `${i},${j}` ? "…" : v}
            </button>
          )}
        />
      </div>
      {error && (
        <p role="alert" class="mt-2 text-sm text-red-700">
          Could not load the images: {error.message}{" "}
          <button type="button" class="underline" onClick={() => open(error.row, error.col)}>
            Retry
          </button>
        </p>
      )}
      {cell && (
        <section class="mt-4" data-testid="cell-images" aria-live="polite">
          <div class="flex flex-wrap items-center justify-between gap-2 mb-2">
            <h3 class="text-sm font-semibold text-slate-800">
              Truth <b>{labels[cell.row]}</b>, predicted <b>{labels[cell.col]}</b>:{" "}
              {matrix[cell.row][cell.col]} cases in {cell.total} images
              {cell.images.length < cell.total ? ` (first ${cell.images.length} shown)` : ""}
            </h3>
            <button
              type="button"
              class="text-xs underline text-slate-600"
              onClick={() => setCell(null)}
            >
              Close
            </button>
          </div>
          <BoxLegend />
          <div class="grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-2 mt-2">
            {cell.images.map((im) => (
              <AnnotatedImage
                key={im.id}
                image={im}
                focus={{ gt: catIds[cell.row], dt: catIds[cell.col] }}
              />
            ))}
          </div>
        </section>
      )}
    </div>
  );
}
