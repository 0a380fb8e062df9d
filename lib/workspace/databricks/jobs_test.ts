import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import { gpuSingleNodeCluster } from "./clusters.ts";
import { jobStateOf, submitBody, tailBytes } from "./port_jobs.ts";

const GPU = gpuSingleNodeCluster("g5.12xlarge", "15.4.x-gpu-ml-scala2.12");

const spec = (extra = {}) => ({
  name: "detr run",
  entrypoint: "train.py",
  args: ["--config", "/Volumes/main/cv/data/configs/a.yaml"],
  runDir: "/Volumes/main/cv/data/runs/r1",
  compute: GPU,
  ...extra,
});

Deno.test("[jobs] a submitted run goes PENDING → RUNNING → SUCCEEDED with its logs", async () => {
  await using t = await setupFake({ jobsDir: "/Workspace/Shared/lv/jobs" });
  const { runId } = await t.ws.jobs.submit(spec());
  const sent = t.fake.jobs.runs.get(Number(runId))!.submitted as {
    tasks: Record<string, unknown>[];
  };
  assertEquals(sent.tasks[0].spark_python_task, {
    python_file: "/Workspace/Shared/lv/jobs/train.py",
    parameters: [
      "--config",
      "/Volumes/main/cv/data/configs/a.yaml",
      "--run-dir",
      "/Volumes/main/cv/data/runs/r1",
    ],
  });
  assertEquals((sent.tasks[0].new_cluster as { node_type_id: string }).node_type_id, "g5.12xlarge");
  let run = await t.ws.jobs.get(runId);
  assertEquals([run.state, run.name, run.runDir], [
    "PENDING",
    "detr run",
    "/Volumes/main/cv/data/runs/r1",
  ]);
  assert(run.url?.includes(`/runs/${runId}`));
  t.fake.jobs.set(runId, "RUNNING");
  assertEquals((await t.ws.jobs.get(runId)).state, "RUNNING");
  t.fake.jobs.set(runId, "SUCCESS", { logs: "epoch 1 loss 0.5\nepoch 2 loss 0.3\n" });
  run = await t.ws.jobs.get(runId);
  assertEquals(run.state, "SUCCEEDED");
  assert(run.endedAt! >= run.startedAt!);
  assertEquals(await t.ws.jobs.logs(runId), "epoch 1 loss 0.5\nepoch 2 loss 0.3\n");
  assertEquals(await t.ws.jobs.logs(runId, { maxBytes: 8 }), "oss 0.3\n");
});

Deno.test("[jobs] a failed run carries Databricks' message and the error trace in its logs", async () => {
  await using t = await setupFake();
  const { runId } = await t.ws.jobs.submit(spec());
  t.fake.jobs.set(runId, "FAILED", {
    logs: "loading data\n",
    error: "RuntimeError: CUDA out of memory",
    message: "Task main failed with message: Workload failed.",
  });
  const run = await t.ws.jobs.get(runId);
  assertEquals([run.state, run.message], [
    "FAILED",
    "Task main failed with message: Workload failed.",
  ]);
  assertEquals(await t.ws.jobs.logs(runId), "loading data\nRuntimeError: CUDA out of memory\n");
});

Deno.test("[jobs] cancel, list (newest first, limited) and unknown ids", async () => {
  await using t = await setupFake();
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await t.ws.jobs.submit(spec({ name: `r${i}` }))).runId);
  await t.ws.jobs.cancel(ids[1]);
  assertEquals((await t.ws.jobs.get(ids[1])).state, "CANCELED");
  const listed = [];
  for await (const r of t.ws.jobs.list({ limit: 2 })) listed.push(r.name);
  assertEquals(listed, ["r2", "r1"]);
  const all = [];
  for await (const r of t.ws.jobs.list()) all.push(r.runId);
  assertEquals(all, [...ids].reverse());
  const e = await assertRejects(() => t.ws.jobs.get("424242"), DatabricksError);
  assertEquals(e.status, 404);
  await assertRejects(() => t.ws.jobs.get("abc"), BadRequestError);
});

