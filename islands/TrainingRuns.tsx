import { useComputed, useSignal, useSignalEffect } from "@preact/signals";
import { RunsTable } from "@/components/training/RunsTable.tsx";
import { type RunRecord, TERMINAL } from "@/lib/training/types.ts";

interface Props {
  /** Runs as the server rendered them. */
  initial: RunRecord[];
  /** The list's filters as a query string (`status=running&q=detr`), reused when polling. */
  query: string;
  /** Server time of the render (epoch ms), for durations of running runs. */
  now: number;
}

/** How often the list is read again while a run in it is still active (ms). */
const POLL_MS = 4000;

/** The runs table, refreshed every few seconds while any run is still active. */
export default function TrainingRuns({ initial, query, now }: Props) {
  const runsSig = useSignal(initial);
  const atSig = useSignal(now);
  const errorSig = useSignal<string | null>(null);
  const activeSig = useComputed(() => runsSig.value.some((r) => !TERMINAL.has(r.status)));
  const error = errorSig.value;

  useSignalEffect(() => {
    if (!activeSig.value) return;
    let stop = false;
    const poll = async () => {
      try {
        const res = await fetch(`/api/runs?${query}`, { headers: { accept: "application/json" } });
        const body = await res.json();
        if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
        if (stop) return;
        runsSig.value = body.runs;
        atSig.value = Date.now();
        errorSig.value = null;
      } catch (e) {
        if (!stop) {
          errorSig.value = `Could not refresh the runs: ${e instanceof Error ? e.message : e}`;
        }
      }
    };
    const t = setInterval(poll, POLL_MS);
    return () => {
      stop = true;
      clearInterval(t);
    };
  });

  return (
    <div aria-live="polite">
      {error && (
        <p role="alert" class="mb-3 rounded bg-amber-50 px-3 py-2 text-sm text-amber-800">
          {error} (retrying)
        </p>
      )}
      <RunsTable runs={runsSig.value} now={atSig.value} />
    </div>
  );
}
