import { type ReadonlySignal, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { SampleRef } from "@/lib/data/samples.ts";
import {
  classNamesOf,
  errorText,
  sampleCaption,
  SAMPLES_PAGE,
  samplesQuery,
} from "@/lib/data/eda_page.ts";
import { datasetClassColor } from "@/lib/data/colors.ts";
import type { ClassStat } from "@/lib/data/types.ts";
import { callJson, retryable } from "@/lib/web/call_json.ts";

interface Props {
  scanId: string;
  split: string;
  /** The dataset's format and the split's classes, for the thumbnails' captions. */
  format: string;
  classes: ClassStat[];
  /** Only images with this class (null = all). */
  classId: ReadonlySignal<number | null>;
  /** Only images with a problem of this rule ("" = all). */
  problem: ReadonlySignal<string>;
  onOpen: (image: number | string) => void;
}

/** A page of thumbnails of the split, filtered by class; click opens the sample view. */
export function SampleGrid(
  { scanId, split, format, classes, classId: classIdSig, problem: problemSig, onOpen }: Props,
) {
  const names = new Map(classes.map((c) => [c.id, c.name]));
  const colorOf = datasetClassColor(format, classes.map((c) => c.id));
  const listingSig = useSignal<{ total: number; items: SampleRef[] } | null>(null);
  /** The page shown, for the filters it was turned under: other filters start at the first. */
  const atSig = useSignal({ filters: "", offset: 0 });
  const errorSig = useSignal<string | null>(null);
  const canRetrySig = useSignal(false);
  const classId = classIdSig.value, problem = problemSig.value;
  const filters = JSON.stringify([split, classId, problem]);
  const offset = atSig.value.filters === filters ? atSig.value.offset : 0;
  const turn = (to: number) => atSig.value = { filters, offset: to };
  const load = async (stale = () => false) => {
    errorSig.value = null;
    try {
      const body = await callJson<{ total: number; items: SampleRef[] }>(
        `/api/data/scans/${scanId}/samples?${samplesQuery(split, offset, classId, problem)}`,
      );
      if (!stale()) listingSig.value = body;
    } catch (e) {
      if (stale()) return;
      errorSig.value = `Could not list samples: ${errorText(e)}`;
      canRetrySig.value = retryable(e);
    }
  };
  useEffect(() => {
    // an answer for filters or a page no longer shown is dropped
    let stale = false;
    void load(() => stale);
    return () => {
      stale = true;
    };
  }, [scanId, filters, offset]);
  const page = listingSig.value, error = errorSig.value;
  return (
    <section class="rounded-lg border border-slate-200 bg-white p-4" data-samples>
      <div class="flex items-center justify-between mb-2">
        <h2 class="font-semibold text-slate-900">
          Samples{" "}
          {page && <span class="text-sm font-normal text-slate-500">({page.total} images)</span>}
        </h2>
        {page && page.total > SAMPLES_PAGE && (
          <div class="flex gap-2 text-sm">
            <button
              type="button"
              disabled={offset === 0}
              class="rounded border border-slate-300 px-2 disabled:opacity-40"
              onClick={() => turn(Math.max(0, offset - SAMPLES_PAGE))}
            >
              ‹ prev
            </button>
            <span class="tabular-nums">
              {offset + 1}–{Math.min(page.total, offset + SAMPLES_PAGE)}
            </span>
            <button
              type="button"
              disabled={offset + SAMPLES_PAGE >= page.total}
              class="rounded border border-slate-300 px-2 disabled:opacity-40"
              onClick={() => turn(offset + SAMPLES_PAGE)}
            >
              next ›
            </button>
          </div>
        )}
      </div>
      {error && (
        <p role="alert" class="rounded bg-red-50 px-3 py-2 text-sm text-red-800">
          {error} {canRetrySig.value && (
            <button
              type="button"
              class="underline"
              onClick={() => load()}
            >
              Retry
            </button>
          )}
        </p>
      )}
      <ul class="grid grid-cols-3 sm:grid-cols-4 lg:grid-cols-6 gap-2">
        {page?.items.map((s) => {
          const caption = sampleCaption(format, s.classes, names);
          return (
            <li key={String(s.image)}>
              <button
                type="button"
                class="block w-full aspect-square overflow-hidden rounded border border-slate-200 bg-slate-100 hover:ring-2 hover:ring-blue-500"
                title={s.file ?? String(s.image)}
                data-thumb={String(s.image)}
                onClick={() => onOpen(s.image)}
              >
                {s.broken
                  ? (
                    <span class="text-xs text-red-700 break-all">
                      missing or unreadable: {s.file}
                    </span>
                  )
                  : s.file
                  ? (
                    <img
                      src={`/api/data/file?path=${encodeURIComponent(s.file)}&thumb=192`}
                      alt={s.file}
                      loading="lazy"
                      class="w-full h-full object-cover"
                    />
                  )
                  : <span class="text-xs text-slate-500">image {String(s.image)}</span>}
              </button>
              {caption !== null && (
                <p
                  class="mt-0.5 flex items-center gap-1 text-xs text-slate-600 truncate"
                  title={classNamesOf(s.classes, names).join(", ") || caption}
                  data-caption={String(s.image)}
                >
                  {s.classes.length > 0 && (
                    <span
                      class="inline-block h-2 w-2 shrink-0 rounded-full"
                      style={{ background: colorOf(s.classes[0]) }}
                    />
                  )}
                  <span class="truncate">{caption}</span>
                </p>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
