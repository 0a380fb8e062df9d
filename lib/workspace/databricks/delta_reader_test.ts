import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@/tests/assert.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import { startFakeStorage } from "@/tests/fake_databricks/sql_routes.ts";
import { scanDeltaTable } from "@/lib/data/delta.ts";
import { encodePng } from "@/lib/image/png.ts";
import { BadRequestError, WorkspaceError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import {
  DatabricksDeltaReader,
  deltaReaderFor,
  describedColumns,
  parseTableName,
} from "./delta_reader.ts";

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

const PETS = {
  columns: [
    { name: "path", type_name: "STRING" },
    { name: "label", type_name: "STRING" },
    { name: "split", type_name: "STRING" },
    { name: "n", type_name: "INT" },
  ],
  rows: [
    ["/Volumes/main/cv/data/pets/a.png", "cat", "train", "1"],
    ["/Volumes/main/cv/data/pets/b.png", "dog", "train", "2"],
    ["/Volumes/main/cv/data/pets/c.png", null, "train", null],
    ["/Volumes/main/cv/data/pets/gone.png", "dog", "val", "4"],
    ["/Volumes/main/cv/data/pets/a.png", "cat", "val", "5"],
  ],
};

/** Statements the fake received, in order. */
const texts = (fake: { sql: { statements: Map<string, { text?: string }> } }) =>
  [...fake.sql.statements.values()].map((s) => s.text);

Deno.test("[delta_reader] columns come from DESCRIBE TABLE on the backtick-quoted name", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  t.fake.sql.tables.set("main.cv.pets", {
    ...PETS,
    columns: [...PETS.columns, { name: "jpeg", type_name: "BINARY" }],
  });
  const r = new DatabricksDeltaReader(t.ws);
  assertEquals(await r.columns("main.cv.pets"), [
    { name: "path", type: "STRING" },
    { name: "label", type: "STRING" },
    { name: "split", type: "STRING" },
    { name: "n", type: "INT" },
    { name: "jpeg", type: "BINARY" },
  ]);
  assertEquals(texts(t.fake), ["DESCRIBE TABLE `main`.`cv`.`pets`"]);
  // Partition sections after the columns are not columns.
  assertEquals(
    describedColumns([
      { col_name: "a", data_type: "string" },
      { col_name: "", data_type: "" },
      { col_name: "# Partition Information", data_type: "" },
      { col_name: "a", data_type: "string" },
    ]),
    [{ name: "a", type: "STRING" }],
  );
});

Deno.test("[delta_reader] rows of the chosen columns arrive one batch per result chunk", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  t.fake.sql.tables.set("main.cv.pets", PETS);
  t.fake.sql.chunkRows = 2;
  const r = new DatabricksDeltaReader(t.ws);
  const batches = await collect(r.rows("main.cv.pets", ["label", "n"]));
  assertEquals(batches, [
    [["cat", 1], ["dog", 2]],
    [[null, null], ["dog", 4]],
    [["cat", 5]],
  ]);
  assertEquals(texts(t.fake).at(-1), "SELECT `label`, `n` FROM `main`.`cv`.`pets`");
  const id = [...t.fake.sql.statements.keys()].at(-1);
  assertEquals(t.fake.count(`/api/2.0/sql/statements/${id}/result/chunks/1`), 1);
  assertEquals(t.fake.count(`/api/2.0/sql/statements/${id}/result/chunks/2`), 1);
});

Deno.test("[delta_reader] a BINARY image column is read as its length, not its bytes", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  t.fake.sql.tables.set("main.cv.raw", {
    columns: [{ name: "content", type_name: "BINARY" }, { name: "label", type_name: "STRING" }],
    rows: [["\u00ff\u00d8abc", "cat"], [null, "dog"], ["", "cat"]],
  });
  const rows = (await collect(new DatabricksDeltaReader(t.ws).rows("main.cv.raw", ["content"])))
    .flat();
  assertEquals(rows, [["7 bytes"], [null], [""]]);
  assertEquals(
    texts(t.fake).at(-1),
    "SELECT octet_length(`content`) AS `content` FROM `main`.`cv`.`raw`",
  );
});

