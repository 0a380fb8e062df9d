import { assert, assertEquals } from "@/tests/assert.ts";
import { setupFake, VOLUME } from "@/tests/fake_databricks/testing.ts";
import { stageJobsCode } from "./code_staging.ts";
import { jobsCodeBundle } from "./jobs_code.ts";

const JOBS_DIR = "/Workspace/Shared/lv-staging/jobs";

Deno.test("[code staging] Databricks uploads the code per content after onUpload, names entrypoints by hash and copies to a volume on request", async () => {
  await using t = await setupFake({ jobsDir: JOBS_DIR, experimentRoot: "/Shared/lv" });
  const { hash } = await jobsCodeBundle();
  const seen: number[] = [];
  const imports = () => t.fake.requests.filter((r) => r.path === "/api/2.0/workspace/import");
  const code = await t.ws.jobs.stageCode({
    inVolume: VOLUME,
    onUpload: () => Promise.resolve(seen.push(imports().length)),
  });
  assertEquals(seen, [0], "onUpload runs once, before anything is uploaded");
  assert(imports().length > 0, "the code was uploaded");
  assertEquals(code.dir, `${JOBS_DIR}/${hash}`);
  assertEquals(code.entrypoint("batch_infer.py"), `${hash}/batch_infer.py`);
  assertEquals(code.volumeDir, `${VOLUME}/_lakevision/jobs/${hash}`);
  assert(await t.ws.files.stat(`${code.volumeDir}/train.py`), "the volume copy has the code");

  const again = await t.ws.jobs.stageCode();
  assertEquals(again.volumeDir, undefined, "no volume copy unless asked");
  assertEquals(again.dir, code.dir);

  const cluster = { new_cluster: { spark_version: "15.4.x-gpu-ml-scala2.12" } };
  const withExperiment = await code.jobCompute(cluster, { experiment: "shapes" });
  assertEquals(withExperiment?.libraries, [{ requirements: `${code.dir}/requirements.txt` }]);
  assertEquals(
    (withExperiment?.new_cluster as { spark_env_vars: Record<string, string> }).spark_env_vars,
    { LAKEVISION_EXPERIMENT: "/Shared/lv/shapes", MLFLOW_TRACKING_URI: "databricks" },
  );
  const plain = await code.jobCompute({ existing_cluster_id: "c-1" });
  assertEquals(plain, {
    existing_cluster_id: "c-1",
    libraries: [{ requirements: `${code.dir}/requirements.txt` }],
  });
  // Libraries the caller names stay, the requirements come after them (once).
  const own = { pypi: { package: "onnxruntime" } };
  const withOwn = await code.jobCompute({ existing_cluster_id: "c-1", libraries: [own] });
  assertEquals(withOwn?.libraries, [own, { requirements: `${code.dir}/requirements.txt` }]);
  assertEquals((await code.jobCompute(withOwn))?.libraries, withOwn?.libraries);
});

Deno.test("[code staging] an existing cluster or serverless gets the experiment as --experiment, its folder made first; a new cluster gets it in its environment", async () => {
  await using t = await setupFake({ jobsDir: JOBS_DIR, experimentRoot: "/Shared/lv/" });
  const code = await stageJobsCode(t.ws);
  const mkdirs = () => t.fake.requests.filter((r) => r.path === "/api/2.0/workspace/mkdirs");
  const before = mkdirs().length;
  const existing = { existing_cluster_id: "0101-abc" };
  assertEquals(await code.jobArgs(existing, { experiment: "shapes" }), [
    "--experiment",
    "/Shared/lv/shapes",
  ]);
  assertEquals(mkdirs().length, before + 1, "the experiment's folder is made first");
  assert(t.fake.workspaceFs.dirs.has("/Shared/lv"), "the root exists in the workspace");
  assertEquals(await code.jobArgs({ environment_key: "default" }, { experiment: "shapes" }), [
    "--experiment",
    "/Shared/lv/shapes",
  ]);
  // The compute itself is not changed for an existing cluster (runs/submit has no place for it).
  assertEquals(await code.jobCompute(existing, { experiment: "shapes" }), {
    ...existing,
    libraries: [{ requirements: `${code.dir}/requirements.txt` }],
  });
  const cluster = { new_cluster: { spark_version: "15.4.x-gpu-ml-scala2.12" } };
  assertEquals(await code.jobArgs(cluster, { experiment: "shapes" }), []);
  assertEquals(await code.jobArgs(existing), [], "no experiment asked for");

  await using bare = await setupFake({ jobsDir: JOBS_DIR });
  const noRoot = await stageJobsCode(bare.ws);
  assertEquals(await noRoot.jobArgs(existing, { experiment: "shapes" }), []);
  assert(!bare.fake.workspaceFs.dirs.has("/Shared/lv"), "no experiment folder without a root");
});
