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

/**
 * The images behind a confusion cell, drawn with the cell's classes in focus. The confusion
 * island loads this module with the first cell opened, not with the page.
 */
export function CellImages(
  { cell, labels, catIds, count, onClose }: {
    cell: CellImagesData;
    labels: string[];
    catIds: number[];
    /** The cell's count of cases. */
    count: number;
    onClose: () => void;
  },
) {
  return (
    <section class="mt-4" data-testid="cell-images" aria-live="polite">
      <div class="flex flex-wrap items-center justify-between gap-2 mb-2">
        <h3 class="text-sm font-semibold text-slate-800">
          Truth <b>{labels[cell.row]}</b>, predicted <b>{labels[cell.col]}</b>: {count} cases in
          {" "}
          {cell.total} images
          {cell.images.length < cell.total ? ` (first ${cell.images.length} shown)` : ""}
        </h3>
        <button type="button" class="text-xs underline text-slate-600" onClick={onClose}>
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
  );
}
