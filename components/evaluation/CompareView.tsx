import EvalCharts from "@/islands/EvalCharts.tsx";
import EvalCompare from "@/islands/EvalCompare.tsx";
import { compareCharts } from "@/lib/evaluation/charts.ts";
import type { Comparison } from "@/lib/evaluation/compare.ts";
import type { ImageDetail } from "@/lib/evaluation/images.ts";
import type { RunEvaluation } from "@/lib/evaluation/types.ts";
import { AnnotatedImage, BoxLegend } from "./AnnotatedImage.tsx";
import { Section, TrustNote } from "./Headline.tsx";

/** 2–6 runs compared: metrics with deltas, overlaid curves, per-class deltas, the same images. */
export function CompareView(
  { evals, comparison, images }: {
    evals: RunEvaluation[];
    comparison: Comparison;
    /** Per image: each run's drawing of it (same order as `evals`). */
    images: ImageDetail[][];
  },
) {
  const charts = compareCharts(evals);
  // a row of drawings exists only when every run drew the image (detection runs only)
  const rows = images.filter((row) => row.length === evals.length && row.every(Boolean));
  return (
    <div data-testid="compare-view" class="print:[body:has(&)_aside]:hidden">
      {evals.some((e) => e.kind === "detection") && (
        <div class="mb-4">
          <TrustNote />
        </div>
      )}
      <Section
        id="metrics"
        title="Metrics side by side"
        note={comparison.metrics.length || comparison.classes.length
          ? "Deltas are against the first run (the baseline). Columns you hide are remembered in this browser."
          : undefined}
      >
        <CompareNotes c={comparison} />
        <EvalCompare comparison={comparison} />
      </Section>
      {charts.length > 0 && (
        <Section id="overlays" title="Curves overlaid">
          <EvalCharts specs={charts} />
        </Section>
      )}
      {rows.length > 0 && (
        <Section
          id="same-images"
          title="The same images, each run's predictions"
          note="The baseline's worst images, each drawn with every run's predictions at that run's recommended threshold."
        >
          <BoxLegend />
          <div class="mt-2 space-y-3" data-testid="side-by-side">
            {rows.map((row) => (
              <div
                key={row[0].id}
                class={`grid gap-2 ${
                  evals.length <= 2
                    ? "grid-cols-2 max-w-2xl"
                    : evals.length === 3
                    ? "grid-cols-3 max-w-3xl"
                    : "grid-cols-2 md:grid-cols-4"
                }`}
              >
                {row.map((im, i) => (
                  <AnnotatedImage
                    key={i}
                    image={im}
                    caption={`${evals[i].name} · ${im.fileName}`}
                  />
                ))}
              </div>
            ))}
          </div>
        </Section>
      )}
    </div>
  );
}

/** Why some metrics are not in the table: the runs' kinds differ, or some runs lack them. */
function CompareNotes({ c }: { c: Comparison }) {
  if (c.warning) {
    return (
      <p
        class="mb-4 text-sm text-amber-800 bg-amber-50 border border-amber-200 rounded p-2"
        data-testid="compare-warning"
      >
        {c.warning}
      </p>
    );
  }
  if (!c.omitted.length) return null;
  return (
    <p class="mb-4 text-xs text-slate-500" data-testid="compare-omitted">
      Left out, as not every run has {c.omitted.length === 1 ? "it" : "them"}:{" "}
      {c.omitted.map((m) => m.label).join(", ")}.
    </p>
  );
}
