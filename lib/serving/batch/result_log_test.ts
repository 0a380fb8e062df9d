/**
 * The batch result file: written through row by row where the workspace's files append in place
 * (the local disk), collected and rewritten where they cannot (the Databricks Files API).
 */
import { assert, assertEquals } from "@/tests/assert.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import { ResultLog, type ResultRow } from "./result_log.ts";

const VOL = "/Volumes/main/cv/data";
const OUT = `${VOL}/batch/b1/results.jsonl`;
const row = (path: string, error: string | null = null): ResultRow => ({
  path,
  prediction: null,
  error,
});

Deno.test("[result log] local: each append is in the file at once; a resume cuts the half line and goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lakevision-result-log-" });
  try {
    const ws = createLocalWorkspace({ dataDir: dir, volume: VOL });
    const log = await ResultLog.open(ws, OUT, false);
    await log.append([row(`${VOL}/img/a.png`)]);
    assertEquals(await ws.files.readText(OUT), JSON.stringify(row(`${VOL}/img/a.png`)) + "\n");
    await log.append([row(`${VOL}/img/b.png`, "not an image")]);
    assertEquals((await ws.files.readText(OUT)).split("\n").length, 3, "two rows, no flush");

    await ws.files.append!(OUT, '{"path": "/Volumes/main/cv/da');
    const resumed = await ResultLog.open(ws, OUT, true);
    assertEquals([...resumed.done], [`${VOL}/img/a.png`, `${VOL}/img/b.png`]);
    assertEquals(resumed.errors, 1);
    await resumed.append([row(`${VOL}/img/c.png`)]);
    const lines = (await ws.files.readText(OUT)).trim().split("\n").map((l) => JSON.parse(l).path);
    assertEquals(lines, [`${VOL}/img/a.png`, `${VOL}/img/b.png`, `${VOL}/img/c.png`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[result log] Databricks: rows are collected and the file rewritten on flush (no append there)", async () => {
  await using t = await setupFake();
  assert(!t.ws.files.append, "the Files API has no append");
  const log = await ResultLog.open(t.ws, OUT, false);
  const a = JSON.stringify(row(`${VOL}/img/a.png`)) + "\n";
  // The clock stands still, so the second row falls inside the few seconds whatever the load.
  const now = Date.now;
  const t0 = now();
  Date.now = () => t0;
  try {
    await log.append([row(`${VOL}/img/a.png`)]);
    assertEquals(await t.ws.files.readText(OUT), a, "the first row is written at once");
    await log.append([row(`${VOL}/img/b.png`)]);
    assertEquals(await t.ws.files.readText(OUT), a, "the next ones wait a few seconds");
  } finally {
    Date.now = now;
  }
  await log.flush();
  const lines = (await t.ws.files.readText(OUT)).trim().split("\n").map((l) => JSON.parse(l).path);
  assertEquals(lines, [`${VOL}/img/a.png`, `${VOL}/img/b.png`]);
  assertEquals([...log.done].length, 2);
});
