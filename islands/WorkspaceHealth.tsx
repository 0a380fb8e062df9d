import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { AreaHealth } from "@/lib/workspace/types.ts";

interface Props {
  /** Health as checked by the server when the page rendered. */
  initial: AreaHealth[];
  /** When that check ran (epoch ms). */
  checkedAt: number;
}

/** The per-area health table with a "Check again" button. */
export default function WorkspaceHealth({ initial, checkedAt }: Props) {
  const areasSig = useSignal(initial);
  const atSig = useSignal(checkedAt);
  const busySig = useSignal(false);
  const errorSig = useSignal<string | null>(null);
  const readySig = useSignal(false);
  useEffect(() => {
    readySig.value = true;
  }, []);
  const areas = areasSig.value, at = atSig.value, busy = busySig.value;
  const error = errorSig.value, ready = readySig.value;

  async function recheck() {
    busySig.value = true;
    errorSig.value = null;
    try {
      const res = await fetch("/api/workspace/health", { headers: { accept: "application/json" } });
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      areasSig.value = body.areas;
      atSig.value = body.checkedAt;
    } catch (e) {
      errorSig.value = `Could not check the workspace: ${e instanceof Error ? e.message : e}`;
    } finally {
      busySig.value = false;
    }
  }

  return (
    <section class="rounded-lg border border-slate-200 bg-white p-5" aria-live="polite">
      <div class="flex items-center justify-between mb-3">
        <h2 class="font-semibold text-slate-900">Workspace health</h2>
        <button
          type="button"
          onClick={recheck}
          disabled={!ready || busy}
          class="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50 disabled:opacity-50"
        >
          {busy ? "Checking…" : "Check again"}
        </button>
      </div>
      {error && (
        <p role="alert" class="mb-3 rounded bg-red-50 px-3 py-2 text-sm text-red-800">
          {error} <button type="button" class="underline" onClick={recheck}>Retry</button>
        </p>
      )}
      <ul class="divide-y divide-slate-100">
        {areas.map((a) => (
          <li key={a.area} class="py-2 flex items-start gap-3 text-sm" data-area={a.area}>
            <span
              class={`mt-0.5 inline-block w-16 text-center rounded-full text-xs font-medium px-2 py-0.5 ${
                a.ok
                  ? "bg-green-100 text-green-800"
                  : a.unavailable
                  ? "bg-slate-100 text-slate-600"
                  : "bg-red-100 text-red-800"
              }`}
            >
              {a.ok ? "OK" : a.unavailable ? "not yet" : "failing"}
            </span>
            <span class="w-20 font-medium capitalize">{a.area}</span>
            <span class="flex-1 text-slate-600">{a.detail}</span>
            <span class="text-xs text-slate-400 tabular-nums">{a.ms} ms</span>
          </li>
        ))}
      </ul>
      <p class="text-xs text-slate-400 mt-2">
        Checked{" "}
        <time dateTime={new Date(at).toISOString()}>
          {new Date(at).toISOString().slice(11, 19)} UTC
        </time>
      </p>
    </section>
  );
}
