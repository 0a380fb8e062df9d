/**
 * Batch inference on the job runner against the strict fake Databricks workspace: the
 * runs/submit the app sends for a Delta table in and out (an existing cluster) and for a
 * Parquet file out (a new job cluster), field by field as the SDK's SubmitTask has them and
 * parsed by jobs/batch_infer.py's own argument parser; then the batch's API and page following
 * the job's status.json the same way whatever the output (JSONL, Parquet, Delta table).
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { startBatch } from "@/lib/serving/batch/service.ts";
import type { BatchRecord, BatchRequest } from "@/lib/serving/batch/types.ts";
import { createApp } from "@/lib/web/app.ts";
import { jobsCodeBundle } from "@/lib/workspace/databricks/jobs_code.ts";
import { type Harness, setupFake, VOLUME } from "./fake_databricks/testing.ts";
import { ROOT, testApp } from "./helpers.ts";

const MODEL = "main.cv.tiny";
const MODEL_DIR = `${VOLUME}/models/${MODEL}/1`;
const JOBS_DIR = "/Workspace/Shared/lakevision/jobs";
const JOBS = new URL("../jobs/", import.meta.url).pathname;

// deno-lint-ignore no-explicit-any
type Body = Record<string, any>;

async function setup() {
  const h = await setupFake();
  const local = await testApp({ LAKEVISION_VOLUME: VOLUME });
  h.fake.models.addVersion(MODEL, { runId: "r1" });
  await h.fake.files.put(
    `${MODEL_DIR}/manifest.json`,
    JSON.stringify({ name: MODEL, version: "1", files: {} }),
  );
  const app = await createApp({
    settings: { ...local.settings, workspace: "databricks" as const },
    workspace: h.ws,
    root: ROOT,
  });
  return {
    h,
    ctx: { ws: h.ws, volume: VOLUME, user: "dev@example.com" },
    request: (p: string) => app.request(`http://localhost${p}`),
    async [Symbol.asyncDispose]() {
      await local.close();
      await h[Symbol.asyncDispose]();
    },
  };
}

function submitted(h: Harness, b: BatchRecord): Body {
  const run = h.fake.jobs.runs.get(Number(b.jobRunId));
  assert(run, `the fake has run ${b.jobRunId}`);
  return run.submitted as Body;
}

/** batch_infer.py's parser over the parameters, as the job on the cluster reads them. */
async function parsedByTheJob(params: string[]): Promise<Record<string, unknown>> {
  const code = "import json, sys; sys.path.insert(0, sys.argv[1]); import batch_infer; " +
    "print(json.dumps(vars(batch_infer.get_args_parser().parse_args(sys.argv[2:]))))";
  const out = await new Deno.Command("python3", {
    args: ["-c", code, JOBS, ...params],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("[batch/databricks] a Delta table in and out on an existing cluster: the runs/submit field by field", async () => {
  await using s = await setup();
  const { hash } = await jobsCodeBundle();
  const { batch } = await startBatch(s.ctx, {
    model: MODEL,
    version: "1",
    input: { kind: "table", table: "main.cv.images", contentColumn: "content" },
    output: { kind: "table", table: "main.cv.preds" },
    cluster: { existingClusterId: "0101-abc" },
    params: { top_k: 3 },
    idempotencyToken: "batch-delta-token-1",
  });
  assertEquals([batch.runner, batch.status], ["job", "queued"], batch.message);
  const body = submitted(s.h, batch);
  assertEquals(Object.keys(body).sort(), ["idempotency_token", "run_name", "tasks"]);
  assertEquals(body.idempotency_token, "batch-delta-token-1-1");
  assertEquals(body.run_name, `lakevision batch ${MODEL}@v1 ${batch.id}`);
  assertEquals(body.tasks.length, 1);
  const task = body.tasks[0];
  assertEquals(
    Object.keys(task).sort(),
    ["existing_cluster_id", "libraries", "spark_python_task", "task_key"],
  );
  assertEquals(task.existing_cluster_id, "0101-abc");
  // onnxruntime for the model, and the jobs' requirements as every run of the code has them.
  assertEquals(task.libraries, [
    { pypi: { package: "onnxruntime" } },
    { requirements: `${JOBS_DIR}/${hash}/requirements.txt` },
  ]);
  assertEquals(Object.keys(task.spark_python_task).sort(), ["parameters", "python_file"]);
  assertEquals(task.spark_python_task.python_file, `${JOBS_DIR}/${hash}/batch_infer.py`);
  const params: string[] = task.spark_python_task.parameters;
  assertEquals(params, [
    "--model",
    MODEL_DIR,
    "--input-table",
    "main.cv.images",
    "--path-column",
    "path",
    "--content-column",
    "content",
    "--output-table",
    "main.cv.preds",
    "--run-dir",
    batch.runDir,
    "--top-k",
    "3",
  ]);
  const args = await parsedByTheJob(params);
  assertEquals(
    [args.input_table, args.path_column, args.content_column, args.output_table, args.run_dir],
    ["main.cv.images", "path", "content", "main.cv.preds", batch.runDir],
  );
  assertEquals([args.input, args.output, args.top_k, args.resume], [null, null, 3, false]);
});

Deno.test("[batch/databricks] a Parquet file out on a new job cluster: single node, the output as --output", async () => {
  await using s = await setup();
  const out = `${VOLUME}/batch/out/preds.parquet`;
  await s.h.ws.files.write(`${VOLUME}/photos/a.png`, new Uint8Array([1]));
  const { batch } = await startBatch(s.ctx, {
    model: MODEL,
    version: "1",
    input: { kind: "folder", path: `${VOLUME}/photos` },
    output: { kind: "file", path: out },
    cluster: { nodeType: "g5.xlarge", runtime: "15.4.x-gpu-ml-scala2.12" },
  });
  assertEquals([batch.runner, batch.status], ["job", "queued"], batch.message);
  const task = submitted(s.h, batch).tasks[0];
  assertEquals(
    Object.keys(task).sort(),
    ["libraries", "new_cluster", "spark_python_task", "task_key"],
  );
  assertEquals(task.new_cluster, {
    spark_version: "15.4.x-gpu-ml-scala2.12",
    node_type_id: "g5.xlarge",
    num_workers: 0,
    spark_conf: {
      "spark.databricks.cluster.profile": "singleNode",
      "spark.master": "local[*, 4]",
    },
    custom_tags: { ResourceClass: "SingleNode", lakevision: "batch" },
    data_security_mode: "SINGLE_USER",
  });
  assertEquals(task.libraries.length, 2);
  const params: string[] = task.spark_python_task.parameters;
  const args = await parsedByTheJob(params);
  assertEquals(
    [args.input, args.path_root, args.output, args.output_table, args.run_dir],
    [`${VOLUME}/photos`, `${VOLUME}/photos`, out, null, batch.runDir],
  );
});

const OUTPUTS: [string, BatchRequest["output"]][] = [
  ["JSONL", { kind: "file", path: `${VOLUME}/batch/out/preds.jsonl` }],
  ["Parquet", { kind: "file", path: `${VOLUME}/batch/out/preds.parquet` }],
  ["Delta", { kind: "table", table: "main.cv.preds" }],
];

Deno.test("[batch/databricks] the API and the page report a job's progress from its status.json alike for JSONL, Parquet and Delta outputs", async () => {
  await using s = await setup();
  const seen: unknown[] = [];
  for (const [kind, output] of OUTPUTS) {
    const { batch } = await startBatch(s.ctx, {
      model: MODEL,
      version: "1",
      input: { kind: "table", table: "main.cv.images" },
      output,
      runner: "job",
      cluster: { existingClusterId: "0101-abc" },
    });
    assertEquals(batch.status, "queued", `${kind}: ${batch.message}`);
    s.h.fake.jobs.set(batch.jobRunId!, "RUNNING");
    const status = {
      job: "batch_infer",
      phase: "predicting",
      step: 40,
      total_steps: 100,
      errors: 2,
      skipped: 10,
      images_per_second: 5.5,
      eta_seconds: 12,
      updated_at: Date.now() + 1_000,
      ended_at: null,
    };
    await s.h.ws.files.write(`${batch.runDir}/status.json`, JSON.stringify(status));

    const api = await (await s.request(`/api/batch/${batch.id}`)).json();
    assertEquals([api.batch.status, api.batch.phase], ["running", "predicting"], kind);
    seen.push(api.batch.progress);
    const html = await (await s.request(`/deployments/batch/${batch.id}`)).text();
    assertStringIncludes(html, "40 of 100 (10 from before the resume)", kind);
    assertStringIncludes(html, '<progress class="mb-6 w-full" max="100" value="40">', kind);
    assertStringIncludes(html, "12 s · 5.5 img/s", kind);
    assertStringIncludes(html, "predicting", kind);
    if (output!.kind === "table") {
      assertStringIncludes(html, "table main.cv.preds");
      assert(!html.includes(`/api/batch/${batch.id}/download`), "no download of a table");
    } else {
      assertStringIncludes(html, output!.path);
      assertStringIncludes(html, `/api/batch/${batch.id}/download`);
    }

    await s.h.ws.files.write(
      `${batch.runDir}/status.json`,
      JSON.stringify({
        ...status,
        phase: "succeeded",
        step: 100,
        eta_seconds: 0,
        updated_at: Date.now() + 2_000,
        ended_at: Date.now() + 2_000,
      }),
    );
    s.h.fake.jobs.set(batch.jobRunId!, "SUCCESS");
    const done = await (await s.request(`/api/batch/${batch.id}`)).json();
    assertEquals([done.batch.status, done.batch.progress.done], ["succeeded", 100], kind);
    assertEquals(done.batch.progress.etaSeconds, null, kind);
    const page = await (await s.request(`/deployments/batch/${batch.id}`)).text();
    assertStringIncludes(page, "100 of 100", kind);
  }
  assertEquals(seen[1], seen[0], "Parquet reports as JSONL does");
  assertEquals(seen[2], seen[0], "Delta reports as JSONL does");
  assertEquals(seen[0], {
    done: 40,
    total: 100,
    errors: 2,
    skipped: 10,
    imagesPerSecond: 5.5,
    etaSeconds: 12,
  });
});
