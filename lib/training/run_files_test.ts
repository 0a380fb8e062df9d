/**
 * A run's metric history as pages follow it: metrics.jsonl read incrementally through
 * `FilesApi.readFrom` on either workspace, and on Databricks the run's MLflow run first.
 */
import { assertEquals } from "@/tests/assert.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import type { FilesApi, Workspace } from "@/lib/workspace/types.ts";
import { dropMetricsCache, readLogTail, readMetrics } from "./run_files.ts";
import type { RunRecord } from "./types.ts";

const VOL = "/Volumes/main/cv/data";

function line(name: string, step: number, value: number): string {
  return JSON.stringify({ name, step, value, ts: 1_000 + step }) + "\n";
}

/** The run fields readMetrics reads; the rest of a record does not matter to it. */
function run(id: string, extra: Partial<RunRecord> = {}): RunRecord {
  return { id, runDir: `${VOL}/runs/${id}`, ...extra } as RunRecord;
}

/** `ws` whose files record every offset metrics are read from. */
function spied(ws: Workspace): { ws: Workspace; offsets: number[] } {
  const offsets: number[] = [];
  const files: FilesApi = Object.create(ws.files);
  files.readFrom = (path, offset) => {
    offsets.push(offset);
    return ws.files.readFrom!(path, offset);
  };
  return { ws: { ...ws, files }, offsets };
}

const names = (pts: { name: string; step: number }[]) => pts.map((p) => `${p.name}@${p.step}`);

Deno.test("[run files] local metrics.jsonl is read from where the last read stopped; a half-written line waits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lakevision-run-files-" });
  try {
    const { ws, offsets } = spied(createLocalWorkspace({ dataDir: dir, volume: VOL }));
    const r = run("local-incr");
    const path = `${r.runDir}/metrics.jsonl`;
    assertEquals(await readMetrics(ws, r), [], "no file yet: no points");
    const first = line("loss", 1, 0.9) + line("acc", 1, 0.1);
    const half = line("loss", 2, 0.8);
    await ws.files.write(path, first + half.slice(0, 10));
    assertEquals(names(await readMetrics(ws, r)), ["loss@1", "acc@1"]);
    await ws.files.append!(path, half.slice(10) + line("loss", 3, 0.7));
    assertEquals(names(await readMetrics(ws, r)), ["loss@1", "acc@1", "loss@2", "loss@3"]);
    assertEquals(await readMetrics(ws, r).then((p) => p.length), 4, "nothing new: same points");
    const len = new TextEncoder().encode(first).length;
    const all = len + new TextEncoder().encode(half + line("loss", 3, 0.7)).length;
    assertEquals(offsets, [0, 0, len, all], "each read starts past the complete lines read");
    // Rewritten shorter (a run started over in its folder): read again from the start.
    await ws.files.write(path, line("loss", 1, 0.9) + line("loss", 9, 0.1));
    assertEquals(names(await readMetrics(ws, r)), [
      "loss@1",
      "acc@1",
      "loss@2",
      "loss@3",
      "loss@9",
    ]);
    assertEquals(offsets.slice(4), [all, 0]);
    dropMetricsCache(r.id);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[run files] Databricks: the MLflow run first; without it metrics.jsonl through ranged reads", async () => {
  await using t = await setupFake();
  const withMlflow = run("dbx-mlflow", {
    mlflowRunId: t.fake.mlflow.addRun({
      experiment: "/Shared/lv/x",
      status: "RUNNING",
      metrics: [{ key: "loss", value: 0.5, step: 1 }, { key: "loss", value: 0.4, step: 2 }],
    }),
  });
  await t.fake.files.put(`${withMlflow.runDir}/metrics.jsonl`, line("jsonl_only", 1, 1));
  assertEquals(names(await readMetrics(t.ws, withMlflow)), ["loss@1", "loss@2"]);

  // An MLflow run the workspace does not know (deleted, not visible): the run folder.
  const gone = run("dbx-gone", { mlflowRunId: "0123456789abcdef0123456789abcdef" });
  const path = `${gone.runDir}/metrics.jsonl`;
  const first = line("loss", 1, 0.9);
  await t.fake.files.put(path, first);
  assertEquals(names(await readMetrics(t.ws, gone)), ["loss@1"]);
  await t.fake.files.put(path, first + line("loss", 2, 0.8));
  assertEquals(names(await readMetrics(t.ws, gone)), ["loss@1", "loss@2"]);
  const gets = t.fake.requests.filter((r) => r.method === "GET" && r.path.endsWith(path));
  assertEquals(gets.map((r) => r.range), [undefined, `bytes=${first.length}-`]);
  dropMetricsCache(withMlflow.id);
  dropMetricsCache(gone.id);
});

Deno.test("[run files] the log tail shows a local job's disk paths as the volume paths they are", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lakevision-run-log-" });
  try {
    const ws = createLocalWorkspace({ dataDir: dir, volume: VOL });
    const r = run("local-log");
    await ws.files.write(
      `${r.runDir}/output.log`,
      `[predictions] ${dir}/volumes/main/cv/data/runs/local-log/predictions/val.json\n`,
    );
    const tail = await readLogTail(ws, r);
    assertEquals(tail, `[predictions] ${VOL}/runs/local-log/predictions/val.json\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
