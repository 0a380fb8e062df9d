import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import { castValue } from "./sql.ts";

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

Deno.test("[tracking] runs by experiment name, with params, latest metrics and full history", async () => {
  await using t = await setupFake();
  const id = t.fake.mlflow.addRun({
    experiment: "/Shared/lakevision/detr",
    name: "detr-1",
    params: { lr: "0.0001" },
    tags: { task: "detection" },
    metrics: [
      { key: "loss", value: 1.5, step: 0 },
      { key: "loss", value: 0.9, step: 2 },
      { key: "loss", value: 1.1, step: 1 },
      { key: "eval_map", value: 0.31, step: 2 },
    ],
  });
  t.fake.mlflow.addRun({ experiment: "/Users/x/other", name: "other" });
  const runs = await collect(t.ws.tracking.listRuns({ experiment: "/Shared/lakevision/detr" }));
  assertEquals(runs.map((r) => r.name), ["detr-1"]);
  assertEquals(runs[0].params, { lr: "0.0001" });
  assertEquals(runs[0].tags, { task: "detection" });
  assertEquals(runs[0].metrics, { loss: 0.9, eval_map: 0.31 });
  assertEquals(runs[0].status, "FINISHED");
  const hist = await t.ws.tracking.metricHistory(id, "loss");
  assertEquals(hist.map((p) => [p.step, p.value]), [[0, 1.5], [1, 1.1], [2, 0.9]]);
  assertEquals((await t.ws.tracking.getRun(id)).runId, id);
  assertEquals(await collect(t.ws.tracking.listRuns({ experiment: "/no/such" })), []);
  const all = await collect(t.ws.tracking.listRuns());
  assertEquals(all.length, 2);
  const missing = await assertRejects(() => t.ws.tracking.getRun("nope"), DatabricksError);
  assertEquals(missing.status, 404);
});

Deno.test("[tracking] experimentRoot narrows 'all runs' to the app's experiments", async () => {
  await using t = await setupFake({ experimentRoot: "/Shared/lakevision" });
  t.fake.mlflow.addRun({ experiment: "/Shared/lakevision/a", name: "mine" });
  t.fake.mlflow.addRun({ experiment: "/Users/x/b", name: "theirs" });
  const runs = await collect(t.ws.tracking.listRuns({ limit: 5 }));
  assertEquals(runs.map((r) => r.name), ["mine"]);
});

Deno.test("[compute] node types (GPU first) and runtimes flagged GPU / ML", async () => {
  await using t = await setupFake();
  const info = await t.ws.compute.info();
  assertEquals(info.kind, "databricks");
  assertEquals(info.nodeTypes?.map((n) => [n.id, n.gpus]), [
    ["p4d.24xlarge", 8],
    ["g5.12xlarge", 4],
    ["g5.xlarge", 1],
    ["m5d.xlarge", 0],
  ]);
  const gpuMl = info.runtimes?.filter((r) => r.gpu && r.ml).map((r) => r.key);
  assertEquals(gpuMl, ["16.4.x-gpu-ml-scala2.12", "15.4.x-gpu-ml-scala2.12"]);
  assertEquals(info.runtimes?.find((r) => r.key === "15.4.x-cpu-ml-scala2.12")?.gpu, false);
});

Deno.test("[sql] a Delta table is read across result chunks, values cast by column type", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  t.fake.sql.tables.set("main.cv.preds", {
    columns: [
      { name: "image", type_name: "STRING" },
      { name: "score", type_name: "DOUBLE" },
      { name: "n", type_name: "INT" },
      { name: "ok", type_name: "BOOLEAN" },
    ],
    rows: [["a", "0.5", "1", "true"], ["b", null, "2", "false"], ["c", "1e-3", null, null]],
  });
  const rows = await collect(
    t.ws.query("SELECT * FROM main.cv.preds WHERE n > :n", [{ name: "n", value: 0 }]),
  );
  assertEquals(rows, [
    { image: "a", score: 0.5, n: 1, ok: true },
    { image: "b", score: null, n: 2, ok: false },
    { image: "c", score: 0.001, n: null, ok: null },
  ]);
  assertEquals(
    t.fake.count(`/api/2.0/sql/statements/${[...t.fake.sql.statements.keys()][0]}/result/chunks/1`),
    1,
  );
  assertEquals(castValue("9007199254740993", "LONG"), "9007199254740993");
});

Deno.test("[sql] a failed statement says why; no warehouse is a clear configuration error", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  const e = await assertRejects(
    () => collect(t.ws.query("SELECT * FROM main.cv.nope")),
    DatabricksError,
  );
  assert(e.message.includes("TABLE_OR_VIEW_NOT_FOUND"), e.message);
  assert(e.hint?.includes("SELECT"));
  await using t2 = await setupFake();
  await assertRejects(() => collect(t2.ws.query("SELECT 1")), BadRequestError);
});

Deno.test("[workspace_import] jobs/ code is mirrored into the workspace folder, caches skipped", async () => {
  await using t = await setupFake({ jobsDir: "/Workspace/Shared/lv/jobs" });
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/pkg/__pycache__`, { recursive: true });
  await Deno.writeTextFile(`${dir}/train.py`, "print('hi')\n");
  await Deno.writeTextFile(`${dir}/pkg/__init__.py`, "");
  await Deno.writeTextFile(`${dir}/pkg/__pycache__/x.pyc`, "junk");
  const written = await t.ws.uploadJobsCode(dir);
  assertEquals(written, [
    "/Workspace/Shared/lv/jobs/pkg/__init__.py",
    "/Workspace/Shared/lv/jobs/train.py",
  ]);
  assertEquals(
    new TextDecoder().decode(t.fake.workspaceFs.files.get("/Workspace/Shared/lv/jobs/train.py")),
    "print('hi')\n",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("[tracking] artifact listings walk a run's artifact tree", async () => {
  await using t = await setupFake();
  const id = t.fake.mlflow.addRun({
    experiment: "/Shared/x",
    artifacts: { "model/model.onnx": 1234, "model/model.json": 56, "plots/pr.png": 7 },
  });
  const root = await collect(t.ws.mlflowClient.artifacts(id));
  assertEquals(root.map((f) => [f.path, f.is_dir]), [["model", true], ["plots", true]]);
  const model = await collect(t.ws.mlflowClient.artifacts(id, "model"));
  assertEquals(model.map((f) => [f.path, f.file_size]), [["model/model.onnx", 1234], [
    "model/model.json",
    56,
  ]]);
});

Deno.test("[sql] a slow statement is polled with growing waits until it succeeds", async () => {
  await using t = await setupFake({ warehouseId: "wh-1" });
  t.fake.sql.tables.set("t1", { columns: [{ name: "x", type_name: "INT" }], rows: [["7"]] });
  t.fake.sql.runningPolls = 3;
  assertEquals(await collect(t.ws.query("SELECT x FROM t1")), [{ x: 7 }]);
  assertEquals(t.clock.sleeps, [500, 1000, 2000, 4000]); // three RUNNING reads, then SUCCEEDED
});
