import EvalCharts from "@/islands/EvalCharts.tsx";
import EvalClassTable from "@/islands/EvalClassTable.tsx";
import EvalConfusion from "@/islands/EvalConfusion.tsx";
import ClassConfusion from "@/islands/ClassConfusion.tsx";
import {
  classificationCharts,
  detectionCharts,
  historyCharts,
  TIDE_LABELS,
} from "@/lib/evaluation/charts.ts";
import type { ImageDetail } from "@/lib/evaluation/images.ts";
import { CLASS_COLUMNS, classRows, type RunEvaluation } from "@/lib/evaluation/types.ts";
import { noThresholdReason } from "@/lib/evaluation/headline.ts";
import { TIDE_ERRORS } from "@/lib/metrics/mod.ts";
import { AnnotatedImage, BoxLegend } from "./AnnotatedImage.tsx";
import { HeadlineCards, Section, TrustNote } from "./Headline.tsx";
import { MatrixTable } from "./MatrixTable.tsx";

/** One run's evaluation: headline, history, per-class table, curves, confusion, errors, worst images. */
export function RunView({ ev, worst }: { ev: RunEvaluation; worst: ImageDetail[] }) {
  const rep = ev.detection?.report;
  const rows = classRows(ev);
  const history = historyCharts(ev);
  return (
    <div data-testid="run-view" data-run={ev.runId} class="print:[body:has(&)_aside]:hidden">
      <p class="text-sm text-slate-600 mb-3">
        {ev.task.replace(/_/g, " ")} · {ev.model || "model not recorded"}
        {ev.source === "app" && (
          <>
            {" · "}
            <a
              class="text-sky-700 underline print:no-underline"
              href={`/training/${encodeURIComponent(ev.runId)}`}
            >
              training run
            </a>
          </>
        )}
        {ev.inputs && (
          <span class="block text-xs text-slate-500">
            predictions {ev.inputs.predictions} · ground truth {ev.inputs.groundTruth ?? "—"}
            {ev.contentHash &&
              ` · computed ${
                new Date(ev.computedAt).toISOString().slice(0, 16).replace("T", " ")
              } UTC in ${ev.seconds.toFixed(2)} s`}
          </span>
        )}
      </p>
      {ev.note && (
        <p class="mb-4 rounded border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {ev.note}
        </p>
      )}
      {ev.kind === "detection" && (
        <div class="mb-4">
          <TrustNote />
        </div>
      )}
      <HeadlineCards items={ev.headline} />
      {history.length > 0 && (
        <Section
          id="history"
          title="Metric history"
          note="What the training job logged, by optimizer step."
        >
          <EvalCharts specs={history} />
        </Section>
      )}
      {rows.length > 0 && (
        <Section
          id="per-class"
          title="Per class"
          note="Click a column heading to sort; pick columns under “Columns” (remembered in this browser)."
        >
          <EvalClassTable
            columns={CLASS_COLUMNS[ev.kind] ?? []}
            rows={rows}
            storageKey={`lakevision.evaluation.columns.${ev.kind}`}
          />
          {rows.some((r) => Object.values(r.values).some((v) => v < 0)) && (
            <p class="mt-2 text-xs text-slate-500" data-testid="no-value-note">
              — : no value, because the class has nothing to score here (no ground truth
              {ev.kind === "detection" ? ", COCO's -1" : " and no prediction"}).
            </p>
          )}
        </Section>
      )}
      {ev.classification && (
        <Section id="confusion" title="Confusion matrix">
          <ClassConfusion
            labels={ev.classification.labels}
            matrix={ev.classification.confusion}
            cells={ev.classification.cells ?? {}}
            imageDir={ev.inputs?.imageDir ?? null}
          />
        </Section>
      )}
      {ev.classification?.sweep && (
        <Section
          id="curves"
          title="Confidence sweep"
          note="Answering only when the top-1 score reaches a threshold: how many images get an answer, and how often it is right."
        >
          <EvalCharts specs={classificationCharts(ev)} />
        </Section>
      )}
      {ev.semantic && ev.semantic.labels.length <= 40 && (
        <Section id="confusion" title="Confusion matrix">
          <MatrixTable labels={ev.semantic.labels} matrix={ev.semantic.confusion} unit="pixels" />
        </Section>
      )}
      {rep && (
        <>
          <Section
            id="curves"
            title="Curves and the recommended threshold"
            note={noThresholdReason(rep) ??
              `Recommended confidence threshold: ${
                rep.recommendedThreshold.toFixed(2)
              } — the F1-optimal cut over all classes. It is saved with the run as the default threshold for Deployment and the Inference Playground.`}
          >
            <EvalCharts specs={detectionCharts(ev)} />
          </Section>
          <Section id="confusion" title="Confusion matrix">
            <EvalConfusion
              runId={ev.runId}
              labels={rep.confusion.labels}
              rowLabels={rep.confusion.rowLabels}
              matrix={rep.confusion.matrix}
              iou={rep.confusion.iouThreshold}
              confidence={rep.confusion.confidence}
              note={`IoU ≥ ${rep.confusion.iouThreshold}, confidence ≥ ${
                rep.confusion.confidence.toFixed(2)
              } (the recommended threshold). Rows: what the object is; columns: what the model said; duplicate: an extra box on an object another box already matched. Click a cell to see its images.`}
            />
          </Section>
          <Section
            id="errors"
            title="Error analysis (TIDE)"
            note="Every false positive at IoU 0.5 gets one cause; dAP50 is how much AP50 would rise if only that kind of error were fixed."
          >
            <table class="text-sm" data-testid="tide">
              <thead class="bg-slate-50 text-slate-700">
                <tr>
                  <th class="px-2 py-1 text-left font-medium">Error</th>
                  <th class="px-2 py-1 text-right font-medium">Count</th>
                  <th class="px-2 py-1 text-right font-medium">dAP50</th>
                </tr>
              </thead>
              <tbody>
                {TIDE_ERRORS.map((e) => (
                  <tr key={e} class="border-t border-slate-100" data-error={e}>
                    <td class="px-2 py-1">{TIDE_LABELS[e]}</td>
                    <td class="px-2 py-1 text-right tabular-nums">{rep.errors.counts[e]}</td>
                    <td class="px-2 py-1 text-right tabular-nums">
                      {rep.errors.dAP[e].toFixed(4)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <WorstImages ev={ev} worst={worst} />
        </>
      )}
    </div>
  );
}

/** The worst images at the matrix's confidence, with their tallies. */
function WorstImages({ ev, worst }: { ev: RunEvaluation; worst: ImageDetail[] }) {
  const det = ev.detection!, at = det.worstAt.confidence.toFixed(2);
  return (
    <Section
      id="worst"
      title={`Worst images at confidence ≥ ${at}`}
      note={`Counted at the recommended threshold (${at}) and IoU ${det.worstAt.iouThreshold}, as its precision and recall are: most false positives plus misses first, then most misses, then the loosest matched box. Predictions are drawn from ${at} up.`}
    >
      {worst.length === 0
        ? (
          <p class="text-sm text-slate-600">
            No image has a false positive or a miss at confidence ≥ {at}.
          </p>
        )
        : (
          <>
            <BoxLegend />
            <div
              class="grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-4 gap-2 mt-2"
              data-testid="worst"
            >
              {worst.map((im) => {
                const w = det.worst.find((x) => x.id === im.id);
                const iou = w?.minIou == null ? "" : ` · loosest IoU ${w.minIou.toFixed(2)}`;
                return (
                  <AnnotatedImage
                    key={im.id}
                    image={im}
                    caption={`${im.fileName} · ${w?.fp ?? 0} false pos. · ${
                      w?.missed ?? 0
                    } missed${iou}`}
                  />
                );
              })}
            </div>
          </>
        )}
    </Section>
  );
}
