import { useEffect, useState } from "preact/hooks";

interface Props {
  /** Folder to open first. */
  start: string;
  /** A folder or file was chosen. */
  onPick: (path: string) => void;
  onClose: () => void;
}

interface Listing {
  path: string;
  entries: { name: string; path: string; dir: boolean }[];
}

/** Browses a volume's folders through /api/data/browse to pick a dataset. */
export function VolumeBrowser({ start, onPick, onClose }: Props) {
  const [list, setList] = useState<Listing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const open = async (dir: string) => {
    setError(null);
    try {
      const res = await fetch(`/api/data/browse?path=${encodeURIComponent(dir)}`);
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      setList(body);
    } catch (e) {
      setError(`Could not list ${dir}: ${e instanceof Error ? e.message : e}`);
    }
  };
  useEffect(() => void open(start), [start]);
  return (
    <div class="rounded border border-slate-200 p-2 text-sm max-h-64 overflow-auto" data-browser>
      {error && (
        <p role="alert" class="text-red-800">
          {error}{" "}
          <button
            type="button"
            class="underline"
            onClick={() => open(list?.path ?? start)}
          >
            Retry
          </button>
        </p>
      )}
      {list && (
        <>
          <div class="flex justify-between mb-1">
            <span class="font-mono text-xs">{list.path}</span>
            <span class="flex gap-2">
              <button
                type="button"
                class="underline"
                onClick={() => open(list.path.replace(/\/[^/]+$/, "") || "/Volumes")}
              >
                up
              </button>
              <button
                type="button"
                class="underline"
                onClick={() =>
                  onPick(list.path)}
              >
                use this folder
              </button>
              <button type="button" class="underline" onClick={onClose}>close</button>
            </span>
          </div>
          <ul>
            {list.entries.map((e) => (
              <li key={e.path}>
                <button
                  type="button"
                  class="hover:underline"
                  onClick={() => (e.dir ? open(e.path) : onPick(e.path))}
                >
                  {e.dir ? "📁" : "📄"} {e.name}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