Deno.test("[delta_reader] identifier injection is refused before any statement is sent", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  t.fake.sql.tables.set("main.cv.pets", PETS);
  t.fake.sql.tables.set("main.cv.odd", {
    columns: [{ name: "a`b", type_name: "STRING" }],
    rows: [["x"]],
  });
  const r = new DatabricksDeltaReader(t.ws);
  for (
    const bad of [
      "main.cv.pets; DROP TABLE main.cv.pets",
      "main.cv.pets --",
      "main.cv",
      "main.cv.pets.extra",
      "`main`.`cv`.`pe``ts`",
      "main.cv.pets`; SELECT 1; --",
      "main.cv.pe ts",
      "",
    ]
  ) {
    await assertRejects(() => r.columns(bad), BadRequestError, "is not a table name");
    await assertRejects(() => collect(r.rows(bad, ["label"])), BadRequestError);
  }
  assertEquals(t.fake.sql.statements.size, 0, "nothing reached the warehouse");
  // Columns must be the table's own; a name with a backtick is refused even when it exists.
  await assertRejects(
    () => collect(r.rows("main.cv.pets", ["label`, current_user() AS `x"])),
    BadRequestError,
    "has no column",
  );
  await assertRejects(() => collect(r.rows("main.cv.odd", ["a`b"])), BadRequestError, "backticks");
  assert(texts(t.fake).every((s) => s?.startsWith("DESCRIBE TABLE ")), texts(t.fake).join("\n"));
  // Backticked parts are accepted and normalised.
  assertEquals(parseTableName(" `main`.cv.`pets-v2` ").quoted, "`main`.`cv`.`pets-v2`");
});

Deno.test("[delta_reader] no warehouse configured: a clear error naming DATABRICKS_WAREHOUSE_ID", async () => {
  await using t = await setupFake();
  const e = assertThrows(() => new DatabricksDeltaReader(t.ws), BadRequestError);
  assertStringIncludes(e.message, "DATABRICKS_WAREHOUSE_ID");
  assertThrows(() => deltaReaderFor(t.ws), BadRequestError, "DATABRICKS_WAREHOUSE_ID");
  assertEquals(deltaReaderFor({ kind: "local" }), null);
});

Deno.test("[delta_reader] a missing table or column reports what Databricks said, with a hint", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  const r = new DatabricksDeltaReader(t.ws);
  const e = await assertRejects(() => r.columns("main.cv.nope"), DatabricksError);
  assertStringIncludes(e.message, "TABLE_OR_VIEW_NOT_FOUND");
  assertStringIncludes(e.message, "SELECT on it");
  t.fake.sql.tables.set("main.cv.pets", PETS);
  await assertRejects(() => collect(r.rows("main.cv.pets", ["missing"])), BadRequestError, "path");
});

Deno.test("[delta_reader] cancelling stops between chunks, and cancels a statement still running", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  t.fake.sql.tables.set("main.cv.pets", PETS);
  t.fake.sql.chunkRows = 1;
  const r = new DatabricksDeltaReader(t.ws);
  await r.columns("main.cv.pets");
  // 1. Between chunks: the first batch arrives, then nothing more is fetched.
  const ac = new AbortController();
  let seen = 0;
  const e = await assertRejects(async () => {
    for await (const _ of r.rows("main.cv.pets", ["path"], { signal: ac.signal })) {
      seen++;
      ac.abort(new DOMException("scan cancelled", "AbortError"));
    }
  });
  assertEquals(e.name, "AbortError");
  assertEquals(seen, 1);
  const id = [...t.fake.sql.statements.keys()].at(-1);
  assertEquals(t.fake.count(`/api/2.0/sql/statements/${id}/result/chunks/1`), 0);

  // 2. While the warehouse is still running it: the statement is cancelled there too.
  t.fake.sql.runningPolls = 100;
  const ac2 = new AbortController();
  const sleep = t.clock.sleep.bind(t.clock);
  t.clock.sleep = (ms: number) => {
    if (t.clock.sleeps.length === 2) ac2.abort(new DOMException("scan cancelled", "AbortError"));
    return sleep(ms);
  };
  const e2 = await assertRejects(() =>
    collect(r.rows("main.cv.pets", ["path"], { signal: ac2.signal }))
  );
  assertEquals(e2.name, "AbortError");
  const last = [...t.fake.sql.statements.values()].at(-1)!;
  assertEquals(last.state, "CANCELED");
});

