import { useEffect, useState } from "preact/hooks";

/** One output file, relative to the run folder. */
interface Output {
  path: string;
  size: number | null;
}

interface Props {
  /** The run whose folder is listed. */
  runId: string;
  /** The files known when the page was rendered. */
  initial: Output[];
  /** True when the run has ended (nothing new will appear, so no polling). */
  ended: boolean;
}

function size(n: number | null): string {
  if (n === null) return "";
  return n < 1024
    ? `${n} B`
    : n < 1048576
    ? `${(n / 1024).toFixed(1)} KiB`
    : `${(n / 1048576).toFixed(1)} MiB`;
}

/** The run's outputs as download links, refreshed while the run is writing them. */
export default function RunOutputs({ runId, initial, ended: endedAtRender }: Props) {
  const [filesSig, setFiles] = useState(initial);
  const [errorSig, setError] = useState<string | null>(null);
  const [ended, setEnded] = useState(endedAtRender);
  const load = async () => {
    try {
      const res = await fetch(`/api/runs/${encodeURIComponent(runId)}/files`);
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      setFiles(body.files);
      setEnded(body.ended);
      setError(null);
    } catch (e) {
      setError(`Could not refresh the outputs (${e instanceof Error ? e.message : e}).`);
    }
  };
  useEffect(() => {
    if (ended) return;
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [ended]);
  // one last look once the run ends: the final files are written just before
  useEffect(() => {
    if (ended && !endedAtRender) load();
  }, [ended]);
  const href = (p: string) =>
    `/api/runs/${encodeURIComponent(runId)}/files?path=${encodeURIComponent(p)}`;
  return (
    <div data-testid="outputs-box">
      {errorSig && (
        <p role="alert" class="text-xs text-amber-800">
          {errorSig} <button type="button" class="underline" onClick={load}>retry</button>
        </p>
      )}
      {filesSig.length
        ? (
          <ul class="text-sm font-mono" data-testid="outputs">
            {filesSig.map((o) => (
              <li key={o.path} class="flex gap-2">
                <a class="text-sky-700 hover:underline break-all" href={href(o.path)} download>
                  {o.path}
                </a>
                <span class="text-xs text-slate-400 whitespace-nowrap">{size(o.size)}</span>
              </li>
            ))}
          </ul>
        )
        : <p class="text-sm text-slate-500">Nothing written yet.</p>}
    </div>
  );
}
