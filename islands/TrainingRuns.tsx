import { useEffect, useState } from "preact/hooks";
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

/** The runs table, refreshed every few seconds while any run is still active. */
export default function TrainingRuns({ initial, query, now }: Props) {
  const [runs, setRuns] = useState(initial);
  const [at, setAt] = useState(now);
  const [error, setError] = useState<string | null>(null);
  const active = runs.some((r) => !TERMINAL.has(r.status));

  useEffect(() => {
    if (!active) return;
    let stop = false;
    const poll = async () => {
      try {
        const res = await fetch(`/api/runs?${query}`, { headers: { accept: "application/json" } });
        const body = await res.json();
        if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
        if (!stop) {
          setRuns(body.runs);
          setAt(Date.now());
          setError(null);
        }
      } catch (e) {
        if (!stop) setError(`Could not refresh the runs: ${e instanceof Error ? e.message : e}`);
      }
    };
    const t = setInterval(poll, 4000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [active, query]);

  return (
    <div aria-live="polite">
      {error && (
        <p role="alert" class="mb-3 rounded bg-amber-50 px-3 py-2 text-sm text-amber-800">
          {error} (retrying)
        </p>
      )}
      <RunsTable runs={runs} now={at} />
    </div>
  );
}
