import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { Sample } from "@/lib/data/samples.ts";
import type { ClassStat, Problem } from "@/lib/data/types.ts";
import { datasetClassColor } from "@/lib/data/colors.ts";
import {
  annotationLine,
  errorText,
  flaggedAnnotations,
  sampleClasses,
  sampleQuery,
  type SampleView,
} from "@/lib/data/eda_page.ts";
import { callJson } from "@/lib/web/call_json.ts";
import { SampleDrawing } from "./SampleDrawing.tsx";

interface Props {
  /** Scan the sample belongs to. */
  scanId: string;
  /** The split and image (COCO image id or file path) to show. */
  view: SampleView;
  classes: ClassStat[];
  /** The split's format: COCO category ids are coloured by their class index, as everywhere. */
  format: string;
  /** Problems of this image, listed under it. */
  problems: Problem[];
  onClose: () => void;
}

/** A large view of one image with boxes, polygons and masks drawn in class colours. */
export function SampleViewer({ scanId, view, classes, format, problems, onClose }: Props) {
  const color = datasetClassColor(format, classes.map((c) => c.id));
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    // a modal <dialog> sits in the top layer: no positioning CSS, Escape closes it
    if (dialog.current && !dialog.current.open) dialog.current.showModal();
  }, []);
  const sampleSig = useSignal<Sample | null>(null);
  const errorSig = useSignal<string | null>(null);
  const labelsSig = useSignal(true);
  const opacitySig = useSignal(0.6);
  /** The image's natural size, for samples that do not carry one. */
  const sizeSig = useSignal<{ w: number; h: number } | null>(null);
  const load = async () => {
    errorSig.value = null;
    try {
      sampleSig.value = await callJson<Sample>(
        `/api/data/scans/${scanId}/samples?${sampleQuery(view)}`,
      );
    } catch (e) {
      errorSig.value = `Could not load the sample: ${errorText(e)}`;
    }
  };
  useEffect(() => void load(), [scanId, view.split, String(view.image)]);
  const sample = sampleSig.value, error = errorSig.value, size = sizeSig.value;
  const image = view.image;
  const name = (id: number) => classes.find((c) => c.id === id)?.name ?? `class ${id}`;
  const W = sample?.width || size?.w || 100, H = sample?.height || size?.h || 100;
  // annotations named by a problem are outlined in red
  const bad = flaggedAnnotations(problems);
  const used = sample ? sampleClasses(sample) : [];
  return (
    <dialog
      ref={dialog}
      aria-label="Sample"
      class="rounded-lg shadow-xl w-full max-w-5xl p-0 backdrop:bg-slate-900/60"
      data-sample-viewer
      onClose={onClose}
    >
      <div class="bg-white rounded-lg p-4">
        <div class="flex items-center justify-between mb-3 gap-3">
          <h2 class="font-semibold text-slate-900 truncate">{sample?.file ?? String(image)}</h2>
          <div class="flex items-center gap-3 text-sm">
            <label class="flex items-center gap-1">
              <input
                type="checkbox"
                checked={labelsSig.value}
                onChange={(e) => labelsSig.value = e.currentTarget.checked}
              />{" "}
              labels
            </label>
            {(sample?.mask || sample?.annotations.some((a) => a.rle)) && (
              <label class="flex items-center gap-1">
                mask opacity{" "}
                <input
                  type="range"
                  min="0"
                  max="1"
                  step="0.05"
                  value={opacitySig.value}
                  onInput={(e) => opacitySig.value = Number(e.currentTarget.value)}
                />
              </label>
            )}
            <button
              type="button"
              class="rounded border border-slate-300 px-3 py-1 hover:bg-slate-50"
              onClick={onClose}
            >
              Close
            </button>
          </div>
        </div>
        {error && (
          <p role="alert" class="mb-3 rounded bg-red-50 px-3 py-2 text-sm text-red-800">
            {error} <button type="button" class="underline" onClick={load}>Retry</button>
          </p>
        )}
        {sample && !sample.file && (
          <p class="text-sm text-amber-800 bg-amber-50 rounded px-3 py-2 mb-2">
            The images folder was not found, so only the annotations are drawn.
          </p>
        )}
        {sample && (
          <div class="grid grid-cols-1 md:grid-cols-[1fr_16rem] gap-4">
            <SampleDrawing
              sample={sample}
              image={image}
              width={W}
              height={H}
              labels={labelsSig.value}
              opacity={opacitySig.value}
              flagged={bad}
              name={name}
              color={color}
              onSize={(w, h) => sizeSig.value = { w, h }}
            />
            <aside class="text-sm space-y-3">
              <div>
                <h3 class="font-semibold text-slate-800 mb-1">Legend</h3>
                <ul class="space-y-1">
                  {used.map((id) => (
                    <li key={id} class="flex items-center gap-2">
                      <svg width="12" height="12" aria-hidden="true">
                        <rect width="12" height="12" fill={color(id)} />
                      </svg>
                      {name(id)}
                    </li>
                  ))}
                </ul>
              </div>
              {sample.annotations.length > 0 && (
                <div>
                  <h3 class="font-semibold text-slate-800 mb-1">
                    Annotations ({sample.annotations.length})
                  </h3>
                  <ul class="space-y-1 max-h-64 overflow-auto text-xs">
                    {sample.annotations.map((a, i) => (
                      <li key={i}>{annotationLine(a, name(a.category_id))}</li>
                    ))}
                  </ul>
                </div>
              )}
              {problems.length > 0 && (
                <div>
                  <h3 class="font-semibold text-red-800 mb-1">Problems ({problems.length})</h3>
                  <ul class="space-y-1 text-xs">
                    {problems.map((p, i) => (
                      <li key={i}>
                        <b>{p.code}</b>: {p.message}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
            </aside>
          </div>
        )}
      </div>
    </dialog>
  );
}
