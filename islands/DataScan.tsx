import { useComputed, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { ScanRecord } from "@/lib/data/registry.ts";
import { FORMAT_CHOICES, type FormatChoice } from "@/lib/data/types.ts";
import {
  browseStart,
  type Candidate,
  errorText,
  initialForm,
  progressLine,
  scanAddress,
  scanRequest,
  type ScanTarget,
} from "@/lib/data/eda_page.ts";
import { callJson, retryable } from "@/lib/web/call_json.ts";
import { VolumeBrowser } from "@/components/data/VolumeBrowser.tsx";
import { ScanResultView } from "@/components/data/ScanResultView.tsx";
import { DeltaSource } from "@/components/data/DeltaSource.tsx";

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

const scanUrl = (id: string, full: boolean) =>
  `/api/data/scans/${encodeURIComponent(id)}${full ? "" : "?result=0"}`;

/** Pick a dataset, scan it with live progress (cancellable), then explore stats, problems, samples. */
export default function DataScan(
  { candidates, volume, initialPath, delta, initialScan }: Props,
) {
  const form = initialForm(candidates, initialPath);
  const sourceSig = useSignal<"files" | "delta">("files");
  const pathSig = useSignal(form.path);
  const imagesSig = useSignal(form.images);
  const formatSig = useSignal<FormatChoice>("auto");
  const recSig = useSignal<ScanRecord | null>(null);
  const errorSig = useSignal<string | null>(null);
  /** False when the API refused the request for what it says: trying it again cannot help. */
  const canRetrySig = useSignal(true);
  /** The folder the volume browser shows; null while it is closed. */
  const browseSig = useSignal<string | null>(null);
  const readySig = useSignal(false);
  const runningSig = useComputed(() => recSig.value?.status === "running");
  /** What the last scan was started on, for Retry. */
  const last = useRef<ScanTarget>({ kind: "path" });
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    readySig.value = true;
    if (initialScan) poll(initialScan, true);
    return () => clearTimeout(timer.current);
  }, []);

  /** Follows a scan until it ends (its result is fetched once, at the end). */
  async function poll(id: string, fromUrl = false) {
    try {
      const r = await callJson<ScanRecord>(scanUrl(id, false));
      if (r.status === "running") {
        recSig.value = r;
        timer.current = setTimeout(() => poll(id), 400);
      } else recSig.value = await callJson<ScanRecord>(scanUrl(id, true));
    } catch (e) {
      errorSig.value = fromUrl
        ? `The scan in this link is no longer kept (${errorText(e)}); Retry scans ${
          pathSig.value || "the dataset"
        } again.`
        : `Lost track of the scan: ${errorText(e)}`;
    }
  }

  async function start(target: ScanTarget) {
    last.current = target;
    errorSig.value = null;
    canRetrySig.value = true;
    recSig.value = null;
    const path = pathSig.value;
    const body = scanRequest(
      target,
      { path, format: formatSig.value, images: imagesSig.value },
      candidates,
    );
    try {
      const r = await callJson<ScanRecord>("/api/data/scans", {
        method: "POST",
        body: JSON.stringify(body),
      });
      recSig.value = r;
      // replacing the entry, so Back still leaves the page
      history.replaceState(
        null,
        "",
        scanAddress(location.pathname, r.id, target.kind === "path" ? path : undefined),
      );
      poll(r.id);
    } catch (e) {
      errorSig.value = `Could not start the scan: ${errorText(e)}`;
      canRetrySig.value = retryable(e);
    }
  }

  async function cancel() {
    const rec = recSig.value;
    if (rec) {
      await callJson(`/api/data/scans/${rec.id}`, { method: "DELETE" }).catch((e) =>
        errorSig.value = String(e)
      );
    }
  }

  const source = sourceSig.value, path = pathSig.value, rec = recSig.value;
  const ready = readySig.value, running = runningSig.value, error = errorSig.value;
  const progress = rec && progressLine(rec);
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
                  onChange={() => sourceSig.value = v}
                />
                {text}
              </label>
            ))}
          </div>
        )}
        {delta && source === "delta" && (
          <DeltaSource
            initialTable={delta.initialTable}
            disabled={!ready || running}
            running={running}
            onScan={(table) => start({ kind: "delta", table })}
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
                onClick={() => {
                  pathSig.value = c.path;
                  imagesSig.value = c.images ?? "";
                }}
              >
                {c.label}
              </button>
            ))}
            {candidates.length > 1 && (
              <button
                type="button"
                disabled={!ready || running}
                class="rounded-full bg-slate-900 text-white px-3 py-0.5 hover:bg-slate-700 disabled:opacity-50"
                onClick={() => start({ kind: "splits" })}
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
                onInput={(e) => pathSig.value = e.currentTarget.value}
                placeholder="/Volumes/main/cv/data/coco"
              />
            </label>
            <label class="text-sm">
              <span class="block text-slate-600 mb-1">Format</span>
              <select
                name="format"
                class="w-full rounded border border-slate-300 px-2 py-1"
                value={formatSig.value}
                onChange={(e) => formatSig.value = e.currentTarget.value as FormatChoice}
              >
                {FORMAT_CHOICES.map((f) => <option key={f} value={f}>{f}</option>)}
              </select>
            </label>
            <label class="text-sm md:col-span-2">
              <span class="block text-slate-600 mb-1">
                Images folder (for a single JSON; empty = guess / skip file checks)
              </span>
              <input
                name="images"
                class="w-full rounded border border-slate-300 px-2 py-1 font-mono text-sm"
                value={imagesSig.value}
                onInput={(e) => imagesSig.value = e.currentTarget.value}
              />
            </label>
          </div>
        )}
        {source === "files" && (
          <div class="flex gap-2">
            <button
              type="button"
              disabled={!ready || !path || running}
              onClick={() => start({ kind: "path" })}
              class="rounded-md bg-blue-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-blue-700 disabled:opacity-50"
            >
              Scan
            </button>
            <button
              type="button"
              disabled={!ready}
              onClick={() => browseSig.value = browseStart(path, volume)}
              class="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
            >
              Browse…
            </button>
            {running && (
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
        {browseSig.value !== null && (
          <VolumeBrowser
            start={browseSig.value}
            onPick={(picked) => {
              pathSig.value = picked;
              browseSig.value = null;
            }}
            onClose={() => browseSig.value = null}
          />
        )}
        {error && (
          <p role="alert" class="rounded bg-red-50 px-3 py-2 text-sm text-red-800">
            {error} {canRetrySig.value && (
              <button
                type="button"
                class="underline"
                onClick={() => start(last.current)}
              >
                Retry
              </button>
            )}
          </p>
        )}
        {rec && progress && (
          <div aria-live="polite" class="text-sm text-slate-700" data-progress>
            <span class="font-medium">{progress.head}</span>
            {progress.detail}
            {rec.error && <span class="text-red-700">{` — ${rec.error}`}</span>}
          </div>
        )}
      </section>
      {rec?.result && <ScanResultView key={rec.id} scanId={rec.id} result={rec.result} />}
    </div>
  );
}
