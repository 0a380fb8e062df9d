/**
 * Training against the fake Databricks workspace: the runs/submit payload field by field for
 * each distribution mode, content-hashed code upload, idempotent launches, and the run page
 * following PENDING → RUNNING → TERMINATED (SUCCESS / FAILED) and surviving a 503 storm.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { loadSettings } from "@/fresh.config.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { setKv } from "@/lib/store/kv.ts";
import { jobsCodeBundle } from "@/lib/workspace/databricks/jobs_code.ts";
import { launchRun, type TrainingContext } from "@/lib/training/launch.ts";
import { getRun } from "@/lib/training/records.ts";
import { refreshRun, stopMonitor } from "@/lib/training/refresh.ts";
import type { ComputeChoice } from "@/lib/training/types.ts";
import { createApp } from "@/lib/web/app.ts";
import { type Harness, setupFake } from "./fake_databricks/testing.ts";
import { ROOT } from "./helpers.ts";
import { tinyConfig } from "./training_testing.ts";

const VOL = "/Volumes/main/cv/data";
const JOBS_DIR = "/Workspace/Shared/lakevision/jobs";
const GPU_RUNTIME = "15.4.x-gpu-ml-scala2.12";
const opts = { sanitizeOps: false, sanitizeResources: false };

interface Setup extends AsyncDisposable {
  h: Harness;
  ctx: TrainingContext;
  kv: Deno.Kv;
}

async function setup(settings: { experimentRoot?: string } = {}): Promise<Setup> {
  const h = await setupFake(settings);
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  const configs = new ConfigStore(kv, { files: h.ws.files, volume: VOL });
  await configs.save("shapes", tinyConfig(VOL), { author: "dev@example.com" });
  return {
    h,
    kv,
    ctx: { workspace: h.ws, volume: VOL, user: "dev@example.com", configs },
    async [Symbol.asyncDispose]() {
      stopMonitor();
      kv.close();
      await h[Symbol.asyncDispose]();
    },
  };
}

function dbx(c: Partial<Extract<ComputeChoice, { kind: "databricks" }>>): ComputeChoice {
  return {
    kind: "databricks",
    nodeType: "g5.xlarge",
    gpusPerNode: 1,
    runtime: GPU_RUNTIME,
    nodes: 1,
    spot: false,
    timeoutMinutes: 0,
    distribution: "auto",
    emails: [],
    ...c,
  };
}

// deno-lint-ignore no-explicit-any
type Body = Record<string, any>;

function submitted(h: Harness, jobRunId: string | undefined): Body {
  const r = h.fake.jobs.runs.get(Number(jobRunId));
  assert(r, `fake has run ${jobRunId}`);
  return r.submitted as Body;
}

Deno.test({
  name:
    "[training/databricks] single GPU: runs/submit payload field by field, code uploaded once by hash",
  ...opts,
  async fn() {
    await using s = await setup();
    const { hash } = await jobsCodeBundle();
    const { run } = await launchRun(s.ctx, {
      config: { name: "shapes", version: 1 },
      compute: dbx({ spot: true, timeoutMinutes: 120, emails: ["ml@example.com"] }),
      idempotencyToken: "single-gpu-token-1",
    });
    assertEquals(run.status, "queued", run.message);
    assertEquals(run.distribution, "single");
    const b = submitted(s.h, run.jobRunId);
    assertEquals(Object.keys(b).sort(), [
      "idempotency_token",
      "run_name",
      "tasks",
      "timeout_seconds",
    ]);
    assertEquals(b.run_name, `lakevision shapes@v1 ${run.id}`);
    assertEquals(b.idempotency_token, "single-gpu-token-1");
    assertEquals(b.timeout_seconds, 7200);
    assertEquals(b.tasks.length, 1);
    const t = b.tasks[0];
    assertEquals(
      Object.keys(t).sort(),
      ["email_notifications", "libraries", "new_cluster", "spark_python_task", "task_key"],
    );
    // The jobs' dependencies ride with the task, from the uploaded code folder.
    assertEquals(t.libraries, [{ requirements: `${JOBS_DIR}/${hash}/requirements.txt` }]);
    assertEquals(t.task_key, "main");
    assertEquals(t.spark_python_task.python_file, `${JOBS_DIR}/${hash}/train.py`);
    assertEquals(t.spark_python_task.parameters, [
      "--config",
      `${VOL}/configs/shapes/v1.yaml`,
      "--run-dir",
      `${VOL}/runs/${run.id}`,
      "--device",
      "cuda",
    ]);
    assertEquals(t.email_notifications, {
      on_success: ["ml@example.com"],
      on_failure: ["ml@example.com"],
    });
    assertEquals(t.new_cluster, {
      spark_version: GPU_RUNTIME,
      node_type_id: "g5.xlarge",
      num_workers: 0,
      spark_conf: {
        "spark.databricks.cluster.profile": "singleNode",
        "spark.master": "local[*, 4]",
      },
      custom_tags: { ResourceClass: "SingleNode", lakevision: "training" },
      data_security_mode: "SINGLE_USER",
      aws_attributes: { availability: "SPOT_WITH_FALLBACK", first_on_demand: 1 },
    });
    // The config version's YAML is in the volume, where the job reads it.
    assertStringIncludes(
      await s.h.ws.files.readText(`${VOL}/configs/shapes/v1.yaml`),
      "torchvision/mobilenet_v3_small",
    );
    // The code folder: every jobs/ file, both launchers, and the completion marker.
    const files = [...s.h.fake.workspaceFs.files.keys()];
    for (
      const f of [
        "train.py",
        "lakevision_jobs/engine.py",
        "launch_torchrun.py",
        "launch_distributor.py",
        "UPLOAD_COMPLETE.txt",
      ]
    ) assert(files.includes(`${JOBS_DIR}/${hash}/${f}`), `uploaded ${f}`);
    assert(!files.some((f) => f.includes("/tests/")), "jobs tests are not uploaded");
    const imports = s.h.fake.count("/api/2.0/workspace/import");
    await launchRun(s.ctx, { config: { name: "shapes" }, compute: dbx({}) });
    assertEquals(
      s.h.fake.count("/api/2.0/workspace/import"),
      imports,
      "unchanged code not re-uploaded",
    );
  },
});

Deno.test({
  name: "[training/databricks] 4 GPUs on one node: torchrun launcher with --nproc-per-node 4",
  ...opts,
  async fn() {
    await using s = await setup();
    const { hash } = await jobsCodeBundle();
    const { run } = await launchRun(s.ctx, {
      config: { name: "shapes", version: 1 },
      compute: dbx({ nodeType: "g5.12xlarge", gpusPerNode: 4 }),
      maxSteps: 100,
    });
    assertEquals(run.distribution, "torchrun");
    const t = submitted(s.h, run.jobRunId).tasks[0];
    assertEquals(t.spark_python_task.python_file, `${JOBS_DIR}/${hash}/launch_torchrun.py`);
    assertEquals(t.spark_python_task.parameters, [
      "--nproc-per-node",
      "4",
      "--config",
      `${VOL}/configs/shapes/v1.yaml`,
      "--run-dir",
      `${VOL}/runs/${run.id}`,
      "--max-steps",
      "100",
      "--device",
      "cuda",
    ]);
    assertEquals(t.new_cluster.node_type_id, "g5.12xlarge");
    assertEquals(t.new_cluster.num_workers, 0);
    assertEquals(t.new_cluster.aws_attributes, { availability: "ON_DEMAND" });
    assertEquals(t.email_notifications, undefined);
    const launcher = new TextDecoder().decode(
      s.h.fake.workspaceFs.files.get(`${JOBS_DIR}/${hash}/launch_torchrun.py`),
    );
    assertStringIncludes(launcher, '"torch.distributed.run", "--standalone"');
    assertEquals(run.command.slice(0, 3), ["torchrun", "--standalone", "--nproc_per_node=4"]);
  },
});

Deno.test({
  name: "[training/databricks] 2 nodes × 4 GPUs: TorchDistributor launcher, driver + 2 GPU workers",
  ...opts,
  async fn() {
    await using s = await setup();
    const { hash } = await jobsCodeBundle();
    const { run } = await launchRun(s.ctx, {
      config: { name: "shapes", version: 1 },
      compute: dbx({ nodeType: "Standard_NC24ads_A100_v4", gpusPerNode: 4, nodes: 2, spot: true }),
    });
    assertEquals(run.distribution, "distributor");
    const t = submitted(s.h, run.jobRunId).tasks[0];
    assertEquals(t.spark_python_task.python_file, `${JOBS_DIR}/${hash}/launch_distributor.py`);
    assertEquals(t.spark_python_task.parameters.slice(0, 2), ["--num-processes", "8"]);
    // Executors read the code from the volume copy (mounted on every node), not /Workspace.
    const codeDir = `${VOL}/_lakevision/jobs/${hash}`;
    assertEquals(t.spark_python_task.parameters.slice(2, 4), ["--code-dir", codeDir]);
    assertEquals(await s.h.fake.files.sizeOf(`${codeDir}/train.py`) !== undefined, true);
    assertEquals(
      await s.h.fake.files.sizeOf(`${codeDir}/lakevision_jobs/tracking.py`) !== undefined,
      true,
    );
    assertEquals(t.new_cluster, {
      spark_version: GPU_RUNTIME,
      node_type_id: "Standard_NC24ads_A100_v4",
      driver_node_type_id: "Standard_NC24ads_A100_v4",
      num_workers: 2,
      data_security_mode: "SINGLE_USER",
      azure_attributes: {
        availability: "SPOT_WITH_FALLBACK_AZURE",
        first_on_demand: 1,
        spot_bid_max_price: -1,
      },
      custom_tags: { lakevision: "training" },
    });
    const launcher = new TextDecoder().decode(
      s.h.fake.workspaceFs.files.get(`${JOBS_DIR}/${hash}/launch_distributor.py`),
    );
    assertStringIncludes(
      launcher,
      "TorchDistributor(num_processes=n, local_mode=False, use_gpu=True)",
    );
  },
});

Deno.test({
  name: "[training/databricks] a 503 on runs/submit is retried with the same token: one run",
  ...opts,
  async fn() {
    await using s = await setup();
    s.h.fake.fail("/api/2.2/jobs/runs/submit", { status: 503, times: 2 });
    const { run } = await launchRun(s.ctx, { config: { name: "shapes" }, compute: dbx({}) });
    assertEquals(run.status, "queued", run.message);
    assertEquals(s.h.fake.count("/api/2.2/jobs/runs/submit", "POST"), 3);
    assertEquals(s.h.fake.jobs.runs.size, 1);
  },
});

Deno.test({
  name:
    "[training/databricks] a job the workspace no longer knows ends as failed, not running forever",
  ...opts,
  async fn() {
    await using s = await setup();
    const { run } = await launchRun(s.ctx, { config: { name: "shapes" }, compute: dbx({}) });
    s.h.fake.jobs.runs.delete(Number(run.jobRunId));
    const after = await refreshRun(s.h.ws, await getRun(run.id));
    assertEquals(after.status, "failed");
    assertStringIncludes(after.message ?? "", "no longer knows job");
  },
});

Deno.test({
  name: "[training/databricks] existing cluster and forced distribution; double submit → one run",
  ...opts,
  async fn() {
    await using s = await setup();
    const req = {
      config: { name: "shapes", version: 1 },
      compute: dbx({
        existingClusterId: "0101-abc",
        gpusPerNode: 8,
        distribution: "single" as const,
      }),
      idempotencyToken: "double-click-token",
    };
    const [a, b] = await Promise.all([launchRun(s.ctx, req), launchRun(s.ctx, req)]);
    assertEquals(a.run.id, b.run.id);
    assertEquals(a.run.status, "queued", a.run.message);
    assertEquals(s.h.fake.jobs.runs.size, 1);
    const t = submitted(s.h, a.run.jobRunId).tasks[0];
    assertEquals(t.existing_cluster_id, "0101-abc");
    assertEquals(t.new_cluster, undefined);
    assertEquals(t.spark_python_task.python_file.endsWith("/train.py"), true);
  },
});

Deno.test({
  name:
    "[training/databricks] a launched run gets its MLflow experiment under LAKEVISION_EXPERIMENT_ROOT",
  ...opts,
  async fn() {
    await using s = await setup({ experimentRoot: "/Shared/lakevision" });
    const { run } = await launchRun(s.ctx, { config: { name: "shapes" }, compute: dbx({}) });
    assertEquals(run.status, "queued", run.message);
    const t = submitted(s.h, run.jobRunId).tasks[0];
    assertEquals(t.new_cluster.spark_env_vars, {
      LAKEVISION_EXPERIMENT: "/Shared/lakevision/shapes",
      MLFLOW_TRACKING_URI: "databricks",
    });
    // The experiment's folder exists before the job creates the experiment in it.
    assert(s.h.fake.count("/api/2.0/workspace/mkdirs") > 0);
  },
});

Deno.test({
  name:
    "[training/databricks] on an existing cluster the run's experiment is train.py's --experiment, shown in the command",
  ...opts,
  async fn() {
    await using s = await setup({ experimentRoot: "/Shared/lakevision" });
    const { run } = await launchRun(s.ctx, {
      config: { name: "shapes" },
      compute: dbx({ existingClusterId: "0101-abc", gpusPerNode: 1 }),
    });
    assertEquals(run.status, "queued", run.message);
    const t = submitted(s.h, run.jobRunId).tasks[0];
    assertEquals(t.existing_cluster_id, "0101-abc");
    const params: string[] = t.spark_python_task.parameters;
    assertEquals(params.slice(-2), ["--experiment", "/Shared/lakevision/shapes"]);
    assertEquals(run.command.slice(-2), ["--experiment", "/Shared/lakevision/shapes"]);
    assert(s.h.fake.count("/api/2.0/workspace/mkdirs") > 0, "its folder is made first");
  },
});

async function appFor(s: Setup, method: "GET" | "POST" = "GET") {
  const settings = loadSettings({
    LAKEVISION_DATA_DIR: await Deno.makeTempDir({ prefix: "lakevision-dbx-" }),
    LAKEVISION_LOG: "silent",
    LAKEVISION_DEMO: "0",
    LAKEVISION_VOLUME: VOL,
  });
  const app = await createApp({ settings, workspace: s.h.ws, root: ROOT });
  if (method === "POST") {
    return async (path: string, form?: Record<string, string>) => {
      const res = await app.request(`http://localhost${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: "http://localhost",
        },
        body: new URLSearchParams(form).toString(),
      });
      assertEquals(res.status, 303, await res.clone().text());
      await res.body?.cancel();
      return res.headers.get("location")!;
    };
  }
  return async (path: string, _form?: Record<string, string>) => {
    const res = await app.request(`http://localhost${path}`);
    assertEquals(res.status, 200, path);
    return await res.text();
  };
}

Deno.test({
  name:
    "[training/databricks] the launch form lists GPU node types and GPU ML runtimes; a double-posted form starts one run",
  ...opts,
  async fn() {
    await using s = await setup();
    const get = await appFor(s);
    const html = await get("/training/new");
    assertStringIncludes(html, "g5.12xlarge — 4 GPU, 192 GB, 48 cores");
    assert(!html.includes("m5d.xlarge —"), "CPU-only node types are not offered");
    assertStringIncludes(html, "16.4 LTS ML (GPU, Scala 2.12, Spark 3.5.2)");
    assert(!html.includes(">15.4 LTS ML (includes"), "CPU ML runtimes are not offered");
    // Launch checks the config's data folders exist and hold class folders.
    for (const split of ["train", "val"]) {
      for (const cls of ["circle", "square"]) {
        await s.h.ws.files.write(
          `/Volumes/main/cv/data/datasets/shapes/${split}/${cls}/0.png`,
          new Uint8Array([137, 80, 78, 71]),
        );
      }
    }
    const post = await appFor(s, "POST");
    const form = {
      config: "shapes@1",
      compute: "databricks",
      nodeType: "g5.12xlarge|4",
      runtime: GPU_RUNTIME,
      nodes: "1",
      distribution: "auto",
      timeoutMinutes: "30",
      emails: "a@example.com, b@example.com",
      token: "form-token-123456",
    };
    const [a, b] = await Promise.all([post("/training/new", form), post("/training/new", form)]);
    assertEquals(a, b);
    assertEquals(s.h.fake.jobs.runs.size, 1);
    const run = await getRun(a.split("/").pop()!);
    assertEquals(run.distribution, "torchrun");
    const body = submitted(s.h, run.jobRunId);
    assertEquals(body.idempotency_token, "form-token-123456");
    assertEquals(body.timeout_seconds, 1800);
    assertEquals(body.tasks[0].email_notifications.on_failure, ["a@example.com", "b@example.com"]);
  },
});

Deno.test({
  name:
    "[training/databricks] run page follows PENDING → RUNNING → SUCCESS with the state message and the job's own MLflow metrics",
  ...opts,
  async fn() {
    await using s = await setup();
    const get = await appFor(s);
    const { run } = await launchRun(s.ctx, { config: { name: "shapes" }, compute: dbx({}) });
    let html = await get(`/training/${run.id}`);
    assertMatch(html, /data-status="queued"/);
    assertStringIncludes(html, "Waiting for cluster");
    assertStringIncludes(html, "cluster starting");
    s.h.fake.jobs.set(run.jobRunId!, "RUNNING");
    // The job's own MLflow run, and a newer unrelated one that must not be shown.
    const own = s.h.fake.mlflow.addRun({
      experiment: "/Shared/cv",
      status: "RUNNING",
      metrics: [{ key: "loss", value: 0.9, step: 1 }, { key: "loss", value: 0.5, step: 2 }],
    });
    s.h.fake.mlflow.addRun({
      experiment: "/Shared/cv",
      metrics: [{ key: "loss", value: 123, step: 9 }],
    });
    await s.h.ws.files.write(
      `${run.runDir}/status.json`,
      JSON.stringify({
        phase: "training",
        step: 2,
        total_steps: 10,
        epoch: 1,
        eta_seconds: 40,
        mlflow_run_id: own,
        updated_at: Date.now(),
      }),
    );
    html = await get(`/training/${run.id}`);
    assertMatch(html, /data-status="running"/);
    assertStringIncludes(html, "step 2 of 10");
    const rec = await getRun(run.id);
    assertEquals(rec.mlflowRunId, own);
    assertEquals(rec.lastMetrics.loss, 0.5);
    s.h.fake.jobs.set(run.jobRunId!, "SUCCESS");
    await s.h.ws.files.write(
      `${run.runDir}/status.json`,
      JSON.stringify({
        phase: "succeeded",
        step: 10,
        total_steps: 10,
        epoch: 3,
        mlflow_run_id: own,
        final_metrics: { eval_accuracy: 0.8 },
      }),
    );
    html = await get(`/training/${run.id}`);
    assertMatch(html, /data-status="succeeded"/);
    assertEquals((await getRun(run.id)).lastMetrics.eval_accuracy, 0.8);
    assertStringIncludes(html, `/#job/runs/${run.jobRunId}`);
  },
});

Deno.test({
  name: "[training/databricks] a cluster that dies shows failed with Databricks' state message",
  ...opts,
  async fn() {
    await using s = await setup();
    const get = await appFor(s);
    const { run } = await launchRun(s.ctx, { config: { name: "shapes" }, compute: dbx({}) });
    s.h.fake.jobs.set(run.jobRunId!, "RUNNING");
    await refreshRun(s.h.ws, await getRun(run.id));
    s.h.fake.jobs.set(run.jobRunId!, "INTERNAL_ERROR", {
      message: "Cluster 0101-xyz was terminated: SPOT_INSTANCE_TERMINATION",
    });
    const html = await get(`/training/${run.id}`);
    assertMatch(html, /data-status="failed"/);
    assertStringIncludes(html, "SPOT_INSTANCE_TERMINATION");
    const list = await get(`/training?status=failed`);
    assertStringIncludes(list, run.id);
  },
});

Deno.test({
  name:
    "[training/databricks] a 503 storm while monitoring keeps the page up with the last state, then recovers",
  ...opts,
  async fn() {
    await using s = await setup();
    const get = await appFor(s);
    const { run } = await launchRun(s.ctx, { config: { name: "shapes" }, compute: dbx({}) });
    s.h.fake.jobs.set(run.jobRunId!, "RUNNING");
    await s.h.ws.files.write(
      `${run.runDir}/status.json`,
      JSON.stringify({ phase: "training", step: 3, total_steps: 10 }),
    );
    await refreshRun(s.h.ws, await getRun(run.id));
    s.h.fake.fail("/api/*", { status: 503, times: Infinity });
    let html = await get(`/training/${run.id}`);
    assertMatch(html, /data-status="running"/);
    assertStringIncludes(html, "has not answered since");
    assertStringIncludes(html, "step 3 of 10");
    html = await get(`/training`);
    assertStringIncludes(html, "workspace not answering");
    s.h.fake.clearFaults();
    s.h.fake.jobs.set(run.jobRunId!, "SUCCESS");
    await s.h.ws.files.write(
      `${run.runDir}/status.json`,
      JSON.stringify({ phase: "succeeded", step: 10, total_steps: 10 }),
    );
    html = await get(`/training/${run.id}`);
    assertMatch(html, /data-status="succeeded"/);
    assert(!html.includes("has not answered since"));
  },
});

Deno.test("[training/databricks] the uploaded launchers are valid Python that refuse a missing count", async () => {
  const { DISTRIBUTOR_LAUNCHER, TORCHRUN_LAUNCHER } = await import(
    "@/lib/workspace/databricks/jobs_code.ts"
  );
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, src] of [["t.py", TORCHRUN_LAUNCHER], ["d.py", DISTRIBUTOR_LAUNCHER]]) {
      await Deno.writeTextFile(`${dir}/${name}`, src);
      const out = await new Deno.Command("python3", {
        args: [`${dir}/${name}`, "--config", "x.yaml"],
        stderr: "piped",
      }).output();
      assertEquals(out.code, 1, name);
      assertStringIncludes(new TextDecoder().decode(out.stderr), "usage:");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
