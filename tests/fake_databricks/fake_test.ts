import { assert, assertEquals } from "../assert.ts";
import { FakeDatabricks } from "./server.ts";
import {
  DatabricksWorkspace,
  databricksWorkspaceFromEnv,
} from "@/lib/workspace/databricks/databricks_workspace.ts";

Deno.test("[fake_databricks] runs standalone (main.ts --port 0), seeded, and obeys its HTTP controls", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./main.ts", import.meta.url).pathname, "--port", "0"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let out = "";
    while (!/volume .*\n/.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const url = /fake Databricks on (http:\/\/\S+)/.exec(out)?.[1];
    assert(url, `no URL in ${JSON.stringify(out)}`);
    const ws = databricksWorkspaceFromEnv({ DATABRICKS_HOST: url, DATABRICKS_TOKEN: "x" });
    assertEquals(
      await ws.files.readText("/Volumes/main/lakevision/data/README.txt"),
      "Fake workspace volume.\n",
    );
    const control = (p: string, body: unknown) =>
      fetch(`${url}/__fake/${p}`, { method: "POST", body: JSON.stringify(body) }).then((r) =>
        r.json()
      );
    assertEquals(
      await control("fail", { path: "/api/2.0/serving-endpoints", status: 403, times: -1 }),
      { ok: true },
    );
    const health = await ws.health();
    assertEquals(health.filter((h) => !h.ok).map((h) => h.area), ["serving"]);
    await control("clear", {});
    await control("unavailable", { ms: 300 });
    const patient = new DatabricksWorkspace({
      host: url,
      token: "x",
      retry: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 1000, budgetMs: 120_000 },
    });
    assertEquals((await patient.serving.list()).length, 0);
  } finally {
    await reader.cancel();
    child.kill();
    await child.status;
  }
});

// ---- Unity Catalog models: the fake refuses and omits what the real API does ----------------

async function ucFake() {
  const fake = await FakeDatabricks.start({ anyToken: true });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization: "Bearer x" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const n = fake.models.addVersion("main.cv.m");
  fake.models.models.get("main.cv.m")!.aliases.set("champion", n);
  return { fake, call, [Symbol.asyncDispose]: () => fake.close() };
}

const UC = "/api/2.1/unity-catalog/models";

Deno.test("[fake_databricks] aliases come only with include_aliases=true, and never in list answers", async () => {
  await using t = await ucFake();
  const champion = [{
    alias_name: "champion",
    version_num: 1,
    catalog_name: "main",
    schema_name: "cv",
    model_name: "m",
  }];
  for (
    const path of [
      `${UC}/main.cv.m`,
      `${UC}/main.cv.m/versions/1`,
      `${UC}/main.cv.m/aliases/champion`,
    ]
  ) {
    assertEquals("aliases" in (await t.call("GET", path)).body, false, path);
    assertEquals(
      (await t.call("GET", `${path}?include_aliases=true`)).body.aliases,
      champion,
      path,
    );
  }
  const versions = await t.call("GET", `${UC}/main.cv.m/versions?include_aliases=true`);
  assertEquals("aliases" in versions.body.model_versions[0], false);
  assertEquals("tags" in versions.body.model_versions[0], false);
  const models = await t.call("GET", `${UC}?catalog_name=main&schema_name=cv`);
  assertEquals("aliases" in models.body.registered_models[0], false);
  assertEquals((await t.call("GET", `${UC}/main.cv.m?include_aliases=yes`)).status, 400);
});

Deno.test("[fake_databricks] alias names follow MLflow's rules; the PUT body is {version_num}", async () => {
  await using t = await ucFake();
  for (const bad of ["latest", "LATEST", "v3", "a%20b", "x.y"]) {
    const r = await t.call("PUT", `${UC}/main.cv.m/aliases/${bad}`, { version_num: 1 });
    assertEquals([r.status, r.body.error_code], [400, "INVALID_PARAMETER_VALUE"], bad);
  }
  const extra = await t.call("PUT", `${UC}/main.cv.m/aliases/prod`, { version_num: 1, ttl: 3 });
  assertEquals([extra.status, extra.body.message], [
    400,
    "Unknown field 'ttl' in the request body.",
  ]);
  const wrong = await t.call("PUT", `${UC}/main.cv.m/aliases/prod`, { version: 1 });
  assertEquals(wrong.status, 400);
  const missing = await t.call("PUT", `${UC}/main.cv.m/aliases/prod`, { version_num: 7 });
  assertEquals([missing.status, missing.body.error_code], [404, "RESOURCE_DOES_NOT_EXIST"]);
  const ok = await t.call("PUT", `${UC}/main.cv.m/aliases/prod-2`, {
    full_name: "main.cv.m",
    version_num: 1,
  });
  assertEquals([ok.status, ok.body.alias_name, ok.body.version_num], [200, "prod-2", 1]);
});

