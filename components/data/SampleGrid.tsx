import { useEffect, useState } from "preact/hooks";
import type { SampleRef } from "@/lib/data/samples.ts";

interface Props {
  scanId: string;
  split: string;
  /** Only images with this class (null = all). */
  classId: number | null;
  /** Only images with a problem of this rule ("" = all). */
  problem: string;
  onOpen: (image: number | string) => void;
}

/** A page of thumbnails of the split, filtered by class; click opens the sample view. */
export function SampleGrid({ scanId, split, classId, problem, onOpen }: Props) {
  const [page, setPage] = useState<{ total: number; items: SampleRef[] } | null>(null);
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    setError(null);
    try {
      const q = new URLSearchParams({ split, offset: String(offset), limit: "24" });
      if (classId !== null) q.set("class", String(classId));
      if (problem) q.set("problem", problem);
      const res = await fetch(`/api/data/scans/${scanId}/samples?${q}`);
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      setPage(body);
    } catch (e) {
      setError(`Could not list samples: ${e instanceof Error ? e.message : e}`);
    }
  };
  useEffect(() => void load(), [scanId, split, classId, problem, offset]);
  useEffect(() => setOffset(0), [classId, split, problem]);
  return (
    <section class="rounded-lg border border-slate-200 bg-white p-4" data-samples>
      <div class="flex items-center justify-between mb-2">
        <h2 class="font-semibold text-slate-900">
          Samples{" "}
          {page && <span class="text-sm font-normal text-slate-500">({page.total} images)</span>}
        </h2>
        {page && page.total > 24 && (
          <div class="flex gap-2 text-sm">
            <button
              type="button"
              disabled={offset === 0}
              class="rounded border border-slate-300 px-2 disabled:opacity-40"
              onClick={() => setOffset(Math.max(0, offset - 24))}
            >
              ‹ prev
            </button>
            <span class="tabular-nums">{offset + 1}–{Math.min(page.total, offset + 24)}</span>
            <button
              type="button"
              disabled={offset + 24 >= page.total}
              class="rounded border border-slate-300 px-2 disabled:opacity-40"
              onClick={() => setOffset(offset + 24)}
            >
              next ›
            </button>
          </div>
        )}
      </div>
      {error && (
        <p role="alert" class="rounded bg-red-50 px-3 py-2 text-sm text-red-800">
          {error} <button type="button" class="underline" onClick={load}>Retry</button>
        </p>
      )}
      <ul class="grid grid-cols-3 sm:grid-cols-4 lg:grid-cols-6 gap-2">
        {page?.items.map((s) => (
          <li key={String(s.image)}>
            <button
              type="button"
              class="block w-full aspect-square overflow-hidden rounded border border-slate-200 bg-slate-100 hover:ring-2 hover:ring-blue-500"
              title={s.file ?? String(s.image)}
              data-thumb={String(s.image)}
              onClick={() => onOpen(s.image)}
            >
              {s.broken
                ? (
                  <span class="text-xs text-red-700 break-all">
                    missing or unreadable: {s.file}
                  </span>
                )
                : s.file
                ? (
                  <img
                    src={`/api/data/file?path=${encodeURIComponent(s.file)}&thumb=192`}
                    alt={s.file}
                    loading="lazy"
                    class="w-full h-full object-cover"
                  />
                )
                : <span class="text-xs text-slate-500">image {String(s.image)}</span>}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
