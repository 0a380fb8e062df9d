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

// ---- Model Serving: the fake refuses and omits what the real API does ----------------------

const SE = "/api/2.0/serving-endpoints";
const ENTITY = {
  name: "m-1",
  entity_name: "main.cv.m",
  entity_version: "1",
  workload_size: "Small",
  scale_to_zero_enabled: true,
};

async function servingFake() {
  const fake = await FakeDatabricks.start();
  fake.addToken("pat", { userName: "dev@example.com" });
  fake.addClient("sp", "secret");
  const form = (f: Record<string, string>) =>
    fetch(`${fake.url}/oidc/v1/token`, { method: "POST", body: new URLSearchParams(f) })
      .then(async (r) => ({ status: r.status, body: await r.json() }));
  const m2m =
    (await form({ grant_type: "client_credentials", client_id: "sp", client_secret: "secret" }))
      .body.access_token as string;
  const call = async (method: string, path: string, body?: unknown, token = "pat", base = "") => {
    const res = await fetch(`${base || fake.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const create = (name: string, extra: Record<string, unknown> = {}) =>
    call("POST", SE, { name, config: { served_entities: [ENTITY] }, ...extra });
  return { fake, call, create, form, m2m, [Symbol.asyncDispose]: () => fake.close() };
}

Deno.test("[fake_databricks] serving list answers summaries: no endpoint_url, data plane, served-entity state, size or traffic", async () => {
  await using t = await servingFake();
  await t.create("fast", { route_optimized: true });
  t.fake.serving.settle("fast");
  const list = (await t.call("GET", SE)).body.endpoints;
  assertEquals(Object.keys(list[0]).sort(), [
    "config",
    "creation_timestamp",
    "creator",
    "id",
    "last_updated_timestamp",
    "name",
    "state",
  ]);
  assertEquals(list[0].config, {
    served_entities: [{ name: "m-1", entity_name: "main.cv.m", entity_version: "1" }],
  });
  const got = (await t.call("GET", `${SE}/fast`)).body;
  for (const k of ["endpoint_url", "data_plane_info", "route_optimized", "permission_level"]) {
    assert(k in got, k);
  }
  assertEquals(got.config.served_entities[0].state.deployment, "DEPLOYMENT_READY");
  assertEquals(got.config.served_entities[0].workload_size, "Small");
});

Deno.test("[fake_databricks] a new endpoint is NOT_READY / IN_PROGRESS for a couple of reads, then READY; a failed update keeps its message", async () => {
  await using t = await servingFake();
  await t.create("e");
  const states = [];
  for (let i = 0; i < 3; i++) states.push((await t.call("GET", `${SE}/e`)).body.state);
  assertEquals(states.map((s) => `${s.ready}/${s.config_update}`), [
    "NOT_READY/IN_PROGRESS",
    "NOT_READY/IN_PROGRESS",
    "READY/NOT_UPDATING",
  ]);
  t.fake.serving.failNextUpdate("e", "Out of GPU capacity.");
  assertEquals((await t.call("PUT", `${SE}/e/config`, { served_entities: [ENTITY] })).status, 200);
  await t.call("GET", `${SE}/e`);
  await t.call("GET", `${SE}/e`);
  const failed = (await t.call("GET", `${SE}/e`)).body;
  assertEquals(failed.state, { ready: "READY", config_update: "UPDATE_FAILED" });
  assertEquals(failed.pending_config.served_entities[0].state, {
    deployment: "DEPLOYMENT_FAILED",
    deployment_state_message: "Out of GPU capacity.",
  });
  assertEquals(failed.config.config_version, 1);
});

Deno.test("[fake_databricks] a config PUT while an update is IN_PROGRESS is 409 RESOURCE_CONFLICT", async () => {
  await using t = await servingFake();
  await t.create("e");
  const r = await t.call("PUT", `${SE}/e/config`, { served_entities: [ENTITY] });
  assertEquals([r.status, r.body.error_code], [409, "RESOURCE_CONFLICT"]);
  assertEquals((await t.create("e")).body.error_code, "RESOURCE_ALREADY_EXISTS");
});

Deno.test("[fake_databricks] unknown fields anywhere in serving bodies are 400 INVALID_PARAMETER_VALUE naming the field; non-JSON is MALFORMED_REQUEST", async () => {
  await using t = await servingFake();
  const bad: [string, string, unknown, string][] = [
    [
      "POST",
      SE,
      { name: "a", config: { served_entities: [ENTITY] }, served_models: [] },
      "served_models",
    ],
    ["POST", SE, { name: "a", config: { served_entities: [ENTITY], routes: [] } }, "config.routes"],
    ["POST", SE, {
      name: "a",
      config: { served_entities: [{ ...ENTITY, gpu: true }] },
    }, "served_entities[0].gpu"],
    ["POST", SE, {
      name: "a",
      config: {
        served_entities: [ENTITY],
        traffic_config: {
          routes: [{ served_entity_name: "m-1", traffic_percentage: 100, weight: 1 }],
        },
      },
    }, "traffic_config.routes[0].weight"],
    ["POST", SE, {
      name: "a",
      config: { served_entities: [ENTITY] },
      ai_gateway: { inference_tables: true },
    }, "ai_gateway.inference_tables"],
  ];
  for (const [method, path, body, field] of bad) {
    const r = await t.call(method, path, body);
    assertEquals([r.status, r.body.error_code], [400, "INVALID_PARAMETER_VALUE"], field);
    assert(r.body.message.includes(`unknown field '${field}'`), r.body.message);
  }
  await t.create("e");
  t.fake.serving.settle("e");
  const gw = await t.call("PUT", `${SE}/e/ai-gateway`, {
    inference_table_config: { enabled: true, catalog_name: "main", schema_name: "cv", table: "x" },
  });
  assert(gw.body.message.includes("unknown field 'inference_table_config.table'"));
  const cfg = await t.call("PUT", `${SE}/e/config`, {
    served_entities: [ENTITY],
    route_optimized: true,
  });
  assert(cfg.body.message.includes("unknown field 'route_optimized'"));
  const junk = await t.call("POST", SE, "{not json");
  assertEquals([junk.status, junk.body.error_code], [400, "MALFORMED_REQUEST"]);
  assertEquals(t.fake.serving.endpoints.size, 1);
});

Deno.test("[fake_databricks] workload_type must be one of Model Serving's; traffic must name served entities and add up to 100", async () => {
  await using t = await servingFake();
  const with_ = (entities: unknown[], traffic?: unknown) =>
    t.call("POST", SE, {
      name: "a",
      config: { served_entities: entities, ...(traffic ? { traffic_config: traffic } : {}) },
    });
  const gpu = await with_([{ ...ENTITY, workload_type: "GPU" }]);
  assertEquals(gpu.status, 400);
  assert(gpu.body.message.includes("MULTIGPU_MEDIUM"), gpu.body.message);
  assertEquals((await with_([{ ...ENTITY, workload_type: "MULTIGPU_MEDIUM" }])).status, 200);
  t.fake.serving.endpoints.clear();
  const two = [ENTITY, { ...ENTITY, name: "m-2", entity_version: "2" }];
  assertEquals((await with_(two)).status, 400, "several entities need traffic_config");
  const routes = (a: number, b: number, to = "m-2") => ({
    routes: [
      { served_entity_name: "m-1", traffic_percentage: a },
      { served_entity_name: to, traffic_percentage: b },
    ],
  });
  assert((await with_(two, routes(50, 40))).body.message.includes("add up to 90"));
  assert((await with_(two, routes(50, 50, "m-9"))).body.message.includes("names no served entity"));
  assertEquals((await with_(two, routes(50.5, 49.5))).status, 400);
  assertEquals((await with_(two, routes(80, 20))).status, 200);
});

Deno.test("[fake_databricks] route-optimized endpoints: refused on the workspace path; their data plane takes only an exchanged token", async () => {
  await using t = await servingFake();
  await t.create("fast", { route_optimized: true });
  t.fake.serving.settle("fast");
  const ep = (await t.call("GET", `${SE}/fast`)).body;
  const { endpoint_url: url, authorization_details: details } = ep.data_plane_info.query_info;
  const path = new URL(url).pathname;
  const body = { inputs: [1] };
  assertEquals((await t.call("POST", "/serving-endpoints/fast/invocations", body)).status, 400);
  assertEquals((await t.call("POST", path, body, "pat")).status, 401, "PAT at the data plane");
  assertEquals((await t.call("POST", path, body, t.m2m)).status, 401, "M2M at the data plane");
  const exchange = (assertion: string) =>
    t.form({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      authorization_details: details,
      assertion,
    });
  assertEquals((await exchange("pat")).status, 401, "a PAT cannot be exchanged");
  const dp = await exchange(t.m2m);
  assertEquals([dp.status, dp.body.token_type], [200, "Bearer"]);
  const ok = await t.call("POST", path, body, dp.body.access_token);
  assertEquals([ok.status, ok.body], [200, { predictions: [{ index: 0 }] }]);
  // A data-plane token is no workspace token.
  assertEquals((await t.call("GET", SE, undefined, dp.body.access_token)).status, 401);
});
