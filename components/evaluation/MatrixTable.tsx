import type { ComponentChildren } from "preact";

const DIAG = [
  "bg-white",
  "bg-emerald-50",
  "bg-emerald-100",
  "bg-emerald-200",
  "bg-emerald-400",
  "bg-emerald-600 text-white",
];
const OFF = [
  "bg-white",
  "bg-rose-50",
  "bg-rose-100",
  "bg-rose-200",
  "bg-rose-400",
  "bg-rose-600 text-white",
];

/**
 * A confusion matrix as a shaded table (rows: truth, columns: prediction): correct cells green,
 * confusions red, darker with the count. Shared by the static tables and the drill-down island,
 * which draws its own cell content through `cell`.
 */
export function ConfusionTable(
  { labels, rowLabels = labels, matrix, testId, levels = 4, background, cell }: {
    /** Column labels (and row labels, unless `rowLabels` differ). */
    labels: string[];
    rowLabels?: string[];
    matrix: number[][];
    /** data-testid of the table. */
    testId: string;
    /** Shades above white (4 or 5). */
    levels?: 4 | 5;
    /** Index of a "background" class whose diagonal cell is not a correct answer. */
    background?: number;
    /** Custom cell content (e.g. a button), given the count, row, column and shade classes. */
    cell?: (v: number, i: number, j: number, shade: string) => ComponentChildren;
  },
) {
  const max = Math.max(1, ...matrix.flat());
  const shade = (v: number, diag: boolean) =>
    (diag ? DIAG : OFF)[
      v === 0 ? 0 : Math.min(levels, 1 + Math.floor((v / max) * (levels - 0.001)))
    ];
  return (
    <table class="text-xs border-collapse" data-testid={testId}>
      <thead>
        <tr>
          <th class="p-1 text-left text-slate-500">truth ↓ / predicted →</th>
          {labels.map((l) => (
            <th key={l} class="p-1 font-medium text-slate-700 max-w-[6rem] truncate" title={l}>
              {l}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {matrix.map((r, i) => (
          <tr key={i}>
            <th
              class="p-1 text-left font-medium text-slate-700 max-w-[8rem] truncate"
              title={rowLabels[i]}
            >
              {rowLabels[i]}
            </th>
            {r.map((v, j) => {
              const s = shade(v, i === j && i !== background);
              return cell
                ? (
                  <td key={j} class="p-0 border border-slate-200">
                    {cell(v, i, j, s)}
                  </td>
                )
                : (
                  <td
                    key={j}
                    class={`w-12 h-8 text-center tabular-nums border border-slate-200 ${s}`}
                  >
                    {v}
                  </td>
                );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A confusion matrix as a shaded table with its reading guide; no drill-down. */
export function MatrixTable(
  { labels, matrix, unit }: { labels: string[]; matrix: number[][]; unit: string },
) {
  return (
    <div class="overflow-x-auto">
      <p class="text-xs text-slate-500 mb-2">
        Rows: the true class; columns: the predicted class; cells count {unit}.
      </p>
      <ConfusionTable labels={labels} matrix={matrix} testId="class-confusion" />
    </div>
  );
}
