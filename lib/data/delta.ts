/**
 * Delta tables as datasets. Delta is Databricks-only: rows are read through the SQL Statement
 * Execution API by the Databricks workspace adapter, which implements `DeltaTableReader`. There
 * is no local Delta reader; the local app scans files under a volume instead. Given a reader, this
 * module scans a table with one row per image (an image path or bytes column and a label column).
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import { checkFiles, F_MISSING, F_UNREADABLE } from "./files_check.ts";
import { ProblemSink } from "./problems.ts";
import { computeStats } from "./stats.ts";
import type { SplitStats } from "./types.ts";

/** A column as the SQL warehouse describes it. */
export interface DeltaColumn {
  name: string;
  /** Spark SQL type name, e.g. `STRING`, `BINARY`, `INT`. */
  type: string;
}

/** What the Databricks adapter provides to read a table (`catalog.schema.table`). */
export interface DeltaTableReader {
  columns(table: string): Promise<DeltaColumn[]>;
  /** Rows of the selected columns, in batches (the API's result chunks). */
  rows(
    table: string,
    columns: string[],
    opts?: { signal?: AbortSignal },
  ): AsyncIterable<unknown[][]>;
}

/** Which columns hold the image and the label. */
export interface DeltaSpec {
  table: string;
  /** Column with a `/Volumes/...` path, or with the image bytes. */
  imageColumn: string;
  labelColumn: string;
  /** Optional split column (`train`/`val`/`test`); one split "all" without it. */
  splitColumn?: string;
}

/** Scans a classification-style Delta table: class balance, null labels, missing image files. */
export async function scanDeltaTable(
  reader: DeltaTableReader,
  spec: DeltaSpec,
  files: FilesApi | null,
  opts: { signal?: AbortSignal } = {},
): Promise<{ splits: { name: string; stats: SplitStats }[]; sink: ProblemSink }> {
  const cols = await reader.columns(spec.table);
  const sink = new ProblemSink();
  for (
    const c of [spec.imageColumn, spec.labelColumn, spec.splitColumn].filter(Boolean) as string[]
  ) {
    if (!cols.some((k) => k.name === c)) {
      throw new Error(
        `${spec.table} has no column "${c}" (columns: ${cols.map((k) => k.name).join(", ")})`,
      );
    }
  }
  const byPath = cols.find((c) => c.name === spec.imageColumn)!.type.toUpperCase() !== "BINARY";
  const want = [
    spec.imageColumn,
    spec.labelColumn,
    ...(spec.splitColumn ? [spec.splitColumn] : []),
  ];
  const splits = new Map<string, { paths: string[]; labels: string[] }>();
  let row = 0;
  for await (const batch of reader.rows(spec.table, want, opts)) {
    for (const r of batch) {
      const [img, label, split] = r;
      const name = spec.splitColumn ? String(split ?? "(null)") : "all";
      let s = splits.get(name);
      if (!s) splits.set(name, s = { paths: [], labels: [] });
      const where = `${spec.table} row ${row++}`;
      if (img === null || img === undefined || img === "") {
        sink.add(
          "image_invalid",
          "error",
          `${where} has no ${spec.imageColumn}; the row is dropped`,
          { split: name, where },
        );
        continue;
      }
      if (label === null || label === undefined || label === "") {
        sink.add(
          "label_missing",
          "error",
          `${where} has no ${spec.labelColumn}; the row is dropped`,
          {
            split: name,
            where,
            file: byPath ? String(img) : undefined,
          },
        );
        continue;
      }
      s.paths.push(byPath ? String(img) : "");
      s.labels.push(String(label));
    }
  }
  const out: { name: string; stats: SplitStats }[] = [];
  for (const [name, s] of splits) {
    const classes = [...new Set(s.labels)].sort();
    const counts = classes.map((c) => s.labels.filter((l) => l === c).length);
    let w: number[] = s.paths.map(() => NaN), h = w.slice();
    if (files && byPath) {
      const info = await checkFiles(files, s.paths, { signal: opts.signal });
      for (const f of info) {
        if (f.status === F_MISSING) {
          sink.add("image_missing", "error", `${f.path} does not exist`, {
            split: name,
            file: f.path,
          });
        } else if (f.status === F_UNREADABLE) {
          sink.add("image_unreadable", "error", `${f.path} cannot be read: ${f.error}`, {
            split: name,
            file: f.path,
          });
        }
      }
      w = info.map((f) => f.width);
      h = info.map((f) => f.height);
    }
    out.push({
      name,
      stats: computeStats({
        imgW: w,
        imgH: h,
        imgLabel: (i) => s.paths[i] || i,
        categories: classes.map((name, id) => ({ id, name })),
        classCounts: counts,
        classImages: counts,
        objectsPerImage: new Uint32Array(s.paths.length).fill(1),
      }),
    });
  }
  return { splits: out, sink };
}
