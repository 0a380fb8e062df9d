import { useSignal, useSignalEffect } from "@preact/signals";
import { useRef } from "preact/hooks";
import { linkSig, stageSig } from "@/components/training/run_state.ts";
import { formatBytes } from "@/lib/format.ts";
import { outputHref, outputsPollMs } from "@/lib/training/run_live.ts";
import type { RunOutput } from "@/lib/training/outputs.ts";

interface Props {
  /** The run whose folder is listed. */
  runId: string;
  /** The files known when the page was rendered. */
  initial: RunOutput[];
  /** True when the run has ended (nothing new will appear). */
  ended: boolean;
}

/**
 * The run's outputs as download links. The list is read again when the run moves to a new
 * phase or status (as RunLive hears it, through the page's shared state) — a phase ends with
 * files written — and once more when the run ends; only while the event stream is down does it
 * also look every so often.
 */
export default function RunOutputs({ runId, initial, ended: endedAtRender }: Props) {
  const filesSig = useSignal(initial);
  const errorSig = useSignal<string | null>(null);
  const endedSig = useSignal(endedAtRender);
  const seenChanges = useRef(0);
  const files = filesSig.value, error = errorSig.value;

  const load = async () => {
    try {
      const res = await fetch(`/api/runs/${encodeURIComponent(runId)}/files`);
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      filesSig.value = body.files;
      endedSig.value = endedSig.value || body.ended === true;
      errorSig.value = null;
    } catch (e) {
      errorSig.value = `Could not refresh the outputs (${e instanceof Error ? e.message : e}).`;
    }
  };

  // A new stage of the run: its files are listed again (the final ones once it has ended).
  useSignalEffect(() => {
    const trail = stageSig.value;
    if (!trail || trail.runId !== runId || trail.changes <= seenChanges.current) return;
    seenChanges.current = trail.changes;
    if (trail.ended) endedSig.value = true;
    load();
  });

  // Without the event stream, no news of the run's stages may come: look now and then.
  useSignalEffect(() => {
    const ms = outputsPollMs(linkSig.value, endedSig.value);
    if (ms === null) return;
    const t = setInterval(load, ms);
    return () => clearInterval(t);
  });

  return (
    <div data-testid="outputs-box">
      {error && (
        <p role="alert" class="text-xs text-amber-800">
          {error} <button type="button" class="underline" onClick={load}>retry</button>
        </p>
      )}
      {files.length
        ? (
          <ul class="text-sm font-mono" data-testid="outputs">
            {files.map((o) => (
              <li key={o.path} class="flex gap-2">
                <a
                  class="text-sky-700 hover:underline break-all"
                  href={outputHref(runId, o.path)}
                  download
                >
                  {o.path}
                </a>
                <span class="text-xs text-slate-400 whitespace-nowrap">
                  {o.size === null ? "" : formatBytes(o.size)}
                </span>
              </li>
            ))}
          </ul>
        )
        : <p class="text-sm text-slate-500">Nothing written yet.</p>}
    </div>
  );
}
