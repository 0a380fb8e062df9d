import { assert, assertEquals, assertMatch, assertRejects } from "@/tests/assert.ts";
import { setupFake, VOLUME } from "@/tests/fake_databricks/testing.ts";
import type { Harness } from "@/tests/fake_databricks/testing.ts";
import { BadRequestError } from "@/lib/errors.ts";
import type { RegisterRequest, Registration } from "../types.ts";
import type { NodeType } from "./clusters.ts";
import { DatabricksError } from "./api_error.ts";
import { registrationCluster } from "./registration.ts";

const NAME = "main.cv.detector";
const SOURCE = `${VOLUME}/runs/r1`;
const MODELS = `${VOLUME}/models/${NAME}`;
const ONNX = new Uint8Array([8, 1, 18, 4, 116, 101, 115, 116]);
const MODEL_JSON = JSON.stringify({ task: "detection", labels: ["cat", "dog"] });

function request(over: Partial<RegisterRequest> = {}): RegisterRequest {
  return {
    name: NAME,
    sourceDir: SOURCE,
    modelsDir: MODELS,
    runId: "r1",
    description: "first try",
    tags: { "lakevision.run_id": "r1", "lakevision.task": "detection" },
    aliases: ["champion"],
    extras: { "card.md": "# Detector\n", "metrics.json": '{"map": 0.5}' },
    createdBy: "ana@example.com",
    ...over,
  };
}

