import { type Signal, useComputed, useSignal } from "@preact/signals";
import type { DeltaColumn, DeltaSpec } from "@/lib/data/delta.ts";
import { guessColumns } from "@/lib/data/delta_guess.ts";
import { errorText } from "@/lib/data/eda_page.ts";
import { callJson } from "@/lib/web/call_json.ts";

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

/** A column picker over the loaded table's columns. */
function ColumnSelect(
  { name, text, value, cols, optional = false }: {
    name: string;
    text: string;
    value: Signal<string>;
    cols: DeltaColumn[];
    optional?: boolean;
  },
) {
  return (
    <label class="text-sm">
      <span class="block text-slate-600 mb-1">{text}</span>
      <select
        name={name}
        class="w-full rounded border border-slate-300 px-2 py-1"
        value={value.value}
        onChange={(e) => value.value = e.currentTarget.value}
      >
        <option value="">{optional ? "(none: one split)" : "choose…"}</option>
        {cols.map((c) => <option key={c.name} value={c.name}>{c.name} ({c.type})</option>)}
      </select>
    </label>
  );
}

/**
 * Picks a Delta table (one row per image) and its image, label and split columns; the column
 * lists come from the table itself through /api/data/delta/columns.
 */
export function DeltaSource({ initialTable, disabled, running, onScan, onCancel }: Props) {
  const tableSig = useSignal(initialTable);
  const colsSig = useSignal<DeltaColumn[] | null>(null);
  /** The table the columns were read from. */
  const loadedSig = useSignal("");
  const imageSig = useSignal("");
  const labelSig = useSignal("");
  const splitSig = useSignal("");
  const errorSig = useSignal<string | null>(null);
  const loadingSig = useSignal(false);
  /** The name was edited since the columns were read. */
  const staleSig = useComputed(() =>
    colsSig.value !== null && tableSig.value.trim() !== loadedSig.value
  );

  async function load() {
    errorSig.value = null;
    loadingSig.value = true;
    try {
      const body = await callJson<{ table: string; columns: DeltaColumn[] }>(
        `/api/data/delta/columns?table=${encodeURIComponent(tableSig.value)}`,
      );
      const guess = guessColumns(body.columns);
      colsSig.value = body.columns;
      loadedSig.value = body.table;
      tableSig.value = body.table;
      imageSig.value = guess.image;
      labelSig.value = guess.label;
      splitSig.value = guess.split;
    } catch (e) {
      colsSig.value = null;
      errorSig.value = `Could not read the table's columns: ${errorText(e)}`;
    } finally {
      loadingSig.value = false;
    }
  }

  const table = tableSig.value, cols = colsSig.value, stale = staleSig.value;
  const loading = loadingSig.value, error = errorSig.value;
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
            onInput={(e) => tableSig.value = e.currentTarget.value}
            onKeyDown={(e) => e.key === "Enter" && tableSig.value.trim() && load()}
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
          <ColumnSelect
            name="imageColumn"
            text="Image column (path or bytes)"
            value={imageSig}
            cols={cols}
          />
          <ColumnSelect name="labelColumn" text="Label column" value={labelSig} cols={cols} />
          <ColumnSelect
            name="splitColumn"
            text="Split column (optional)"
            value={splitSig}
            cols={cols}
            optional
          />
        </div>
      )}
      {stale && (
        <p class="text-sm text-amber-800">The table name changed: load its columns again.</p>
      )}
      <div class="flex gap-2">
        <button
          type="button"
          disabled={disabled || !cols || stale || !imageSig.value || !labelSig.value}
          onClick={() =>
            onScan({
              table: loadedSig.value,
              imageColumn: imageSig.value,
              labelColumn: labelSig.value,
              ...(splitSig.value ? { splitColumn: splitSig.value } : {}),
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
