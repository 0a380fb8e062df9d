import { summarize } from "./results.ts";
import { fmtMs, type ImageResult, type InputImage, type Slot } from "./state.ts";

interface Props {
  /** Images in the batch. */
  images: InputImage[];
  /** Slots in play. */
  slots: Slot[];
  /** Results keyed `${slot}:${imageId}`. */
  results: Record<string, ImageResult>;
}

/** The batch as a table: one row per image and model, with timings. */
export function ResultsTable({ images, slots, results }: Props) {
  const rows = images.flatMap((img) =>
    slots.map((s) => ({ img, s, r: results[`${s.id}:${img.id}`] }))
  );
  const latencies = rows.map((x) => x.r?.inferMs).filter((v): v is number => v !== undefined);
  const mean = latencies.length
    ? latencies.reduce((a, b) => a + b, 0) / latencies.length
    : undefined;
  return (
    <div class="mt-4 overflow-x-auto">
      <table class="min-w-full text-sm" data-testid="results-table">
        <caption class="text-left text-xs text-slate-500 mb-1">
          {rows.length} results · mean inference {fmtMs(mean)} (pre- and post-processing apart)
        </caption>
        <thead>
          <tr class="border-b border-slate-200 text-left text-slate-600">
            <th class="py-1 pr-3 font-medium">Image</th>
            <th class="py-1 pr-3 font-medium">Model</th>
            <th class="py-1 pr-3 font-medium">Backend</th>
            <th class="py-1 pr-3 font-medium text-right">Pre</th>
            <th class="py-1 pr-3 font-medium text-right">Inference</th>
            <th class="py-1 pr-3 font-medium text-right">Post</th>
            <th class="py-1 pr-3 font-medium">Answer</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ img, s, r }) => (
            <tr key={`${s.id}:${img.id}`} class="border-b border-slate-100">
              <td class="py-1 pr-3 max-w-48 truncate">{img.name}</td>
              <td class="py-1 pr-3">{s.info?.choice.label ?? "—"}</td>
              <td class="py-1 pr-3">{r?.ran?.toUpperCase() ?? "—"}</td>
              <td class="py-1 pr-3 text-right tabular-nums">{fmtMs(r?.preMs)}</td>
              <td class="py-1 pr-3 text-right tabular-nums" data-testid="latency">
                {fmtMs(r?.inferMs)}
              </td>
              <td class="py-1 pr-3 text-right tabular-nums">{fmtMs(r?.postMs)}</td>
              <td class="py-1 pr-3">
                {r?.error ? `error: ${r.error}` : summarize(r?.prediction, s.info?.labels)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
