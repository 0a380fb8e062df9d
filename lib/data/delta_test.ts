import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { type DeltaTableReader, scanDeltaTable } from "./delta.ts";
import { MemoryFiles } from "./testing.ts";
import { encodePng } from "../image/png.ts";

/** Stands in for the Databricks adapter's SQL reader. */
function reader(rows: unknown[][]): DeltaTableReader {
  return {
    columns: () =>
      Promise.resolve([{ name: "path", type: "STRING" }, { name: "label", type: "STRING" }, {
        name: "split",
        type: "STRING",
      }]),
    async *rows() {
      yield rows.slice(0, 2);
      yield rows.slice(2);
    },
  };
}

Deno.test("[eda] Delta table rows: class counts per split, null labels and missing files located", async () => {
  const f = new MemoryFiles({
    "/Volumes/c/s/v/a.png": encodePng({
      width: 4,
      height: 3,
      channels: 1,
      data: new Uint8Array(12),
    }),
  });
  const r = await scanDeltaTable(
    reader([["/Volumes/c/s/v/a.png", "cat", "train"], ["/Volumes/c/s/v/b.png", "dog", "train"], [
      "/Volumes/c/s/v/a.png",
      null,
      "val",
    ]]),
    { table: "main.cv.pets", imageColumn: "path", labelColumn: "label", splitColumn: "split" },
    f,
  );
  deepStrictEqual(r.splits.map((s) => [s.name, s.stats.images]), [["train", 2], ["val", 0]]);
  deepStrictEqual(r.splits[0].stats.classes.map((c) => [c.name, c.count]), [["cat", 1], [
    "dog",
    1,
  ]]);
  deepStrictEqual(r.sink.list.map((p) => p.code).sort(), ["image_missing", "label_missing"]);
  strictEqual(r.sink.list.find((p) => p.code === "image_missing")!.file, "/Volumes/c/s/v/b.png");
  ok(r.sink.list.find((p) => p.code === "label_missing")!.where!.includes("row 2"));
});

Deno.test("[eda] Delta scan names the missing column", async () => {
  let msg = "";
  await scanDeltaTable(reader([]), { table: "t", imageColumn: "img", labelColumn: "label" }, null)
    .catch((e) => (msg = e.message));
  ok(msg.includes('no column "img"'), msg);
});
