/**
 * A training run on an existing Databricks cluster, against the strict fake: runs/submit has no
 * place for environment variables outside `new_cluster`, so the run's MLflow experiment
 * (`<LAKEVISION_EXPERIMENT_ROOT>/<config>`) travels as train.py's `--experiment` argument, after
 * its folder is made; the body is built as a launch builds it (the run plan, the staged code's
 * compute and arguments) and sent through the Databricks jobs port.
 */
import { assert, assertEquals } from "./assert.ts";
import { planJob } from "@/lib/training/compute.ts";
import type { ComputeChoice } from "@/lib/training/types.ts";
import { stageJobsCode } from "@/lib/workspace/databricks/code_staging.ts";
import { jobsCodeBundle } from "@/lib/workspace/databricks/jobs_code.ts";
import { setupFake } from "./fake_databricks/testing.ts";

const VOL = "/Volumes/main/cv/data";
const ROOT = "/Shared/lakevision";

function existing(gpusPerNode: number): ComputeChoice {
  return {
    kind: "databricks",
    existingClusterId: "0101-abc",
    nodeType: "g5.12xlarge",
    gpusPerNode,
    runtime: "15.4.x-gpu-ml-scala2.12",
    nodes: 1,
    spot: false,
    timeoutMinutes: 0,
    distribution: "auto",
    emails: [],
  };
}

// deno-lint-ignore no-explicit-any
type Body = Record<string, any>;

for (const gpus of [1, 4]) {
  Deno.test(`[training/existing cluster] ${gpus} GPU(s): the experiment is an argument of train.py, its folder made first`, async () => {
    await using t = await setupFake({ experimentRoot: ROOT });
    const { hash } = await jobsCodeBundle();
    const plan = planJob({
      choice: existing(gpus),
      configPath: `${VOL}/configs/shapes/v1.yaml`,
      runDir: `${VOL}/runs/r1`,
    });
    const code = await stageJobsCode(t.ws);
    const compute = await code.jobCompute(plan.compute, { experiment: "shapes" });
    const args = [...plan.args, ...await code.jobArgs(plan.compute, { experiment: "shapes" })];
    assert(t.fake.workspaceFs.dirs.has(ROOT), "the experiment's folder is made first");
    const { runId } = await t.ws.jobs.submit({
      name: "lakevision shapes@v1 r1",
      entrypoint: code.entrypoint(plan.entrypoint),
      args,
      compute,
      runDir: `${VOL}/runs/r1`,
    });

    const task = (t.fake.jobs.runs.get(Number(runId))!.submitted as Body).tasks[0];
    assertEquals(
      Object.keys(task).sort(),
      ["existing_cluster_id", "libraries", "spark_python_task", "task_key"],
    );
    assertEquals(task.existing_cluster_id, "0101-abc");
    assertEquals(task.libraries, [{
      requirements: `/Workspace/Shared/lakevision/jobs/${hash}/requirements.txt`,
    }]);
    const params: string[] = task.spark_python_task.parameters;
    assertEquals(params.slice(-2), ["--experiment", `${ROOT}/shapes`]);
    assertEquals(params.filter((p) => p === "--experiment").length, 1);
    if (gpus > 1) {
      // The torchrun launcher takes its own two arguments and hands the rest to train.py.
      assertEquals(task.spark_python_task.python_file.endsWith("/launch_torchrun.py"), true);
      assertEquals(params.slice(0, 2), ["--nproc-per-node", String(gpus)]);
    } else {
      assertEquals(task.spark_python_task.python_file.endsWith(`/${hash}/train.py`), true);
      assertEquals(params[0], "--config");
    }
  });
}

Deno.test("[training/existing cluster] the strict fake refuses environment variables beside an existing cluster, as runs/submit does", async () => {
  await using t = await setupFake();
  const res = await fetch(`${t.fake.url}/api/2.2/jobs/runs/submit`, {
    method: "POST",
    headers: { authorization: "Bearer dapi-test-token" },
    body: JSON.stringify({
      run_name: "x",
      tasks: [{
        task_key: "main",
        existing_cluster_id: "0101-abc",
        spark_env_vars: { LAKEVISION_EXPERIMENT: `${ROOT}/shapes` },
        spark_python_task: { python_file: "/Workspace/x/train.py" },
      }],
    }),
  });
  const body = await res.json();
  assertEquals([res.status, body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
  assert(body.message.includes("unknown field 'spark_env_vars' in SubmitTask"), body.message);
});