Deno.test("[fake_databricks] only a version's comment can be patched", async () => {
  await using t = await ucFake();
  const path = `${UC}/main.cv.m/versions/1`;
  assertEquals((await t.call("PATCH", path, { comment: "hello" })).body.comment, "hello");
  assertEquals((await t.call("PATCH", path, { status: "READY" })).status, 400);
  assertEquals((await t.call("PATCH", path, { description: "x" })).status, 400);
  assertEquals((await t.call("PATCH", `${UC}/main.cv.m/versions/9`, { comment: "x" })).status, 404);
});

Deno.test("[fake_databricks] a pending version turns READY (or FAILED_REGISTRATION) after its polls", async () => {
  await using t = await ucFake();
  t.fake.models.addVersion("main.cv.m", { pending: true, pollsToReady: 2 });
  t.fake.models.addVersion("main.cv.m", { pending: true, pollsToReady: 1, failWith: "no outputs" });
  const status = async (v: number) => (await t.call("GET", `${UC}/main.cv.m/versions/${v}`)).body;
  assertEquals((await status(2)).status, "PENDING_REGISTRATION");
  assertEquals((await status(2)).status, "PENDING_REGISTRATION");
  assertEquals((await status(2)).status, "READY");
  assertEquals((await status(3)).status, "PENDING_REGISTRATION");
  const mlflow = await t.call(
    "GET",
    "/api/2.0/mlflow/unity-catalog/model-versions/get?name=main.cv.m&version=3",
  );
  assertEquals([mlflow.body.model_version.status, mlflow.body.model_version.status_message], [
    "FAILED_REGISTRATION",
    "no outputs",
  ]);
});

Deno.test("[fake_databricks] unknown UC paths are ENDPOINT_NOT_FOUND, unknown models RESOURCE_DOES_NOT_EXIST", async () => {
  await using t = await ucFake();
  const path = await t.call("GET", `${UC}/main.cv.m/stages`);
  assertEquals([path.status, path.body.error_code], [404, "ENDPOINT_NOT_FOUND"]);
  const model = await t.call("GET", `${UC}/main.cv.nope`);
  assertEquals([model.status, model.body.error_code], [404, "RESOURCE_DOES_NOT_EXIST"]);
});

Deno.test("[fake_databricks] the simulated register.py refuses flags the real one does not take", async () => {
  await using t = await ucFake();
  await t.fake.files.addVolume("main.cv.data");
  await t.fake.files.put("/Volumes/main/cv/data/r/model.onnx", "onnx");
  await t.fake.files.put("/Volumes/main/cv/data/r/model.json", "{}");
  const submit = async (parameters: string[]) => {
    const r = await t.call("POST", "/api/2.2/jobs/runs/submit", {
      run_name: "reg",
      tasks: [{
        task_key: "main",
        existing_cluster_id: "c",
        spark_python_task: { python_file: "/Workspace/jobs/register.py", parameters },
      }],
    });
    t.fake.jobs.set(r.body.run_id, "SUCCESS");
    await t.fake.jobs.settled(r.body.run_id);
    return t.fake.jobs.runs.get(r.body.run_id)!;
  };
  const bad = await submit([
    "--run-dir",
    "/Volumes/main/cv/data/r",
    "--name",
    "main.cv.m",
    "--stage",
    "x",
  ]);
  assertEquals([bad.result_state, bad.logs.split("\n")[1]], [
    "FAILED",
    "[failed] register.py: error: unrecognized arguments: --stage",
  ]);
  const ok = await submit([
    "--run-dir",
    "/Volumes/main/cv/data/r",
    "--name",
    "main.cv.m",
    "--tag",
    "k=v",
  ]);
  assertEquals(ok.result_state, "SUCCESS");
  assertEquals(t.fake.models.models.get("main.cv.m")!.versions.get(2)!.tags, { k: "v" });
});