async function withRunFiles(t: Harness, dir = SOURCE): Promise<void> {
  await t.fake.files.put(`${dir}/model.onnx`, ONNX);
  await t.fake.files.put(`${dir}/model.json`, MODEL_JSON);
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// deno-lint-ignore no-explicit-any
type Body = Record<string, any>;

Deno.test("[registration] runs/submit: register.py on a small single-node CPU ML cluster, field by field", async () => {
  await using t = await setupFake();
  await withRunFiles(t);
  const reg = await t.ws.registry.register(request());
  assertEquals([reg.state, reg.message], [
    "running",
    "registration job submitted; waiting for a cluster",
  ]);
  assertEquals(reg.url, `${t.fake.url}/#job/runs/${reg.jobRunId}`);
  assertEquals(reg.request, request());
  const body = t.fake.jobs.runs.get(Number(reg.jobRunId))!.submitted as Body;
  assertMatch(body.idempotency_token, /^[0-9a-f]{32}$/);
  assertEquals(body, {
    run_name: "lakevision register main.cv.detector",
    tasks: [{
      task_key: "main",
      spark_python_task: {
        python_file: "/Workspace/Shared/lakevision/jobs/register.py",
        parameters: [
          "--run-dir",
          SOURCE,
          "--name",
          NAME,
          "--copy-to",
          MODELS,
          "--description",
          "first try",
          "--alias",
          "champion",
          "--tag",
          "lakevision.run_id=r1",
          "--tag",
          "lakevision.task=detection",
          "--tag",
          "lakevision.created_by=ana@example.com",
          "--wait-seconds",
          "600",
        ],
      },
      new_cluster: {
        spark_version: "15.4.x-cpu-ml-scala2.12",
        node_type_id: "m5d.xlarge",
        num_workers: 0,
        spark_conf: {
          "spark.databricks.cluster.profile": "singleNode",
          "spark.master": "local[*, 4]",
        },
        custom_tags: { ResourceClass: "SingleNode", lakevision: "registration" },
        data_security_mode: "SINGLE_USER",
      },
    }],
    timeout_seconds: 3600,
    idempotency_token: body.idempotency_token,
  });
  // The cluster is chosen once per workspace; no description and no aliases mean no such flags.
  const second = await t.ws.registry.register(request({ description: undefined, aliases: [] }));
  const params = (t.fake.jobs.runs.get(Number(second.jobRunId))!.submitted as Body).tasks[0]
    .spark_python_task.parameters as string[];
  assert(!params.includes("--description") && !params.includes("--alias"), params.join(" "));
  assertEquals(t.fake.count("/api/2.1/clusters/list-node-types"), 1);
  assertEquals(t.fake.count("/api/2.1/clusters/spark-versions"), 1);
});

Deno.test("[registration] follows the job, then the version to READY, then writes card and metrics into the manifest", async () => {
  await using t = await setupFake();
  await withRunFiles(t);
  let reg = await t.ws.registry.register(request());
  const id = reg.jobRunId!;
  reg = await t.ws.registry.registration(reg);
  assertEquals([reg.state, reg.message], [
    "running",
    "waiting for the registration cluster (Waiting for cluster)",
  ]);
  t.fake.jobs.set(id, "RUNNING");
  reg = await t.ws.registry.registration(reg);
  assertEquals(reg.message, "register.py is logging the model and registering it");
  t.fake.jobs.set(id, "SUCCESS");
  await t.fake.jobs.settled(id);
  const polls = t.fake.requests.length;
  reg = await t.ws.registry.registration(reg);
  assertEquals([reg.state, reg.version, reg.message], [
    "running",
    "1",
    "waiting for Unity Catalog to finish version 1 (PENDING_REGISTRATION)",
  ]);
  reg = await t.ws.registry.registration(reg);
  assertEquals([reg.state, reg.version, reg.message], [
    "succeeded",
    "1",
    "Registered main.cv.detector version 1.",
  ]);
  assert(reg.endedAt! >= reg.startedAt);
  // The status polling, call by call: the job once, registration.json, then the version (2.1
  // with aliases + MLflow's UC get for tags and status message) until READY, then the files.
  const base = "/api/2.1/unity-catalog/models/main.cv.detector";
  assertEquals(
    t.fake.requests.slice(polls).map((r) => `${r.method} ${r.path}${r.search}`),
    [
      `GET /api/2.2/jobs/runs/get?run_id=${id}`,
      `GET /api/2.0/fs/files${SOURCE}/registration.json`,
      `GET ${base}/versions/1?include_aliases=true`,
      "GET /api/2.0/mlflow/unity-catalog/model-versions/get?name=main.cv.detector&version=1",
      `GET ${base}/versions/1?include_aliases=true`,
      "GET /api/2.0/mlflow/unity-catalog/model-versions/get?name=main.cv.detector&version=1",
      `HEAD /api/2.0/fs/files${MODELS}/1/model.onnx`,
      `PUT /api/2.0/fs/files${MODELS}/1/card.md?overwrite=true`,
      `HEAD /api/2.0/fs/files${MODELS}/1/card.md`, // the write is checked
      `PUT /api/2.0/fs/files${MODELS}/1/metrics.json?overwrite=true`,
      `HEAD /api/2.0/fs/files${MODELS}/1/metrics.json`, // the write is checked
      `GET /api/2.0/fs/files${MODELS}/1/manifest.json`,
      `PUT /api/2.0/fs/files${MODELS}/1/manifest.json?overwrite=true`,
      `HEAD /api/2.0/fs/files${MODELS}/1/manifest.json`, // the write is checked
    ],
  );
  // What Unity Catalog holds now.
  const v = await t.ws.registry.getVersion(NAME, "1");
  assertEquals([v.status, v.aliases, v.description, v.createdBy], [
    "READY",
    ["champion"],
    "first try",
    "ana@example.com",
  ]);
  assertEquals(v.tags, {
    "lakevision.run_id": "r1",
    "lakevision.task": "detection",
    "lakevision.created_by": "ana@example.com",
  });
  // The version folder: the job's copies and manifest, plus the app's card and metrics.
  const manifest = JSON.parse(await t.ws.files.readText(`${MODELS}/1/manifest.json`));
  const enc = new TextEncoder();
  assertEquals(manifest, {
    name: NAME,
    version: "1",
    files: {
      "model.onnx": { sha256: await sha256(ONNX), bytes: ONNX.byteLength },
      "model.json": { sha256: await sha256(enc.encode(MODEL_JSON)), bytes: MODEL_JSON.length },
      "card.md": { sha256: await sha256(enc.encode("# Detector\n")), bytes: 11 },
      "metrics.json": { sha256: await sha256(enc.encode('{"map": 0.5}')), bytes: 12 },
    },
  });
  assertEquals(await t.ws.files.readBytes(`${MODELS}/1/model.onnx`), ONNX);
  assertEquals(await t.ws.files.readText(`${MODELS}/1/card.md`), "# Detector\n");
  const written = JSON.parse(await t.ws.files.readText(`${SOURCE}/registration.json`));
  assertEquals([written.name, written.version, written.aliases, written.task], [
    NAME,
    "1",
    ["champion"],
    "detection",
  ]);
  // A finished registration answers the same, without asking the workspace again.
  const asked = t.fake.requests.length;
  assertEquals(await t.ws.registry.registration(reg), reg);
  assertEquals(t.fake.requests.length, asked);
});

Deno.test("[registration] against an auto-advancing fake, following until done ends READY with the alias set", async () => {
  await using t = await setupFake({}, { autoAdvance: true });
  await withRunFiles(t);
  let reg: Registration = await t.ws.registry.register(request({ aliases: ["champion", "b-2"] }));
  const seen: string[] = [];
  for (let i = 0; i < 20 && reg.state === "running"; i++) {
    reg = await t.ws.registry.registration(reg);
    seen.push(reg.message ?? "");
  }
  assertEquals([reg.state, reg.version], ["succeeded", "1"], seen.join(" | "));
  const m = await t.ws.registry.getModel(NAME);
  assertEquals(m.aliases, [{ alias: "b-2", version: "1" }, { alias: "champion", version: "1" }]);
});

Deno.test("[registration] a failed job says the job's own error", async () => {
  await using t = await setupFake();
  await t.fake.files.put(`${SOURCE}/model.json`, MODEL_JSON); // no model.onnx
  let reg = await t.ws.registry.register(request());
  t.fake.jobs.set(reg.jobRunId!, "SUCCESS"); // the fake's register.py then fails as the real one
  await t.fake.jobs.settled(reg.jobRunId!);
  reg = await t.ws.registry.registration(reg);
  assertEquals(reg.state, "failed");
  assertEquals(
    reg.message,
    `The registration job failed: ${SOURCE}/model.onnx not found; train.py (or export.py) writes it`,
  );
  assertEquals(reg.version, undefined);
  assertEquals(t.fake.models.models.size, 0, "nothing registered");
  assertEquals(await t.ws.registry.registration(reg), reg);
});

Deno.test("[registration] FAILED_REGISTRATION and a cancelled job end as failed, with the reason", async () => {
  await using t = await setupFake();
  await withRunFiles(t);
  t.fake.models.failNextRegistration = "Model signature must include outputs.";
  let reg = await t.ws.registry.register(request());
  t.fake.jobs.set(reg.jobRunId!, "SUCCESS");
  await t.fake.jobs.settled(reg.jobRunId!);
  while (reg.state === "running") reg = await t.ws.registry.registration(reg);
  assertEquals([reg.state, reg.version, reg.message], [
    "failed",
    "1",
    "Unity Catalog could not register main.cv.detector version 1: Model signature must include outputs.",
  ]);
  assertEquals(await t.fake.files.sizeOf(`${MODELS}/1/card.md`), undefined, "no card written");
  let cancelled = await t.ws.registry.register(request());
  t.fake.jobs.set(cancelled.jobRunId!, "CANCELED");
  cancelled = await t.ws.registry.registration(cancelled);
  assertEquals([cancelled.state, cancelled.message], [
    "failed",
    "The registration job was cancelled: Run cancelled.",
  ]);
});

Deno.test("[registration] bad requests are refused before anything is submitted", async () => {
  await using t = await setupFake();
  for (
    const bad of [
      request({ name: "detector" }),
      request({ aliases: ["latest"] }),
      request({ sourceDir: "/tmp/run" }),
      request({ extras: { "model.onnx": "x" } }),
      request({ extras: { "../card.md": "x" } }),
      request({ tags: { "a=b": "c" } }),
    ]
  ) {
    await assertRejects(() => t.ws.registry.register(bad), BadRequestError);
  }
  assertEquals(t.fake.jobs.runs.size, 0);
  assertEquals(t.fake.count("/api/2.1/clusters/list-node-types"), 0);
});

Deno.test("[registration] the registrationCompute setting replaces the chosen cluster", async () => {
  await using t = await setupFake({ registrationCompute: { existing_cluster_id: "0101-abc" } });
  await withRunFiles(t);
  const reg = await t.ws.registry.register(request());
  const task = (t.fake.jobs.runs.get(Number(reg.jobRunId))!.submitted as Body).tasks[0];
  assertEquals([task.existing_cluster_id, task.new_cluster], ["0101-abc", undefined]);
  assertEquals(t.fake.count("/api/2.1/clusters/list-node-types"), 0);
});

Deno.test("[registration] cluster choice: smallest usable CPU node, newest LTS CPU ML runtime", () => {
  const node = (id: string, gb: number, cores: number, more: Partial<NodeType> = {}): NodeType => ({
    node_type_id: id,
    memory_mb: gb * 1024,
    num_cores: cores,
    num_gpus: 0,
    ...more,
  });
  const spec = registrationCluster(
    [
      node("g5.xlarge", 16, 4, { num_gpus: 1 }),
      node("m5d.large", 8, 2),
      node("m5d.2xlarge", 32, 8),
      node("r5d.xlarge", 32, 4),
      node("m5d.xlarge", 16, 4),
      node("m4.xlarge", 16, 4, { is_deprecated: true }),
      node("c9.xlarge", 16, 2, { node_info: { status: ["NOT_AVAILABLE_IN_REGION"] } } as never),
    ],
    [
      { key: "16.4.x-gpu-ml-scala2.12", name: "16.4 LTS ML (GPU)" },
      { key: "17.0.x-cpu-ml-scala2.13", name: "17.0 ML Beta" },
      { key: "16.4.x-cpu-ml-scala2.12", name: "16.4 LTS ML (includes Apache Spark 3.5.2)" },
      { key: "16.1.x-cpu-ml-scala2.12", name: "16.1 ML" },
      { key: "15.4.x-cpu-ml-scala2.12", name: "15.4 LTS ML" },
      { key: "16.4.x-photon-scala2.12", name: "16.4 LTS Photon" },
    ],
  ) as { new_cluster: Body };
  assertEquals(
    [spec.new_cluster.node_type_id, spec.new_cluster.spark_version],
    ["m5d.xlarge", "16.4.x-cpu-ml-scala2.12"],
  );
  const none = (() => {
    try {
      registrationCluster([node("g5.xlarge", 16, 4, { num_gpus: 1 })], []);
    } catch (e) {
      return e;
    }
  })();
  assert(none instanceof DatabricksError && /CPU node type/.test(none.message));
});

Deno.test("[registration] a passing outage while reading registration.json is retried; a missing file fails", async () => {
  await using t = await setupFake({ retry: { maxAttempts: 1 } });
  await withRunFiles(t);
  let reg = await t.ws.registry.register(request());
  t.fake.jobs.set(reg.jobRunId!, "SUCCESS");
  await t.fake.jobs.settled(reg.jobRunId!);
  const file = `/api/2.0/fs/files${SOURCE}/registration.json`;
  t.fake.fail(file, { status: 503 });
  await assertRejects(() => t.ws.registry.registration(reg), DatabricksError);
  reg = await t.ws.registry.registration(reg);
  assertEquals([reg.state, reg.version], ["running", "1"]);
  let gone = await t.ws.registry.register(request());
  t.fake.jobs.set(gone.jobRunId!, "SUCCESS");
  await t.fake.jobs.settled(gone.jobRunId!);
  await t.ws.files.delete(`${SOURCE}/registration.json`);
  gone = await t.ws.registry.registration(gone);
  assertEquals([gone.state, gone.message], [
    "failed",
    `The registration job ended without a readable ${SOURCE}/registration.json; see the job's output.`,
  ]);
});
