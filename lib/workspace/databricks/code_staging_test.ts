import { assert, assertEquals } from "@/tests/assert.ts";
import { setupFake, VOLUME } from "@/tests/fake_databricks/testing.ts";
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
});
