const DIAG = ["bg-white", "bg-emerald-50", "bg-emerald-100", "bg-emerald-200", "bg-emerald-400"];
const OFF = ["bg-white", "bg-rose-50", "bg-rose-100", "bg-rose-200", "bg-rose-400"];

/** A confusion matrix as a shaded table (rows: truth, columns: prediction); no drill-down. */
export function MatrixTable(
  { labels, matrix, unit }: { labels: string[]; matrix: number[][]; unit: string },
) {
  const max = Math.max(1, ...matrix.flat());
  const shade = (v: number, diag: boolean) =>
    (diag ? DIAG : OFF)[v === 0 ? 0 : Math.min(4, 1 + Math.floor((v / max) * 3.999))];
  return (
    <div class="overflow-x-auto">
      <p class="text-xs text-slate-500 mb-2">
        Rows: the true class; columns: the predicted class; cells count {unit}.
      </p>
      <table class="text-xs border-collapse" data-testid="class-confusion">
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
              <th class="p-1 text-left font-medium text-slate-700">{labels[i]}</th>
              {r.map((v, j) => (
                <td
                  key={j}
                  class={`w-12 h-8 text-center tabular-nums border border-slate-200 ${
                    shade(v, i === j)
                  }`}
                >
                  {v}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
