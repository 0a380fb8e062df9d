import { classColor } from "@/lib/data/colors.ts";
import { type Params, paramsSig, thresholdSourceSig } from "./state.ts";

interface Props {
  /** The task of the first model (which controls apply). */
  task?: string;
  /** Class names by label, for the class filter and legend. */
  labels: string[];
}

const set = (patch: Partial<Params>) => (paramsSig.value = { ...paramsSig.value, ...patch });
const num = (e: Event) => Number((e.target as HTMLInputElement).value);

/**
 * Threshold and max detections (detection tasks), top-k (classification), mask opacity and the
 * class filter: each applies at once, without running the model again.
 */
export function Controls({ task, labels }: Props) {
  const p = paramsSig.value;
  const detection = task === "detection" || task === "instance_segmentation";
  const masks = task !== "classification" && task !== "detection";
  return (
    <div class="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 text-sm md:grid-cols-2">
      {detection && (
        <label class="block">
          <span class="flex justify-between text-slate-700">
            Confidence threshold{" "}
            <output data-testid="threshold">{p.confidence_threshold.toFixed(2)}</output>
          </span>
          <input
            type="range"
            name="confidence_threshold"
            min="0"
            max="1"
            step="0.01"
            class="w-full"
            value={p.confidence_threshold}
            onInput={(e) => set({ confidence_threshold: num(e) })}
          />
          <span class="text-xs text-slate-500">Default: {thresholdSourceSig.value}</span>
        </label>
      )}
      <div class="flex gap-4">
        {detection && (
          <label class="block">
            <span class="block text-slate-700">Max detections</span>
            <input
              type="number"
              name="max_detections"
              min="1"
              max="1000"
              class="mt-1 w-24 rounded-md border border-slate-300 px-2 py-1"
              value={p.max_detections}
              onChange={(e) => set({ max_detections: Math.max(1, Math.trunc(num(e)) || 1) })}
            />
          </label>
        )}
        {task === "classification" && (
          <label class="block">
            <span class="block text-slate-700">Top-k</span>
            <input
              type="number"
              name="top_k"
              min="1"
              max="100"
              class="mt-1 w-20 rounded-md border border-slate-300 px-2 py-1"
              value={p.top_k}
              onChange={(e) => set({ top_k: Math.max(1, Math.trunc(num(e)) || 1) })}
            />
          </label>
        )}
        {masks && (
          <label class="block flex-1">
            <span class="block text-slate-700">Mask opacity {Math.round(p.opacity * 100)} %</span>
            <input
              type="range"
              name="opacity"
              min="0"
              max="1"
              step="0.05"
              class="w-full"
              value={p.opacity}
              onInput={(e) => set({ opacity: num(e) })}
            />
          </label>
        )}
      </div>
      {labels.length > 0 && (
        <fieldset class="md:col-span-2">
          <legend class="text-slate-700">Classes shown (legend)</legend>
          <div class="mt-1 flex flex-wrap gap-x-4 gap-y-1">
            {labels.slice(0, 200).map((name, i) => (
              <label key={i} class="flex items-center gap-1.5">
                <input
                  type="checkbox"
                  checked={!p.hidden.includes(i)}
                  onChange={(e) =>
                    set({
                      hidden: (e.target as HTMLInputElement).checked
                        ? p.hidden.filter((h) => h !== i)
                        : [...p.hidden, i],
                    })}
                />
                <span
                  class="inline-block h-3 w-3 rounded-sm"
                  style={{ background: classColor(i) }}
                  aria-hidden="true"
                />
                {name}
              </label>
            ))}
          </div>
        </fieldset>
      )}
    </div>
  );
}