Deno.test("[jobs] list pages through runs/list 25 at a time", async () => {
  await using t = await setupFake();
  for (let i = 0; i < 30; i++) await t.ws.jobs.submit(spec({ name: `r${i}` }));
  let n = 0;
  for await (const _ of t.ws.jobs.list()) n++;
  assertEquals(n, 30);
  assertEquals(t.fake.count("/api/2.2/jobs/runs/list"), 2);
});

Deno.test("[jobs] submit bodies: serverless environments, existing clusters, bad entrypoints", () => {
  const serverless = submitBody(
    spec({
      compute: {
        environment_key: "default",
        environments: [{ environment_key: "default", spec: { environment_version: "2" } }],
      },
    }),
    "/W",
  );
  assertEquals(serverless.tasks[0].environment_key, "default");
  assertEquals(serverless.environments?.length, 1);
  assert(!("new_cluster" in serverless.tasks[0]));
  const existing = submitBody(
    spec({
      compute: { existing_cluster_id: "0101-abc", libraries: [{ pypi: { package: "torch" } }] },
    }),
    "/W",
  );
  assertEquals(existing.tasks[0].existing_cluster_id, "0101-abc");
  assertEquals(existing.tasks[0].libraries, [{ pypi: { package: "torch" } }]);
  const withDir = submitBody(spec({ args: ["--run-dir", "/Volumes/a/b/c/x"] }), "/W");
  assertEquals((withDir.tasks[0].spark_python_task as { parameters: string[] }).parameters, [
    "--run-dir",
    "/Volumes/a/b/c/x",
  ]);
  for (const entrypoint of ["../etc/x.py", "train.sh", ""]) {
    let err: unknown;
    try {
      submitBody(spec({ entrypoint }), "/W");
    } catch (e) {
      err = e;
    }
    assert(err instanceof BadRequestError, `refused ${entrypoint}`);
  }
  let noCompute: unknown;
  try {
    submitBody(spec({ compute: undefined }), "/W");
  } catch (e) {
    noCompute = e;
  }
  assert(noCompute instanceof BadRequestError && noCompute.message.includes("No compute"));
});

Deno.test("[jobs] Databricks states map onto the port's states", () => {
  const s = (life_cycle_state: string, result_state?: string) =>
    jobStateOf({ state: { life_cycle_state, result_state } });
  assertEquals(
    [
      s("QUEUED"),
      s("PENDING"),
      s("BLOCKED"),
      s("RUNNING"),
      s("TERMINATING"),
      s("TERMINATED", "SUCCESS"),
      s("TERMINATED", "FAILED"),
      s("TERMINATED", "TIMEDOUT"),
      s("TERMINATED", "CANCELED"),
      s("INTERNAL_ERROR", "FAILED"),
      s("SKIPPED"),
    ],
    [
      "QUEUED",
      "PENDING",
      "PENDING",
      "RUNNING",
      "TERMINATING",
      "SUCCEEDED",
      "FAILED",
      "FAILED",
      "CANCELED",
      "FAILED",
      "CANCELED",
    ],
  );
  assertEquals(tailBytes("aé b", 3), " b");
});

Deno.test("[jobs] the local jobs/ code is uploaded once, before the first submit, as the app", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/train.py`, "print('train')\n");
  await using t = await setupFake({ jobsDir: "/Workspace/Shared/lv/jobs", jobsLocalDir: dir });
  t.fake.addToken("alice", { userName: "alice@example.com" });
  await t.ws.forUser("alice").jobs.submit(spec());
  await t.ws.jobs.submit(spec());
  const imports = t.fake.requests.filter((r) => r.path === "/api/2.0/workspace/import");
  assertEquals(imports.map((r) => r.token), ["dapi-test-token"]);
  assert(t.fake.workspaceFs.files.has("/Workspace/Shared/lv/jobs/train.py"));
  await Deno.remove(dir, { recursive: true });
});
