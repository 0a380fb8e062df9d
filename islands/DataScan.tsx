import { useEffect, useRef, useState } from "preact/hooks";
import type { ScanRecord } from "@/lib/data/registry.ts";
import { VolumeBrowser } from "@/components/data/VolumeBrowser.tsx";
import { ScanResultView } from "@/components/data/ScanResultView.tsx";
import { DeltaSource } from "@/components/data/DeltaSource.tsx";
import type { DeltaSpec } from "@/lib/data/delta.ts";

interface Candidate {
  label: string;
  path: string;
  images?: string;
}

interface Props {
  /** Dataset paths from the active config (train/val/test). */
  candidates: Candidate[];
  /** Folder the browser starts in. */
  volume: string;
  /** Path to pre-fill (from `?path=`). */
  initialPath: string;
  /** Databricks mode: Delta tables can be scanned; the table name to pre-fill. Null locally. */
  delta?: { initialTable: string } | null;
  /** A scan to show (from `?scan=`), so results survive a reload and can be shared. */
  initialScan?: string | null;
}

const FORMATS = ["auto", "coco", "coco-panoptic", "imagefolder", "masks"];
const sec = (
  ms?: number,
) => (ms === undefined ? "" : ms < 1000 ? "<1 s" : `${Math.ceil(ms / 1000)} s`);

