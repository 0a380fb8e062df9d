import { batch, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { CellImages, CellImagesData } from "@/components/evaluation/CellImages.tsx";
import { ConfusionTable } from "@/components/evaluation/MatrixTable.tsx";
import { downloadHref } from "@/components/charts/download.ts";
import { cellImagesUrl } from "@/lib/evaluation/table_view.ts";

interface Props {
  /** The run whose cells are opened (GET /api/evaluation/<runId>/cell). */
  runId: string;
  /** Column labels: class names, then "background". */
  labels: string[];
  /** Row labels: class names, "background" (boxes on nothing), "duplicate". */
  rowLabels: string[];
  /** Rows: ground truth (then background, duplicate), columns: prediction. */
  matrix: number[][];
  /** IoU and confidence the matrix was counted at. */
  iou: number;
  confidence: number;
  /** How to read the matrix (written by the page, with the IoU and confidence). */
  note: string;
}

/** Images shown for one cell (the first ones; the total is counted). */
const CELL_IMAGES = 24;

/** The detection confusion matrix; clicking a cell shows the images behind it, drawn. */
export default function EvalConfusion(
  { runId, labels, rowLabels, matrix, iou, confidence, note }: Props,
) {
  const readySig = useSignal(false);
  const cellSig = useSignal<CellImagesData | null>(null);
  // the drawing code, loaded with the first cell opened
  const viewSig = useSignal<typeof CellImages | null>(null);
  const busySig = useSignal<string | null>(null);
  const errorSig = useSignal<{ row: number; col: number; message: string } | null>(null);
  const pngErrorSig = useSignal<string | null>(null);
  useEffect(() => {
    readySig.value = true;
  }, []);
  const ready = readySig.value, cell = cellSig.value, busy = busySig.value;
  const error = errorSig.value, View = viewSig.value;

  async function open(row: number, col: number) {
    busySig.value = `${row},${col}`;
    errorSig.value = null;
    try {
      const [res, view] = await Promise.all([
        fetch(cellImagesUrl(runId, row, col, CELL_IMAGES)),
        viewSig.value ??
          import("@/components/evaluation/CellImages.tsx").then((m) => m.CellImages),
      ]);
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      batch(() => {
        viewSig.value = view;
        cellSig.value = { row, col, total: body.total, images: body.images };
      });
    } catch (e) {
      errorSig.value = { row, col, message: e instanceof Error ? e.message : String(e) };
    } finally {
      busySig.value = null;
    }
  }

  /**
   * The matrix as a PNG, drawn from the same SVG the HTML report embeds (the drawing code loads
   * on the first click, not with the page).
   */
  async function downloadPng() {
    pngErrorSig.value = null;
    try {
      const { heatmapSvg, svgDataUri } = await import("@/lib/evaluation/svg.ts");
      const svg = heatmapSvg({
        title: `Confusion matrix (IoU ${iou}, confidence ≥ ${confidence.toFixed(2)})`,
        labels,
        rowLabels,
        matrix,
      });
      const img = new Image();
      await new Promise<void>((resolve, reject) => {
        img.onload = () => resolve();
        img.onerror = () => reject(new Error("the browser could not draw the matrix"));
        img.src = svgDataUri(svg);
      });
      const c = document.createElement("canvas");
      c.width = img.naturalWidth * 2;
      c.height = img.naturalHeight * 2;
      const g = c.getContext("2d")!;
      g.scale(2, 2);
      g.drawImage(img, 0, 0);
      downloadHref("confusion-matrix.png", c.toDataURL("image/png"));
    } catch (e) {
      pngErrorSig.value = `Could not make the PNG: ${e instanceof Error ? e.message : e}`;
    }
  }

  const bg = labels.length - 1;
  return (
    <div>
      <div class="flex items-start justify-between gap-2 mb-2">
        <p class="text-xs text-slate-500">{note}</p>
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
      {pngErrorSig.value && (
        <p role="alert" class="mb-2 text-sm text-red-700">{pngErrorSig.value}</p>
      )}
      <div class="overflow-x-auto">
        <ConfusionTable
          labels={labels}
          rowLabels={rowLabels}
          matrix={matrix}
          testId="confusion"
          levels={5}
          background={bg}
          cell={(v, i, j, shade) => (
            <button
              type="button"
              disabled={!ready || v === 0 || busy !== null}
              data-cell={`${i},${j}`}
              aria-label={`${v} — truth ${rowLabels[i]}, predicted ${labels[j]}`}
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
      {cell && View && (
        <View
          cell={cell}
          labels={labels}
          rowLabels={rowLabels}
          count={matrix[cell.row][cell.col]}
          onClose={() => (cellSig.value = null)}
        />
      )}
    </div>
  );
}
