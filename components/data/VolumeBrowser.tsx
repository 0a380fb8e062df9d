import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { errorText, parentFolder } from "@/lib/data/eda_page.ts";
import { callJson } from "@/lib/web/call_json.ts";

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
  const listSig = useSignal<Listing | null>(null);
  const errorSig = useSignal<string | null>(null);
  const open = async (dir: string) => {
    errorSig.value = null;
    try {
      listSig.value = await callJson<Listing>(`/api/data/browse?path=${encodeURIComponent(dir)}`);
    } catch (e) {
      errorSig.value = `Could not list ${dir}: ${errorText(e)}`;
    }
  };
  useEffect(() => void open(start), [start]);
  const list = listSig.value, error = errorSig.value;
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
                onClick={() => open(parentFolder(list.path))}
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
