import type { ModelChoice, Slot } from "./state.ts";
import { fmtBytes, fmtMs, webgpuSig } from "./state.ts";
import { chooseModel, loadSlot, setBackend } from "./runner.ts";

/** Shared button styles of the Playground. */
export const BTN =
  "rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-50";
export const BTN2 =
  "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-50";

const GROUPS: [ModelChoice["kind"], string][] = [
  ["version", "Registered versions"],
  ["run", "Training runs (exported ONNX)"],
  ["endpoint", "Serving endpoints"],
];

interface Props {
  /** The slot shown. */
  slot: Slot;
  /** Every model the page offers. */
  choices: ModelChoice[];
  /** False until the island hydrated: controls stay disabled. */
  ready: boolean;
}

/** One model slot: which model, which backend, its size before download, and what ran. */
export function SlotPicker({ slot, choices, ready }: Props) {
  const gpu = webgpuSig.value;
  const info = slot.info;
  const busy = slot.status === "downloading" || slot.status === "loading";
  const endpoint = slot.choiceKey.startsWith("endpoint:");
  const title = slot.id === "a" ? "Model" : "Second model";
  return (
    <div class="rounded-lg border border-slate-200 bg-white p-4" data-slot={slot.id}>
      <label class="block text-sm font-medium text-slate-700" for={`lv-model-${slot.id}`}>
        {title}
      </label>
      <select
        id={`lv-model-${slot.id}`}
        name={`model-${slot.id}`}
        class="mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
        disabled={!ready || busy}
        value={slot.choiceKey}
        onChange={(e) => chooseModel(slot.id, (e.target as HTMLSelectElement).value)}
      >
        <option value="">Choose a model…</option>
        {GROUPS.map(([kind, label]) => {
          const list = choices.filter((c) => c.kind === kind);
          return list.length > 0 && (
            <optgroup key={kind} label={label}>
              {list.map((c) => <option key={c.key} value={c.key}>{c.label}</option>)}
            </optgroup>
          );
        })}
      </select>
      <fieldset class="mt-3 flex flex-wrap items-center gap-4 text-sm" disabled={!ready || busy}>
        <legend class="sr-only">Backend</legend>
        {endpoint
          ? <span class="text-slate-600">Runs on the endpoint; the server makes the call.</span>
          : (
            <>
              <label class="flex items-center gap-1.5">
                <input
                  type="radio"
                  name={`backend-${slot.id}`}
                  value="wasm"
                  checked={slot.backend === "wasm"}
                  onChange={() => setBackend(slot.id, "wasm")}
                />
                WASM (CPU)
              </label>
              <label class={`flex items-center gap-1.5 ${gpu.ok ? "" : "text-slate-400"}`}>
                <input
                  type="radio"
                  name={`backend-${slot.id}`}
                  value="webgpu"
                  disabled={!gpu.ok}
                  checked={slot.backend === "webgpu"}
                  onChange={() => setBackend(slot.id, "webgpu")}
                />
                WebGPU
              </label>
              <span class="text-xs text-slate-500" data-testid="webgpu-status">
                {!gpu.checked
                  ? "Checking for WebGPU…"
                  : gpu.ok
                  ? "WebGPU available (often slower than WASM for small models)"
                  : `WebGPU unavailable: ${gpu.reason}`}
              </span>
            </>
          )}
      </fieldset>
      {info && !endpoint && (
        <p class="mt-3 text-sm text-slate-700" data-testid="model-size">
          {info.task} · {info.labels?.length ?? "?"} classes · model.onnx{" "}
          <strong>{fmtBytes(info.bytes)}</strong>
          {info.sha256 ? ` · sha256 ${info.sha256.slice(0, 12)}…` : " · not checksummed (run)"}
        </p>
      )}
      {info?.serves && (
        <p class="mt-3 text-sm text-slate-700">
          Serves {info.serves.map((s) => `${s.model} v${s.version}`).join(", ") || "nothing yet"}
        </p>
      )}
      {info && !endpoint && slot.status !== "ready" && (
        <button
          type="button"
          class={`${BTN2} mt-3`}
          disabled={!ready || busy}
          onClick={() => loadSlot(slot.id).catch(() => {})}
        >
          {slot.status === "downloading"
            ? `Downloading… ${slot.progress !== undefined ? Math.round(slot.progress * 100) : ""}%`
            : slot.status === "loading"
            ? "Starting onnxruntime…"
            : `Download and load (${fmtBytes(info.bytes)})`}
        </button>
      )}
      {slot.status === "ready" && slot.ran !== "endpoint" && (
        <p class="mt-3 text-sm text-emerald-800" data-testid={`loaded-${slot.id}`}>
          Ran on <strong data-testid={`backend-${slot.id}`}>{slot.ran?.toUpperCase()}</strong>
          {` · download ${fmtMs(slot.downloadMs)}${slot.fromCache ? " (from cache)" : ""}`}
          {` · session ${fmtMs(slot.loadMs)} · warm-up ${fmtMs(slot.warmupMs)}`}
        </p>
      )}
      {slot.fallback && (
        <p role="alert" class="mt-2 rounded bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {slot.fallback}
        </p>
      )}
      {slot.note && <p class="mt-2 text-sm text-amber-900">{slot.note}</p>}
      {slot.error && (
        <p role="alert" class="mt-2 rounded bg-red-50 px-3 py-2 text-sm text-red-800">
          {slot.error}{" "}
          <button
            type="button"
            class="underline"
            onClick={() =>
              slot.info ? loadSlot(slot.id).catch(() => {}) : chooseModel(slot.id, slot.choiceKey)}
          >
            Retry
          </button>
        </p>
      )}
    </div>
  );
}
