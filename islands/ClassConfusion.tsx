import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { ConfusionTable } from "@/components/evaluation/MatrixTable.tsx";
import { thumbUrl } from "@/lib/evaluation/table_view.ts";
import { plural } from "@/lib/format.ts";

interface Props {
  /** Class names in index order. */
  labels: string[];
  /** Rows: true class, columns: top-1 predicted class (image counts). */
  matrix: number[][];
  /** `"<true>,<predicted>"` → the cell's most confident images (file name relative to imageDir). */
  cells: Record<string, { key: string; score: number }[]>;
  /** The validation folder the file names are relative to, when known (for thumbnails). */
  imageDir: string | null;
}

/** The classification confusion matrix; clicking a cell shows the images behind it. */
export default function ClassConfusion({ labels, matrix, cells, imageDir }: Props) {
  const readySig = useSignal(false);
  const openSig = useSignal<[number, number] | null>(null);
  useEffect(() => {
    readySig.value = true;
  }, []);
  const ready = readySig.value, open = openSig.value;
  const shown = open ? cells[`${open[0]},${open[1]}`] ?? [] : [];
  return (
    <div class="overflow-x-auto">
      <p class="text-xs text-slate-500 mb-2">
        Rows: the true class; columns: the predicted class (top-1); cells count images. Click a cell
        to see its images, most confident first.
      </p>
      <ConfusionTable
        labels={labels}
        matrix={matrix}
        testId="class-confusion"
        cell={(v, i, j, shade) => (
          <button
            type="button"
            disabled={!ready || v === 0}
            data-cell={`${i},${j}`}
            aria-pressed={open?.[0] === i && open?.[1] === j}
            onClick={() => (openSig.value = [i, j])}
            class={`w-12 h-8 text-center tabular-nums ${shade} ${
              open?.[0] === i && open?.[1] === j ? "ring-2 ring-sky-600" : ""
            } disabled:cursor-default`}
          >
            {v}
          </button>
        )}
      />
      {open && (
        <div class="mt-3" data-testid="cell-images">
          <p class="text-sm text-slate-700 mb-2">
            True <strong>{labels[open[0]]}</strong>, predicted <strong>{labels[open[1]]}</strong>:
            {" "}
            {plural(matrix[open[0]][open[1]], "image")}
            {matrix[open[0]][open[1]] > shown.length ? `, the ${shown.length} most confident` : ""}.
            {" "}
            <button
              type="button"
              class="underline text-sky-700"
              onClick={() => (openSig.value = null)}
            >
              close
            </button>
          </p>
          <ul class="grid grid-cols-2 sm:grid-cols-4 lg:grid-cols-6 gap-2">
            {shown.map((c) => {
              const src = thumbUrl(imageDir, c.key);
              return (
                <li key={c.key} class="rounded border border-slate-200 bg-white p-1 text-xs">
                  {src && (
                    <img
                      src={src}
                      alt={c.key}
                      loading="lazy"
                      class="w-full aspect-square object-contain bg-slate-100"
                    />
                  )}
                  <span class="block font-mono break-all" title={c.key}>{c.key}</span>
                  <span class="text-slate-500">score {c.score.toFixed(3)}</span>
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </div>
  );
}
