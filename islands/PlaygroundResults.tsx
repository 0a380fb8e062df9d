import { untracked, useComputed, useSignal, useSignalEffect } from "@preact/signals";
import { Controls } from "@/components/inference/Controls.tsx";
import { ResultCard } from "@/components/inference/ResultCard.tsx";
import { ResultsTable } from "@/components/inference/ResultsTable.tsx";
import { batchZip, resultsCsv, saveBlob } from "@/components/inference/results.ts";
import { contractJson, refilter } from "@/components/inference/runner.ts";
import { BTN2 } from "@/components/inference/SlotPicker.tsx";
import {
  activeSlotsSig,
  batchSig,
  imagesSig,
  paramsSig,
  resultsSig,
} from "@/components/inference/state.ts";

interface Props {
  /** Shown before any result exists. */
  emptyHint: string;
}

/** Results: controls that re-filter instantly, the gallery, the table, downloads, and lv-results. */
export default function PlaygroundResults({ emptyHint }: Props) {
  const json = useSignal<{ a: string | null; b: string | null }>({ a: null, b: null });
  // Threshold, max detections and top-k re-decode kept outputs; the model does not run again.
  // Opacity and the class filter only redraw, so they are not part of what re-filters.
  const filterBy = useComputed(() => {
    const p = paramsSig.value;
    return `${p.confidence_threshold}|${p.max_detections}|${p.top_k}`;
  });
  useSignalEffect(() => {
    filterBy.value;
    const t = setTimeout(() => refilter(), 30);
    return () => clearTimeout(t);
  });
  const running = useComputed(() => batchSig.value.running);
  // The serving-contract JSON (downloads, lv-results), once a batch is over and on every
  // re-filter: it follows the results only (images added since wait for the next run).
  useSignalEffect(() => {
    resultsSig.value;
    if (running.value) return;
    let stop = false;
    untracked(() => Promise.all([contractJson("a"), contractJson("b")])).then(([a, b]) => {
      if (!stop) json.value = { a: a && JSON.stringify(a), b: b && JSON.stringify(b) };
    }).catch(() => {});
    return () => {
      stop = true;
    };
  });
  const results = resultsSig.value;

  const slots = activeSlotsSig.value;
  const images = imagesSig.value;
  const any = Object.keys(results).length > 0;
  const first = slots[0]?.info;
  const labels = [...new Set(slots.flatMap((s) => s.info?.labels ?? []))];
  const ids = slots.map((s) => s.id);
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(":", "");
  return (
    <section aria-labelledby="lv-results-h">
      <h2 id="lv-results-h" class="font-semibold text-slate-900 mb-2">3. Results</h2>
      {first && <Controls task={first.task ?? taskOf(results)} labels={first.labels ?? labels} />}
      {!any && <p class="mt-3 text-sm text-slate-500">{emptyHint}</p>}
      {any && (
        <>
          <div class="mt-3 flex flex-wrap gap-2" data-testid="downloads">
            {ids.map((s) => (
              <button
                key={s}
                type="button"
                class={BTN2}
                disabled={!json.value[s]}
                data-download={`json-${s}`}
                onClick={() =>
                  saveBlob(
                    new Blob([json.value[s]!], { type: "application/json" }),
                    `predictions-${s}-${stamp}.json`,
                  )}
              >
                JSON{ids.length > 1 ? ` (${s === "a" ? "first" : "second"})` : ""}
              </button>
            ))}
            <button
              type="button"
              class={BTN2}
              data-download="csv"
              onClick={() =>
                saveBlob(
                  new Blob([resultsCsv(ids)], { type: "text/csv" }),
                  `predictions-${stamp}.csv`,
                )}
            >
              CSV
            </button>
            <button
              type="button"
              class={BTN2}
              data-download="zip"
              onClick={async () => saveBlob(await batchZip(ids), `playground-${stamp}.zip`)}
            >
              Zip (images + JSON + CSV)
            </button>
          </div>
          <ul
            class={`mt-3 grid gap-4 ${slots.length === 1 ? "lg:grid-cols-2" : ""}`}
            data-testid="gallery"
          >
            {images.map((img) => (
              <ResultCard
                key={img.id}
                image={img}
                cells={slots.map((s) => ({ slot: s, result: results[`${s.id}:${img.id}`] }))}
              />
            ))}
          </ul>
          <ResultsTable images={images} slots={slots} results={results} />
        </>
      )}
      {json.value.a && <JsonScript id="lv-results" text={json.value.a} />}
      {json.value.b && <JsonScript id="lv-results-b" text={json.value.b} />}
    </section>
  );
}

/** The results as the page's machine-readable JSON (what the JSON download gives). */
function JsonScript({ id, text }: { id: string; text: string }) {
  // Rendered in the browser only, as a DOM text node: no HTML parsing, nothing to escape.
  return <script type="application/json" id={id}>{text}</script>;
}

/** An endpoint's task, from the shape of its answers (its model.json is not in the browser). */
function taskOf(results: Record<string, { prediction?: object }>): string | undefined {
  const p = Object.values(results).find((r) => r.prediction)?.prediction;
  if (!p) return undefined;
  return "top_k" in p ? "classification" : "boxes" in p ? "detection" : "semantic_segmentation";
}