/** Pick a dataset, scan it with live progress (cancellable), then explore stats, problems, samples. */
export default function DataScan(
  { candidates, volume, initialPath, delta, initialScan }: Props,
) {
  const [source, setSource] = useState<"files" | "delta">("files");
  /** What the last scan was started with, for Retry. */
  const last = useRef<[boolean, DeltaSpec | undefined]>([false, undefined]);
  const [path, setPath] = useState(initialPath || candidates[0]?.path || "");
  const [images, setImages] = useState(
    candidates.find((c) => c.path === initialPath)?.images ?? candidates[0]?.images ?? "",
  );
  const [format, setFormat] = useState("auto");
  const [rec, setRec] = useState<ScanRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [browse, setBrowse] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    setReady(true);
    if (initialScan) poll(initialScan, true);
    return () => clearTimeout(timer.current);
  }, []);

  /** Puts the scan in the address bar (replacing, so Back still leaves the page). */
  function remember(id: string, scannedPath?: string) {
    const q = new URLSearchParams({ scan: id });
    if (scannedPath) q.set("path", scannedPath);
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }

  async function call(url: string, init?: RequestInit) {
    const res = await fetch(url, {
      ...init,
      headers: { accept: "application/json", "content-type": "application/json" },
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
    return body;
  }

  async function poll(id: string, fromUrl = false) {
    try {
      const r: ScanRecord = await call(`/api/data/scans/${encodeURIComponent(id)}?result=0`);
      if (r.status === "running") {
        setRec(r);
        timer.current = setTimeout(() => poll(id), 400);
      } else setRec(await call(`/api/data/scans/${encodeURIComponent(id)}`));
    } catch (e) {
      setError(
        fromUrl
          ? `The scan in this link is no longer kept (${
            e instanceof Error ? e.message : e
          }); Retry scans ${path || "the dataset"} again.`
          : `Lost track of the scan: ${e instanceof Error ? e.message : e}`,
      );
    }
  }

  /** Scans the typed path, (`all`) every split of the active config together, or a Delta table. */
  async function start(all = false, table?: DeltaSpec) {
    last.current = [all, table];
    setError(null);
    setRec(null);
    const body = table ? { delta: table } : all
      ? {
        format,
        splits: candidates.map((c) => ({ name: c.label, path: c.path, images: c.images })),
      }
      : { path, format, images: images || undefined };
    try {
      const r: ScanRecord = await call("/api/data/scans", {
        method: "POST",
        body: JSON.stringify(body),
      });
      setRec(r);
      remember(r.id, table || all ? undefined : path);
      poll(r.id);
    } catch (e) {
      setError(`Could not start the scan: ${e instanceof Error ? e.message : e}`);
    }
  }

  async function cancel() {
    if (rec) {
      await call(`/api/data/scans/${rec.id}`, { method: "DELETE" }).catch((e) =>
        setError(String(e))
      );
    }
  }

  const p = rec?.progress;
  return (
    <div class="space-y-6">
      <section class="rounded-lg border border-slate-200 bg-white p-4 space-y-3">
        {delta && (
          <div role="radiogroup" aria-label="Source" class="flex gap-4 text-sm">
            {([["files", "Volume files"], ["delta", "Delta table"]] as const).map(([v, text]) => (
              <label key={v} class="flex items-center gap-1">
                <input
                  type="radio"
                  name="source"
                  value={v}
                  checked={source === v}
                  onChange={() => setSource(v)}
                />
                {text}
              </label>
            ))}
          </div>
        )}
        {delta && source === "delta" && (
          <DeltaSource
            initialTable={delta.initialTable}
            disabled={!ready || rec?.status === "running"}
            running={rec?.status === "running"}
            onScan={(t) => start(false, t)}
            onCancel={cancel}
          />
        )}
        {source === "files" && candidates.length > 0 && (
          <div class="flex flex-wrap gap-2 text-sm">
            <span class="text-slate-500">From the active config:</span>
            {candidates.map((c) => (
              <button
                key={c.label}
                type="button"
                class="rounded-full border border-slate-300 px-3 py-0.5 hover:bg-slate-50"
                onClick={() => (setPath(c.path), setImages(c.images ?? ""))}
              >
                {c.label}
              </button>
            ))}
            {candidates.length > 1 && (
              <button
                type="button"
                disabled={!ready || rec?.status === "running"}
                class="rounded-full bg-slate-900 text-white px-3 py-0.5 hover:bg-slate-700 disabled:opacity-50"
                onClick={() => start(true)}
              >
                Scan all {candidates.length} splits together
              </button>
            )}
          </div>
        )}
        {source === "files" && (
          <div class="grid grid-cols-1 md:grid-cols-[1fr_14rem] gap-3">
            <label class="text-sm">
              <span class="block text-slate-600 mb-1">Dataset (folder or annotation JSON)</span>
              <input
                name="path"
                class="w-full rounded border border-slate-300 px-2 py-1 font-mono text-sm"
                value={path}
                onInput={(e) => setPath((e.target as HTMLInputElement).value)}
                placeholder="/Volumes/main/cv/data/coco"
              />
            </label>
            <label class="text-sm">
              <span class="block text-slate-600 mb-1">Format</span>
              <select
                name="format"
                class="w-full rounded border border-slate-300 px-2 py-1"
                value={format}
                onChange={(e) => setFormat((e.target as HTMLSelectElement).value)}
              >
                {FORMATS.map((f) => <option key={f} value={f}>{f}</option>)}
              </select>
            </label>
            <label class="text-sm md:col-span-2">
              <span class="block text-slate-600 mb-1">
                Images folder (for a single JSON; empty = guess / skip file checks)
              </span>
              <input
                name="images"
                class="w-full rounded border border-slate-300 px-2 py-1 font-mono text-sm"
                value={images}
                onInput={(e) => setImages((e.target as HTMLInputElement).value)}
              />
            </label>
          </div>
        )}
        {source === "files" && (
          <div class="flex gap-2">
            <button
              type="button"
              disabled={!ready || !path || rec?.status === "running"}
              onClick={() => start()}
              class="rounded-md bg-blue-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-blue-700 disabled:opacity-50"
            >
              Scan
            </button>
            <button
              type="button"
              disabled={!ready}
              onClick={() =>
                setBrowse(
                  path.startsWith("/Volumes/") ? path.replace(/\/[^/]*\.json$/i, "") : volume,
                )}
              class="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
            >
              Browse…
            </button>
            {rec?.status === "running" && (
              <button
                type="button"
                onClick={cancel}
                class="rounded-md border border-red-300 px-3 py-1.5 text-sm text-red-700 hover:bg-red-50"
              >
                Cancel
              </button>
            )}
          </div>
        )}
        {browse !== null && (
          <VolumeBrowser
            start={browse}
            onPick={(p) => (setPath(p), setBrowse(null))}
            onClose={() => setBrowse(null)}
          />
        )}
        {error && (
          <p role="alert" class="rounded bg-red-50 px-3 py-2 text-sm text-red-800">
            {error}{" "}
            <button type="button" class="underline" onClick={() => start(...last.current)}>
              Retry
            </button>
          </p>
        )}
        {rec && rec.status !== "done" && p && (
          <div aria-live="polite" class="text-sm text-slate-700" data-progress>
            <span class="font-medium">{rec.status === "running" ? p.phase : rec.status}</span>
            {p.split && ` · ${p.split}`} · {p.imagesRead.toLocaleString()} images,{" "}
            {p.annotationsRead.toLocaleString()} annotations read
            {p.filesTotal > 0 && ` · files ${p.filesChecked}/${p.filesTotal}`}
            {p.etaMs !== undefined && ` · about ${sec(p.etaMs)} left`}
            {rec.error && <span class="text-red-700">— {rec.error}</span>}
          </div>
        )}
      </section>
      {rec?.result && <ScanResultView key={rec.id} scanId={rec.id} result={rec.result} />}
    </div>
  );
}
