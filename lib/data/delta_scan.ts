/**
 * A Delta table scan as a ScanResult, so the page shows it like any other dataset: rows are read
 * through the workspace's `DeltaTableReader` with live progress, then checked by
 * `scanDeltaTable`. Results are not cached: a table has no cheap content key here, and a scan
 * re-reads what the table holds now.
 */
import { NotFoundError } from "@/lib/errors.ts";
import type { FilesApi } from "@/lib/workspace/types.ts";
import type { Sample } from "./samples.ts";
import { type DeltaSpec, type DeltaTableReader, scanDeltaTable } from "./delta.ts";
import { DatasetError } from "./detect.ts";
import type { ProblemSink } from "./problems.ts";
import type { ScanProgress, ScanResult } from "./types.ts";

/** Bumped with the scanner's own version in the cache key, kept here for the result. */
const DELTA_SCAN_VERSION = 1;

/**
 * Scans a Delta table with one row per image. `emit` receives progress (rows read count as
 * images), `version` is the scanner's result version.
 */
export async function runDeltaScan(
  spec: DeltaSpec,
  reader: DeltaTableReader | undefined,
  files: FilesApi | null,
  opts: {
    signal: AbortSignal;
    emit: (patch: Partial<ScanProgress>, fraction?: number) => void;
    version: number;
    t0: number;
  },
): Promise<ScanResult> {
  if (!reader) {
    throw new DatasetError(
      "Delta tables are read through a Databricks workspace's SQL warehouse; none is available here",
    );
  }
  const { emit, signal } = opts;
  emit({ phase: "reading", split: spec.table });
  let rows = 0, rewritten = 0;
  const counting: DeltaTableReader = {
    columns: (t) => reader.columns(t),
    async *rows(t, cols, o) {
      const img = cols.indexOf(spec.imageColumn);
      for await (const batch of reader.rows(t, cols, o)) {
        rows += batch.length;
        for (const r of batch) {
          const v = r[img];
          // Spark writes volume paths as dbfs:/Volumes/... or /dbfs/Volumes/... (FUSE).
          if (typeof v === "string" && /^(dbfs:|\/dbfs)\/Volumes\//.test(v)) {
            r[img] = v.slice(5);
            rewritten++;
          }
        }
        emit({ phase: "reading", imagesRead: rows });
        yield batch;
        signal.throwIfAborted();
      }
    },
  };
  const cols = await reader.columns(spec.table);
  const byPath = cols.find((c) => c.name === spec.imageColumn)?.type !== "BINARY";
  const out = await scanDeltaTable(counting, spec, byPath ? files : null, { signal });
  emit({ phase: "done", imagesRead: rows }, 1);
  const fileChecks = byPath && files !== null;
  const notes = [`${rows.toLocaleString("en")} rows read from ${spec.table}`];
  if (rewritten) {
    notes.push(
      `${rewritten.toLocaleString("en")} image paths given as dbfs:/Volumes/… read as /Volumes/…`,
    );
  }
  if (fileChecks) notOnVolumes(out.sink, notes);
  if (!byPath) {
    notes.push(`${spec.imageColumn} holds image bytes: sizes and readability not checked`);
  }
  const columns = [spec.imageColumn, spec.labelColumn, spec.splitColumn].filter(Boolean);
  return {
    version: opts.version,
    key: `delta:v${DELTA_SCAN_VERSION}:${spec.table}:${columns.join(",")}:${Date.now()}`,
    format: "delta",
    reason: `Delta table ${spec.table} (image ${spec.imageColumn}, label ${spec.labelColumn}${
      spec.splitColumn ? `, split ${spec.splitColumn}` : ""
    })`,
    createdAt: Date.now(),
    durationMs: Math.round(performance.now() - opts.t0),
    fileChecks,
    notes,
    splits: out.splits.map((s) => ({
      name: s.name,
      format: "delta",
      sources: [spec.table],
      fileChecks,
      stats: s.stats,
    })),
    problems: out.sink.list,
    problemCounts: out.sink.counts,
    truncated: out.sink.truncated,
    plan: {
      format: "delta",
      splits: out.splits.map((s) => ({ name: s.name })),
      reason: `Delta table ${spec.table}`,
    },
  };
}

/**
 * The sample view of a Delta scan's problem row: the image file named in a problem of that split
 * (the scan keeps no row list, so only located images can be opened), without annotations.
 */
export function deltaSample(result: ScanResult, split: string, image: string): Sample {
  const hits = result.problems.filter((p) => p.file === image && (p.split ?? split) === split);
  if (!hits.length) {
    throw new NotFoundError(`${image} is not a located problem image of split "${split}"`);
  }
  return {
    split,
    image,
    file: image,
    width: 0,
    height: 0,
    annotations: [],
    broken: hits.some((p) => p.code === "image_missing" || p.code === "image_unreadable"),
  };
}

/**
 * Images outside Unity Catalog volumes (s3://, abfss://, workspace paths) cannot be opened
 * through the Files API: instead of calling each one missing, say once per split that they were
 * not checked.
 */
function notOnVolumes(sink: ProblemSink, notes: string[]): void {
  const outside = new Map<string, { n: number; example: string }>();
  const keep = sink.list.filter((p) => {
    if (p.code !== "image_missing" || !p.file || p.file.startsWith("/Volumes/")) return true;
    const k = p.split ?? "";
    const o = outside.get(k) ?? { n: 0, example: p.file };
    o.n++;
    outside.set(k, o);
    return false;
  });
  if (!outside.size) return;
  const total = [...outside.values()].reduce((a, o) => a + o.n, 0);
  sink.list.splice(0, sink.list.length, ...keep);
  sink.counts.image_missing -= total;
  if (!sink.counts.image_missing) delete sink.counts.image_missing;
  for (const [split, o] of outside) {
    sink.add(
      "image_not_checked",
      "warning",
      `${o.n} image path(s) are not under /Volumes/ (e.g. ${o.example}); the app opens images through Unity Catalog volumes only, so these were not checked`,
      { split: split || undefined },
    );
  }
  notes.push(`${total.toLocaleString("en")} image paths outside /Volumes/ were not checked`);
}
