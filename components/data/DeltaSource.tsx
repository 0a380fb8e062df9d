import { useState } from "preact/hooks";
import type { DeltaColumn, DeltaSpec } from "@/lib/data/delta.ts";

interface Props {
  /** Table name to pre-fill, e.g. `main.vision.` from the workspace's catalog and schema. */
  initialTable: string;
  /** Scanning is not possible right now (not hydrated yet, or a scan is running). */
  disabled: boolean;
  /** A scan is running (shows Cancel). */
  running: boolean;
  onScan: (spec: DeltaSpec) => void;
  onCancel: () => void;
}

/** First column whose name matches, in the order of the patterns. */
function guess(cols: DeltaColumn[], patterns: RegExp[], not: string[] = []): string {
  for (const re of patterns) {
    const c = cols.find((c) => re.test(c.name) && !not.includes(c.name));
    if (c) return c.name;
  }
  return "";
}

/**
 * Picks a Delta table (one row per image) and its image, label and split columns; the column
 * lists come from the table itself through /api/data/delta/columns.
 */
export function DeltaSource({ initialTable, disabled, running, onScan, onCancel }: Props) {
  const [table, setTable] = useState(initialTable);
  const [cols, setCols] = useState<DeltaColumn[] | null>(null);
  const [loaded, setLoaded] = useState("");
  const [image, setImage] = useState("");
  const [label, setLabel] = useState("");
  const [split, setSplit] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  async function load() {
    setError(null);
    setLoading(true);
    try {
      const res = await fetch(`/api/data/delta/columns?table=${encodeURIComponent(table)}`, {
        headers: { accept: "application/json" },
      });
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      const c: DeltaColumn[] = body.columns;
      setCols(c);
      setLoaded(body.table);
      setTable(body.table);
      const img = guess(c, [/^(image_?)?path$/i, /^(file_?)?path$/i, /image|img|file|path/i]) ||
        c.find((x) => x.type === "BINARY")?.name || "";
      setImage(img);
      setLabel(guess(c, [/^label$/i, /^(class|category)(_?name)?$/i, /label|class|category/i], [
        img,
      ]));
      setSplit(guess(c, [/^split$/i, /^(subset|fold|partition)$/i], [img]));
    } catch (e) {
      setCols(null);
      setError(`Could not read the table's columns: ${e instanceof Error ? e.message : e}`);
    } finally {
      setLoading(false);
    }
  }

  const select = (
    name: string,
    text: string,
    value: string,
    set: (v: string) => void,
    optional = false,
  ) => (
    <label class="text-sm">
      <span class="block text-slate-600 mb-1">{text}</span>
      <select
        name={name}
        class="w-full rounded border border-slate-300 px-2 py-1"
        value={value}
        onChange={(e) => set((e.target as HTMLSelectElement).value)}
      >
        <option value="">{optional ? "(none: one split)" : "choose…"}</option>
        {cols!.map((c) => <option key={c.name} value={c.name}>{c.name} ({c.type})</option>)}
      </select>
    </label>
  );

  const stale = cols !== null && table.trim() !== loaded;
  return (
    <div class="space-y-3" data-delta>
      <div class="flex flex-wrap items-end gap-2">
        <label class="text-sm grow">
          <span class="block text-slate-600 mb-1">
            Delta table (catalog.schema.table, one row per image)
          </span>
          <input
            name="table"
            class="w-full rounded border border-slate-300 px-2 py-1 font-mono text-sm"
            value={table}
            onInput={(e) => setTable((e.target as HTMLInputElement).value)}
            onKeyDown={(e) => e.key === "Enter" && table.trim() && load()}
            placeholder="main.vision.pets"
          />
        </label>
        <button
          type="button"
          disabled={disabled || loading || !table.trim()}
          onClick={load}
          class="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
        >
          {loading ? "Reading…" : "Load columns"}
        </button>
      </div>
      {cols && (
        <div class="grid grid-cols-1 md:grid-cols-3 gap-3">
          {select("imageColumn", "Image column (path or bytes)", image, setImage)}
          {select("labelColumn", "Label column", label, setLabel)}
          {select("splitColumn", "Split column (optional)", split, setSplit, true)}
        </div>
      )}
      {stale && (
        <p class="text-sm text-amber-800">The table name changed: load its columns again.</p>
      )}
      <div class="flex gap-2">
        <button
          type="button"
          disabled={disabled || !cols || stale || !image || !label}
          onClick={() =>
            onScan({
              table: loaded,
              imageColumn: image,
              labelColumn: label,
              ...(split ? { splitColumn: split } : {}),
            })}
          class="rounded-md bg-blue-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-blue-700 disabled:opacity-50"
        >
          Scan table
        </button>
        {running && (
          <button
            type="button"
            onClick={onCancel}
            class="rounded-md border border-red-300 px-3 py-1.5 text-sm text-red-700 hover:bg-red-50"
          >
            Cancel
          </button>
        )}
      </div>
      {error && <p role="alert" class="rounded bg-red-50 px-3 py-2 text-sm text-red-800">{error}
      </p>}
    </div>
  );
}
