import { useEffect, useRef } from "preact/hooks";
import { classColor } from "@/lib/data/colors.ts";
import { drawPrediction } from "@/lib/inference/draw.ts";
import { bitmapOf } from "./runner.ts";
import { annotatedPng, disagreement, saveBlob, summarize } from "./results.ts";
import { fmtMs, type ImageResult, type InputImage, paramsSig, type Slot } from "./state.ts";

interface Props {
  /** The image. */
  image: InputImage;
  /** The slots in play, with their result for this image. */
  cells: { slot: Slot; result?: ImageResult }[];
}

/** One image with each model's answer drawn on it, side by side, and where they disagree. */
export function ResultCard({ image, cells }: Props) {
  const differs = cells.length === 2
    ? disagreement(cells[0].result?.prediction, cells[1].result?.prediction)
    : null;
  return (
    <li class="rounded-lg border border-slate-200 bg-white p-3" data-testid="result-card">
      <p class="mb-2 truncate text-sm font-medium text-slate-800" title={image.name}>
        {image.name}{" "}
        <span class="font-normal text-slate-500">
          {image.width}×{image.height} · {image.source}
        </span>
      </p>
      <div class={`grid gap-3 ${cells.length === 2 ? "grid-cols-2" : ""}`}>
        {cells.map((c) => <Cell key={c.slot.id} image={image} {...c} />)}
      </div>
      {cells.length === 2 && (
        <p
          data-testid="disagreement"
          class={`mt-2 text-sm ${differs ? "text-amber-800" : "text-emerald-800"}`}
        >
          {differs ? `Disagree: ${differs}` : "Both models agree on this image."}
        </p>
      )}
    </li>
  );
}

function Cell({ image, slot, result }: { image: InputImage; slot: Slot; result?: ImageResult }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const params = paramsSig.value;
  const p = result?.prediction;
  useEffect(() => {
    let stop = false;
    bitmapOf(image.id)?.then((bmp) => {
      if (!stop && canvas.current) {
        drawPrediction(canvas.current, bmp, p, {
          hidden: new Set(params.hidden),
          opacity: params.opacity,
        });
      }
    });
    return () => (stop = true);
  }, [p, params.hidden, params.opacity, image.id]);
  const hidden = new Set(params.hidden);
  return (
    <div data-slot={slot.id}>
      <canvas
        ref={canvas}
        class="h-auto w-full rounded border border-slate-100"
        aria-label={`${image.name} with ${slot.info?.choice.label ?? "model"}'s answer drawn on it`}
      />
      <p class="mt-1 text-xs text-slate-500">
        {slot.info?.choice.label} · {result?.ran?.toUpperCase() ?? "not run"}
        {result?.inferMs !== undefined && ` · inference ${fmtMs(result.inferMs)}`}
        {result?.totalMs !== undefined && ` · total ${fmtMs(result.totalMs)}`}
      </p>
      {result?.error && <p role="alert" class="mt-1 text-sm text-red-800">{result.error}</p>}
      {p && "top_k" in p && (
        <ol class="mt-2 space-y-1" data-testid="topk">
          {p.top_k.filter((t) => !hidden.has(t.label)).map((t) => (
            <li key={t.label} class="text-sm" data-label={t.label_name}>
              <div class="flex justify-between">
                <span>{t.label_name}</span>
                <span class="tabular-nums">{t.score.toFixed(3)}</span>
              </div>
              <div class="h-2 rounded bg-slate-100">
                <div
                  class="h-2 rounded"
                  style={{
                    width: `${(100 * t.score).toFixed(1)}%`,
                    background: classColor(t.label),
                  }}
                />
              </div>
            </li>
          ))}
        </ol>
      )}
      {p && !("top_k" in p) && (
        <p class="mt-1 text-sm text-slate-700" data-testid="summary">
          {summarize(p, slot.info?.labels)}
        </p>
      )}
      {p && (
        <button
          type="button"
          class="mt-1 text-xs text-sky-700 underline"
          onClick={async () =>
            saveBlob(await annotatedPng(slot.id, image.id), `${image.name}-${slot.id}.png`)}
        >
          Annotated PNG
        </button>
      )}
    </div>
  );
}
