import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import type { DeltaTableReader } from "./delta.ts";
import { startScan } from "./scan.ts";
import { MemoryFiles } from "./testing.ts";
import { encodePng } from "../image/png.ts";
import type { ScanProgress } from "./types.ts";

const SPEC = { table: "main.cv.pets", imageColumn: "path", labelColumn: "label" };

/** Rows in batches of two, like a warehouse's result chunks; `gate` holds back the 2nd batch. */
function reader(rows: unknown[][], gate?: Promise<void>): DeltaTableReader {
  return {
    columns: () =>
      Promise.resolve([{ name: "path", type: "STRING" }, { name: "label", type: "STRING" }]),
    async *rows(_t, _c, opts) {
      for (let i = 0; i < rows.length; i += 2) {
        if (i && gate) await gate;
        opts?.signal?.throwIfAborted();
        yield rows.slice(i, i + 2);
      }
    },
  };
}

Deno.test("[eda] a Delta spec scans through the reader: one result like any dataset, rows as progress", async () => {
  const files = new MemoryFiles({
    "/Volumes/c/s/v/a.png": encodePng({
      width: 4,
      height: 3,
      channels: 1,
      data: new Uint8Array(12),
    }),
  });
  const seen: ScanProgress[] = [];
  const job = startScan({ delta: SPEC }, files, {
    delta: reader([["/Volumes/c/s/v/a.png", "cat"], ["/Volumes/c/s/v/x.png", "dog"], [
      "/Volumes/c/s/v/a.png",
      null,
    ]]),
    onProgress: (p) => seen.push(p),
  });
  const r = await job.done;
  strictEqual(r.format, "delta");
  deepStrictEqual(r.splits.map((s) => [s.name, s.format, s.stats.images]), [["all", "delta", 2]]);
  deepStrictEqual(r.splits[0].sources, ["main.cv.pets"]);
  strictEqual(r.fileChecks, true);
  deepStrictEqual(r.problems.map((p) => p.code).sort(), ["image_missing", "label_missing"]);
  deepStrictEqual(r.problemCounts, { image_missing: 1, label_missing: 1 });
  deepStrictEqual(seen.filter((p) => p.phase === "reading").map((p) => p.imagesRead), [0, 2, 3]);
  ok(r.notes.some((n) => n.includes("3 rows read from main.cv.pets")), r.notes.join());
});

Deno.test("[eda] a Delta scan without a reader fails saying a Databricks warehouse is needed", async () => {
  await rejects(
    startScan({ delta: SPEC }, new MemoryFiles({})).done,
    /Databricks workspace's SQL warehouse/,
  );
});

Deno.test("[eda] cancelling a Delta scan stops it between result chunks", async () => {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const job = startScan({ delta: SPEC }, new MemoryFiles({}), {
    delta: reader([["a", "cat"], ["b", "cat"], ["c", "dog"]], gate),
  });
  await new Promise((r) => setTimeout(r, 0));
  job.cancel();
  open();
  await rejects(job.done, (e: Error) => e.name === "AbortError");
});

Deno.test("[eda] Delta image paths: dbfs:/Volumes read as /Volumes; cloud URIs not called missing", async () => {
  const png = encodePng({ width: 4, height: 3, channels: 1, data: new Uint8Array(12) });
  const files = new MemoryFiles({ "/Volumes/c/s/v/a.png": png, "/Volumes/c/s/v/b.png": png });
  const r = await startScan({ delta: SPEC }, files, {
    delta: reader([
      ["dbfs:/Volumes/c/s/v/a.png", "cat"],
      ["/dbfs/Volumes/c/s/v/b.png", "dog"],
      ["s3://bucket/pets/c.png", "cat"],
      ["abfss://box@acct.dfs.core.windows.net/d.png", "dog"],
      ["/Volumes/c/s/v/gone.png", "dog"],
    ]),
  }).done;
  deepStrictEqual(r.problems.map((p) => [p.code, p.severity]).sort(), [
    ["image_missing", "error"],
    ["image_not_checked", "warning"],
  ]);
  deepStrictEqual(r.problemCounts, { image_missing: 1, image_not_checked: 1 });
  strictEqual(r.problems.find((p) => p.code === "image_missing")!.file, "/Volumes/c/s/v/gone.png");
  ok(r.problems.find((p) => p.code === "image_not_checked")!.message.startsWith("2 image path(s)"));
  ok(r.notes.some((n) => n.startsWith("2 image paths given as dbfs:/Volumes/")), r.notes.join());
  strictEqual(r.splits[0].stats.meanWidth, 4);
});
