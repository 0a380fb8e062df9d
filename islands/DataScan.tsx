import { useEffect, useRef, useState } from "preact/hooks";
import type { ScanRecord } from "@/lib/data/registry.ts";
import type { Problem } from "@/lib/data/types.ts";
import { StatsView } from "@/components/data/StatsView.tsx";
import { ProblemList } from "@/components/data/ProblemList.tsx";
import { SampleGrid } from "@/components/data/SampleGrid.tsx";
import { SampleViewer } from "@/components/data/SampleViewer.tsx";

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
}

const FORMATS = ["auto", "coco", "coco-panoptic", "imagefolder", "masks"];
const sec = (
  ms?: number,
) => (ms === undefined ? "" : ms < 1000 ? "<1 s" : `${Math.ceil(ms / 1000)} s`);

/** Pick a dataset, scan it with live progress (cancellable), then explore stats, problems, samples. */
export default function DataScan({ candidates, volume, initialPath }: Props) {
  const [path, setPath] = useState(initialPath || candidates[0]?.path || "");
  const [images, setImages] = useState(
    candidates.find((c) => c.path === initialPath)?.images ?? candidates[0]?.images ?? "",
  );
  const [format, setFormat] = useState("auto");
  const [rec, setRec] = useState<ScanRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [browse, setBrowse] = useState<
    { path: string; entries: { name: string; path: string; dir: boolean }[] } | null
  >(null);
  const [split, setSplit] = useState(0);
  const [classId, setClassId] = useState<number | null>(null);
  const [view, setView] = useState<{ split: string; image: number | string } | null>(null);
  const [ready, setReady] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    setReady(true);
    return () => clearTimeout(timer.current);
  }, []);

  async function call(url: string, init?: RequestInit) {
    const res = await fetch(url, {
      ...init,
      headers: { accept: "application/json", "content-type": "application/json" },
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
    return body;
  }

  async function poll(id: string) {
    try {
      const r: ScanRecord = await call(`/api/data/scans/${id}?result=0`);
      if (r.status === "running") {
        setRec(r);
        timer.current = setTimeout(() => poll(id), 400);
      } else setRec(await call(`/api/data/scans/${id}`));
    } catch (e) {
      setError(`Lost track of the scan: ${e instanceof Error ? e.message : e}`);
    }
  }

  async function start() {
    setError(null);
    setRec(null);
    setSplit(0);
    setClassId(null);
    try {
      const r: ScanRecord = await call("/api/data/scans", {
        method: "POST",
        body: JSON.stringify({ path, format, images: images || undefined }),
      });
      setRec(r);
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

  async function open(dir: string) {
    try {
      setBrowse(await call(`/api/data/browse?path=${encodeURIComponent(dir)}`));
    } catch (e) {
      setError(`Could not list ${dir}: ${e instanceof Error ? e.message : e}`);
    }
  }

  const result = rec?.result;
  const sp = result?.splits[split];
  const p = rec?.progress;
  const openProblem = (pr: Problem) =>
    setView({ split: pr.split ?? sp!.name, image: pr.image_id ?? pr.file! });
  return (
    <div class="space-y-6">
      <section class="rounded-lg border border-slate-200 bg-white p-4 space-y-3">
        {candidates.length > 0 && (
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
          </div>
        )}
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
        <div class="flex gap-2">
          <button
            type="button"
            disabled={!ready || !path || rec?.status === "running"}
            onClick={start}
            class="rounded-md bg-blue-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-blue-700 disabled:opacity-50"
          >
            Scan
          </button>
          <button
            type="button"
            disabled={!ready}
            onClick={() => open(path.startsWith("/Volumes/") ? path : volume)}
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
        {browse && (
          <div
            class="rounded border border-slate-200 p-2 text-sm max-h-64 overflow-auto"
            data-browser
          >
            <div class="flex justify-between mb-1">
              <span class="font-mono text-xs">{browse.path}</span>
              <span class="flex gap-2">
                <button
                  type="button"
                  class="underline"
                  onClick={() => open(browse.path.replace(/\/[^/]+$/, "") || "/Volumes")}
                >
                  up
                </button>
                <button
                  type="button"
                  class="underline"
                  onClick={() => (setPath(browse.path), setBrowse(null))}
                >
                  use this folder
                </button>
                <button type="button" class="underline" onClick={() => setBrowse(null)}>
                  close
                </button>
              </span>
            </div>
            <ul>
              {browse.entries.map((e) => (
                <li key={e.path}>
                  <button
                    type="button"
                    class="hover:underline"
                    onClick={() => (e.dir ? open(e.path) : (setPath(e.path), setBrowse(null)))}
                  >
                    {e.dir ? "📁" : "📄"} {e.name}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )}
        {error && (
          <p role="alert" class="rounded bg-red-50 px-3 py-2 text-sm text-red-800">
            {error} <button type="button" class="underline" onClick={start}>Retry</button>
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
      {result && sp && (
        <>
          <div class="text-sm text-slate-600" data-result>
            {result.format} — {result.reason}. Scanned in {sec(result.durationMs)}.
            {result.notes.map((n) => <div key={n} class="text-amber-800">{n}</div>)}
          </div>
          <div class="flex flex-wrap items-center gap-2">
            {result.splits.map((s, i) => (
              <button
                key={s.name}
                type="button"
                onClick={() => setSplit(i)}
                class={`rounded-md px-3 py-1 text-sm border ${
                  i === split
                    ? "bg-slate-900 text-white border-slate-900"
                    : "border-slate-300 hover:bg-slate-50"
                }`}
              >
                {s.name}
              </button>
            ))}
            <label class="ml-auto text-sm">
              Class{" "}
              <select
                aria-label="Filter by class"
                class="rounded border border-slate-300 px-2 py-1"
                value={classId ?? ""}
                onChange={(e) => {
                  const v = (e.target as HTMLSelectElement).value;
                  setClassId(v === "" ? null : Number(v));
                }}
              >
                <option value="">all classes</option>
                {sp.stats.classes.map((c) => (
                  <option key={c.id} value={c.id}>{c.name} ({c.count})</option>
                ))}
              </select>
            </label>
          </div>
          <StatsView split={sp} />
          <ProblemList
            scanId={rec!.id}
            problems={result.problems}
            counts={result.problemCounts}
            truncated={result.truncated}
            classId={classId}
            onOpen={openProblem}
          />
          {result.format !== "coco-panoptic" && (
            <SampleGrid
              scanId={rec!.id}
              split={sp.name}
              classId={classId}
              onOpen={(image) => setView({ split: sp.name, image })}
            />
          )}
        </>
      )}
      {view && result && (
        <SampleViewer
          scanId={rec!.id}
          split={view.split}
          image={view.image}
          classes={result.splits.find((s) => s.name === view.split)?.stats.classes ?? []}
          problems={result.problems.filter((q) =>
            q.split === view.split && (q.image_id === view.image || q.file === view.image)
          )}
          onClose={() => setView(null)}
        />
      )}
    </div>
  );
}
