import type { ImageDetail } from "@/lib/evaluation/images.ts";
import { AnnotatedImage, BoxLegend } from "./AnnotatedImage.tsx";

/** The images behind one detection confusion cell. */
export interface CellImagesData {
  row: number;
  col: number;
  /** Images the cell's cases are in. */
  total: number;
  /** The first of them, drawn. */
  images: ImageDetail[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The heading of a cell: what its cases are. */
function cellTitle(rows: string[], cols: string[], row: number, col: number): string {
  const bg = cols.length - 1;
  if (row === bg) return `Predicted ${cols[col]} where there is no object (background)`;
  if (row > bg) {
    return `Extra boxes predicted ${cols[col]} on objects another box already matched (duplicates)`;
  }
  if (col === bg) return `Truth ${rows[row]}, not found (background)`;
  return `Truth ${rows[row]}, predicted ${cols[col]}`;
}

/**
 * The images behind a confusion cell, drawn with the boxes the cell counts in front and labelled
 * with what the matrix made of them. The confusion island loads this module with the first cell
 * opened, not with the page.
 */
export function CellImages(
  { cell, labels, rowLabels, count, onClose }: {
    cell: CellImagesData;
    labels: string[];
    rowLabels: string[];
    /** The cell's count of cases. */
    count: number;
    onClose: () => void;
  },
) {
  return (
    <section class="mt-4" data-testid="cell-images" aria-live="polite">
      <div class="flex flex-wrap items-center justify-between gap-2 mb-2">
        <h3 class="text-sm font-semibold text-slate-800">
          {cellTitle(rowLabels, labels, cell.row, cell.col)}: {plural(count, "case")} in{" "}
          {plural(cell.total, "image")}
          {cell.images.length < cell.total ? ` (first ${cell.images.length} shown)` : ""}
        </h3>
        <button type="button" class="text-xs underline text-slate-600" onClick={onClose}>
          Close
        </button>
      </div>
      <BoxLegend />
      <div class="grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-2 mt-2">
        {cell.images.map((im) => (
          <AnnotatedImage key={im.id} image={im} cell={`${cell.row},${cell.col}`} />
        ))}
      </div>
    </section>
  );
}
