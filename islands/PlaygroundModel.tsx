import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { SlotPicker } from "@/components/inference/SlotPicker.tsx";
import {
  chooseModel,
  probeWebGpu,
  setBackend,
  setPixelBudget,
} from "@/components/inference/runner.ts";
import { activeSlotsSig, compareSig, type ModelChoice } from "@/components/inference/state.ts";

interface Props {
  /** Every model the page offers: versions, runs, endpoints. */
  choices: ModelChoice[];
  /** Preselected from the deep link (`?model=&version=&backend=`): slot a's key and backend. */
  initial: { key?: string; backend?: "wasm" | "webgpu" | "endpoint"; compareKey?: string };
  /** The server's pixel budget (LAKEVISION_MAX_DECODE_PIXELS), applied before any decode. */
  maxPixels: number;
}

/** Model choice for the Playground: one slot, or two in compare mode. */
export default function PlaygroundModel({ choices, initial, maxPixels }: Props) {
  const ready = useSignal(false);
  useEffect(() => {
    setPixelBudget(maxPixels);
    ready.value = true;
    (async () => {
      await probeWebGpu();
      if (initial.key) {
        if (initial.backend === "webgpu") await setBackend("a", "webgpu");
        await chooseModel("a", initial.key);
      }
      if (initial.compareKey) {
        compareSig.value = true;
        await chooseModel("b", initial.compareKey);
      }
    })();
  }, []);
  return (
    <section aria-labelledby="lv-model-h" class="mb-6">
      <div class="flex items-center justify-between mb-2">
        <h2 id="lv-model-h" class="font-semibold text-slate-900">1. Choose a model</h2>
        <label class="flex items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            name="compare"
            disabled={!ready.value}
            checked={compareSig.value}
            onChange={(e) => (compareSig.value = (e.target as HTMLInputElement).checked)}
          />
          Compare with a second model
        </label>
      </div>
      {choices.length === 0 && (
        <p class="mb-3 rounded bg-amber-50 px-3 py-2 text-sm text-amber-900">
          No model to try yet: register a version or import an ONNX model on{" "}
          <a class="underline" href="/models">Model Registry</a>, or finish a training run.
        </p>
      )}
      <div class={`grid gap-4 ${compareSig.value ? "md:grid-cols-2" : ""}`}>
        {activeSlotsSig.value.map((s) => (
          <SlotPicker key={s.id} slot={s} choices={choices} ready={ready.value} />
        ))}
      </div>
    </section>
  );
}