Deno.test("[delta_reader] scanning a table over the fake: a missing image file and a null label located", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  t.fake.sql.tables.set("main.cv.pets", PETS);
  t.fake.sql.chunkRows = 2;
  const png = encodePng({ width: 6, height: 4, channels: 1, data: new Uint8Array(24) });
  for (const f of ["a", "b", "c"]) {
    await t.ws.files.write(`/Volumes/main/cv/data/pets/${f}.png`, png);
  }
  const r = await scanDeltaTable(
    new DatabricksDeltaReader(t.ws),
    { table: "main.cv.pets", imageColumn: "path", labelColumn: "label", splitColumn: "split" },
    t.ws.files,
  );
  assertEquals(r.splits.map((s) => [s.name, s.stats.images]), [["train", 2], ["val", 2]]);
  assertEquals(r.splits[0].stats.meanWidth, 6);
  const problems = r.sink.list.map((p) => [p.code, p.file ?? p.where]);
  assertEquals(problems.sort(), [
    ["image_missing", "/Volumes/main/cv/data/pets/gone.png"],
    ["label_missing", "/Volumes/main/cv/data/pets/c.png"],
  ]);
});

Deno.test("[delta_reader] large results: EXTERNAL_LINKS chunks come from storage without the Databricks token", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  const storage = startFakeStorage(t.fake.sql);
  try {
    t.fake.sql.tables.set("main.cv.pets", PETS);
    t.fake.sql.chunkRows = 2;
    t.fake.sql.linkBase = storage.url;
    t.fake.sql.linkHeaders = { "x-amz-server-side-encryption-customer-key": "k3y" };
    const r = new DatabricksDeltaReader(t.ws);
    const batches = await collect(r.rows("main.cv.pets", ["label", "n"]));
    assertEquals(batches, [[["cat", 1], ["dog", 2]], [[null, null], ["dog", 4]], [["cat", 5]]]);
    assertEquals([...t.fake.sql.statements.values()].at(-1)!.external, true);
    assertEquals(storage.requests.length, 3);
    assert(storage.requests.every((q) => q.authorization === null), "no token sent to storage");
    assert(
      storage.requests.every((q) =>
        q.headers["x-amz-server-side-encryption-customer-key"] === "k3y"
      ),
    );

    // An expired link is renewed through the chunk endpoint, once, and the rows still arrive.
    storage.expireNext = 1;
    const again = await collect(r.rows("main.cv.pets", ["label"]));
    assertEquals(again.flat().length, 5);
    const id = [...t.fake.sql.statements.keys()].at(-1);
    assertEquals(t.fake.count(`/api/2.0/sql/statements/${id}/result/chunks/0`), 1);

    // Storage that keeps refusing: a clear error, naming the chunk and what to check.
    storage.expireNext = 100;
    const e = await assertRejects(() => collect(r.rows("main.cv.pets", ["label"])), WorkspaceError);
    assertStringIncludes(e.message, "result chunk 0 could not be downloaded from cloud storage");
    assertStringIncludes(e.message, "Request has expired");
    assertEquals((e as WorkspaceError).errorCode, "EXTERNAL_LINK_FAILED");
  } finally {
    await storage.close();
  }
});

Deno.test("[delta_reader] a statement still running after 30 min is cancelled with a clear error", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  t.fake.sql.tables.set("main.cv.pets", PETS);
  const r = new DatabricksDeltaReader(t.ws);
  await r.columns("main.cv.pets");
  t.fake.sql.runningPolls = 1_000_000;
  const e = await assertRejects(() => collect(r.rows("main.cv.pets", ["path"])), DatabricksError);
  assertStringIncludes(e.message, "still RUNNING after 30 min; cancelled");
  assertEquals([...t.fake.sql.statements.values()].at(-1)!.state, "CANCELED");
  const waited = t.clock.sleeps.reduce((a, b) => a + b, 0);
  assert(waited >= 30 * 60_000 && waited < 31 * 60_000, `waited ${waited} ms`);
});
