import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import { BadRequestError, ConflictError, NotFoundError, WorkspaceError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import { DatabricksWorkspace } from "./databricks_workspace.ts";
import { invocationUrl, SERVING_WORKLOAD_TYPES } from "./port_serving.ts";
import type { UcNotFoundError } from "./uc_models.ts";

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

Deno.test("[registry] versions list newest first with aliases from one get-model call; aliases move and go", async () => {
  await using t = await setupFake();
  t.fake.models.addVersion("main.cv.detector", { runId: "r1", comment: "first" });
  t.fake.models.addVersion("main.cv.detector", { runId: "r2" });
  t.fake.models.addVersion("main.cv.detector", { runId: "r3" });
  t.fake.models.addVersion("other.x.model");
  await t.ws.registry.setAlias("main.cv.detector", "champion", "1");
  await t.ws.registry.setAlias("main.cv.detector", "challenger", "1");
  const models = await collect(t.ws.registry.listModels());
  // Scoped to catalog main, schema cv; aliases from each model's own get (lists carry none).
  assertEquals(models.map((m) => [m.name, m.aliases]), [[
    "main.cv.detector",
    [{ alias: "challenger", version: "1" }, { alias: "champion", version: "1" }],
  ]]);
  const before = t.fake.requests.length;
  let versions = await collect(t.ws.registry.listVersions("main.cv.detector"));
  assertEquals(versions.map((v) => [v.version, v.status, v.aliases, v.runId]), [
    ["3", "READY", [], "r3"],
    ["2", "READY", [], "r2"],
    ["1", "READY", ["challenger", "champion"], "r1"],
  ]);
  assertEquals(versions[2].description, "first");
  const calls = t.fake.requests.slice(before).map((r) => `${r.method} ${r.path}${r.search}`);
  const base = "/api/2.1/unity-catalog/models/main.cv.detector";
  assertEquals(calls.filter((c) => c.startsWith(`GET ${base}`)), [
    `GET ${base}?include_aliases=true`,
    `GET ${base}/versions?max_results=100`,
  ]);
  assertEquals(calls.filter((c) => c.includes("/mlflow/unity-catalog/")).length, 3);
  await t.ws.registry.setAlias("main.cv.detector", "champion", "3");
  versions = await collect(t.ws.registry.listVersions("main.cv.detector"));
  assertEquals(versions[0].aliases, ["champion"]);
  assertEquals((await t.ws.registry.getByAlias("main.cv.detector", "champion")).version, "3");
  await t.ws.registry.deleteAlias("main.cv.detector", "champion");
  await t.ws.registry.deleteAlias("main.cv.detector", "challenger");
  versions = await collect(t.ws.registry.listVersions("main.cv.detector"));
  assertEquals(versions.flatMap((v) => v.aliases), []);
  assertEquals(
    t.fake.models.writes.filter((w) => w.path.includes("/aliases/")).map((w) => [
      w.method,
      w.path.slice(base.length),
      w.body,
    ]),
    [
      ["PUT", "/aliases/champion", { version_num: 1 }],
      ["PUT", "/aliases/challenger", { version_num: 1 }],
      ["PUT", "/aliases/champion", { version_num: 3 }],
      ["DELETE", "/aliases/champion", undefined],
      ["DELETE", "/aliases/challenger", undefined],
    ],
  );
});

Deno.test("[registry] get-model, get-version and get-by-alias ask for aliases; versions carry tags, status message and creator", async () => {
  await using t = await setupFake();
  const n = t.fake.models.addVersion("main.cv.detector", {
    runId: "r1",
    comment: "first",
    createdBy: "sp-123",
    tags: { "lakevision.run_id": "run-1", "lakevision.created_by": "ana@example.com" },
  });
  await t.ws.registry.setAlias("main.cv.detector", "champion", String(n));
  const m = await t.ws.registry.getModel("main.cv.detector");
  assertEquals([m.name, m.owner, m.aliases], ["main.cv.detector", "dev@example.com", [{
    alias: "champion",
    version: "1",
  }]]);
  const v = await t.ws.registry.getVersion("main.cv.detector", "1");
  assertEquals(v, {
    name: "main.cv.detector",
    version: "1",
    source: "dbfs:/databricks/mlflow-tracking/1/r1/artifacts/model",
    runId: "r1",
    status: "READY",
    statusMessage: undefined,
    aliases: ["champion"],
    tags: { "lakevision.run_id": "run-1", "lakevision.created_by": "ana@example.com" },
    createdAt: v.createdAt,
    createdBy: "ana@example.com",
    description: "first",
  });
  assertEquals((await t.ws.registry.getByAlias("main.cv.detector", "champion")).aliases, [
    "champion",
  ]);
  const gets = t.fake.requests.filter((r) =>
    r.method === "GET" && r.path.startsWith("/api/2.1/unity-catalog/models/main.cv.detector")
  ).map((r) =>
    `${r.path.slice("/api/2.1/unity-catalog/models/main.cv.detector".length)}${r.search}`
  );
  assertEquals(gets, [
    "?include_aliases=true",
    "/versions/1?include_aliases=true",
    "/aliases/champion?include_aliases=true",
  ]);
  t.fake.models.setStatus("main.cv.detector", n, "FAILED_REGISTRATION", "signature has no outputs");
  const failed = await t.ws.registry.getVersion("main.cv.detector", "1");
  assertEquals([failed.status, failed.statusMessage], [
    "FAILED_REGISTRATION",
    "signature has no outputs",
  ]);
});

Deno.test("[registry] a missing model, version or alias is a NotFoundError that names it", async () => {
  await using t = await setupFake();
  t.fake.models.addVersion("main.cv.detector");
  const model = await assertRejects(() => t.ws.registry.getModel("main.cv.nope"), NotFoundError);
  assert(model.message.startsWith("Unity Catalog has no model main.cv.nope"), model.message);
  assertEquals((model as UcNotFoundError).errorCode, "RESOURCE_DOES_NOT_EXIST");
  const version = await assertRejects(
    () => t.ws.registry.getVersion("main.cv.detector", "9"),
    NotFoundError,
  );
  assert(version.message.startsWith("Unity Catalog has no version 9 of model main.cv.detector"));
  const alias = await assertRejects(
    () => t.ws.registry.getByAlias("main.cv.detector", "champion"),
    NotFoundError,
  );
  assert(alias.message.startsWith("Model main.cv.detector has no alias @champion"), alias.message);
  await assertRejects(() => collect(t.ws.registry.listVersions("main.cv.nope")), NotFoundError);
  await assertRejects(() => t.ws.registry.setAlias("main.cv.detector", "a", "9"), NotFoundError);
});

Deno.test("[registry] tags go through MLflow's UC endpoint; descriptions are a PATCH of comment; bad names are refused locally", async () => {
  await using t = await setupFake();
  t.fake.models.addVersion("main.cv.detector");
  await t.ws.registry.setTag("main.cv.detector", "1", "validated", "true");
  assertEquals(t.fake.models.models.get("main.cv.detector")!.versions.get(1)!.tags, {
    validated: "true",
  });
  await t.ws.registry.updateVersion("main.cv.detector", "1", { description: "better" });
  assertEquals((await t.ws.registry.getVersion("main.cv.detector", "1")).description, "better");
  assertEquals(t.fake.models.writes.map((w) => [w.method, w.path, w.body]), [
    ["POST", "/api/2.0/mlflow/unity-catalog/model-versions/set-tag", {
      name: "main.cv.detector",
      version: "1",
      key: "validated",
      value: "true",
    }],
    ["PATCH", "/api/2.1/unity-catalog/models/main.cv.detector/versions/1", { comment: "better" }],
  ]);
  const before = t.fake.requests.length;
  await assertRejects(() => t.ws.registry.setAlias("detector", "x", "1"), BadRequestError);
  for (const bad of ["latest", "v2", "a b", "", "x".repeat(256)]) {
    await assertRejects(
      () => t.ws.registry.setAlias("main.cv.detector", bad, "1"),
      BadRequestError,
    );
  }
  await assertRejects(() => t.ws.registry.setAlias("main.cv.detector", "ok", "0"), BadRequestError);
  assertEquals(t.fake.requests.length, before, "refused before any request");
});

Deno.test("[registry] version status follows registration, and model lists page through", async () => {
  await using t = await setupFake({ catalog: undefined, schema: undefined });
  const n = t.fake.models.addVersion("main.cv.seg", { pending: true });
  let [v] = await collect(t.ws.registry.listVersions("main.cv.seg"));
  assertEquals(v.status, "PENDING_REGISTRATION");
  t.fake.models.setStatus("main.cv.seg", n, "READY");
  [v] = await collect(t.ws.registry.listVersions("main.cv.seg"));
  assertEquals(v.status, "READY");
  for (let i = 0; i < 5; i++) t.fake.models.addVersion(`c${i}.s.m`);
  const names = (await collect(t.ws.models.models({ pageSize: 2 }))).map((m) => m.full_name);
  assertEquals(names.length, 6);
  assertEquals(t.fake.count("/api/2.1/unity-catalog/models"), 3);
});

// ---- serving -----------------------------------------------------------------------------

const M = "main.cv.detector";
const EP = "/api/2.0/serving-endpoints";

/** Reads an endpoint until its pending config settles (the fake takes a couple of reads). */
async function untilSettled(ws: DatabricksWorkspace, name: string) {
  for (let i = 0; i < 5; i++) {
    const ep = await ws.serving.get(name);
    if (ep.configUpdate !== "IN_PROGRESS") return ep;
  }
  throw new Error(`${name} never settled`);
}

Deno.test("[serving] create sends exactly the planned POST, field by field; the endpoint goes NOT_READY → READY; a second create is a ConflictError", async () => {
  await using t = await setupFake();
  const spec = {
    name: "detector",
    entities: [{
      model: M,
      version: "3",
      workloadSize: "Medium",
      workloadType: "GPU_SMALL",
      scaleToZero: false,
    }],
    inferenceTables: true,
  };
  const plan = await t.ws.serving.plan(spec);
  const body = {
    name: "detector",
    config: {
      served_entities: [{
        name: "detector-3",
        entity_name: M,
        entity_version: "3",
        workload_size: "Medium",
        workload_type: "GPU_SMALL",
        scale_to_zero_enabled: false,
      }],
    },
    ai_gateway: {
      inference_table_config: {
        enabled: true,
        catalog_name: "main",
        schema_name: "cv",
        table_name_prefix: "detector",
      },
    },
  };
  assertEquals(plan, { method: "POST", path: EP, body });
  let ep = await t.ws.serving.create(spec);
  assertEquals(t.fake.serving.writes, [{ method: "POST", path: EP, body }]);
  assertEquals([ep.state, ep.configUpdate, ep.message], [
    "NOT_READY",
    "IN_PROGRESS",
    "Creating the endpoint.",
  ]);
  assertEquals(ep.entities.map((e) => [e.name, e.state, e.workloadType]), [[
    "detector-3",
    "DEPLOYMENT_CREATING",
    "GPU_SMALL",
  ]]);
  ep = await untilSettled(t.ws, "detector");
  assertEquals([ep.state, ep.creator, ep.inferenceTables, ep.routeOptimized], [
    "READY",
    "dev@example.com",
    true,
    false,
  ]);
  assertEquals(ep.url, `${t.fake.url}/serving-endpoints/detector/invocations`);
  assertEquals(ep.entities[0].trafficPercent, 100);
  const dup = await assertRejects(() => t.ws.serving.create(spec), ConflictError);
  assert(dup.message.includes("already exists"), dup.message);
});

Deno.test("[serving] update is PUT .../config in place with stable entity names and 100% traffic; inference tables go through PUT .../ai-gateway first", async () => {
  await using t = await setupFake();
  await t.ws.serving.create({ name: "det", entities: [{ model: M, version: "1", name: "blue" }] });
  await untilSettled(t.ws, "det");
  const spec = {
    name: "det",
    entities: [
      { model: M, version: "1", trafficPercent: 80 },
      { model: M, version: "2", trafficPercent: 20, workloadType: "GPU_MEDIUM" },
    ],
    inferenceTables: true,
  };
  const config = {
    served_entities: [
      {
        name: "blue",
        entity_name: M,
        entity_version: "1",
        workload_size: "Small",
        scale_to_zero_enabled: true,
      },
      {
        name: "detector-2",
        entity_name: M,
        entity_version: "2",
        workload_size: "Small",
        workload_type: "GPU_MEDIUM",
        scale_to_zero_enabled: true,
      },
    ],
    traffic_config: {
      routes: [
        { served_entity_name: "blue", traffic_percentage: 80 },
        { served_entity_name: "detector-2", traffic_percentage: 20 },
      ],
    },
  };
  const gateway = {
    method: "PUT",
    path: `${EP}/det/ai-gateway`,
    body: {
      inference_table_config: {
        enabled: true,
        catalog_name: "main",
        schema_name: "cv",
        table_name_prefix: "det",
      },
    },
  };
  const plan = await t.ws.serving.plan(spec);
  assertEquals(plan, { method: "PUT", path: `${EP}/det/config`, body: config, before: [gateway] });
  const writes = t.fake.serving.writes.length;
  let ep = await t.ws.serving.update(spec);
  assertEquals(ep.state, "UPDATING");
  assertEquals(t.fake.serving.writes.slice(writes), [gateway, {
    method: "PUT",
    path: `${EP}/det/config`,
    body: config,
  }]);
  ep = await untilSettled(t.ws, "det");
  assertEquals(ep.entities.map((e) => [e.name, e.version, e.trafficPercent, e.state]), [
    ["blue", "1", 80, "DEPLOYMENT_READY"],
    ["detector-2", "2", 20, "DEPLOYMENT_READY"],
  ]);
  assertEquals(ep.inferenceTables, true);
  // Same tables, other traffic: only the config PUT; the endpoint was never deleted.
  const again = await t.ws.serving.plan({ ...spec, entities: [{ model: M, version: "2" }] });
  assertEquals([again.method, again.before], ["PUT", undefined]);
  assertEquals(t.fake.serving.writes.filter((w) => w.method !== "PUT").length, 1);
  await assertRejects(
    () => t.ws.serving.update({ ...spec, routeOptimized: true }),
    BadRequestError,
    "Route optimization is chosen when an endpoint is created",
  );
  await assertRejects(() => t.ws.serving.update({ ...spec, name: "nope" }), NotFoundError);
});

Deno.test("[serving] an update while another is IN_PROGRESS is refused clearly before anything is sent; the workspace's 409 says the same", async () => {
  await using t = await setupFake();
  t.fake.serving.readsToReady = 0; // stays IN_PROGRESS until settled
  await t.ws.serving.create({ name: "e1", entities: [{ model: M, version: "1" }] });
  const writes = t.fake.serving.writes.length;
  const spec = { name: "e1", entities: [{ model: M, version: "2" }] };
  const busy = await assertRejects(() => t.ws.serving.update(spec), ConflictError);
  assert(busy.message.includes("already being updated"), busy.message);
  await assertRejects(() => t.ws.serving.plan(spec), ConflictError);
  assertEquals(t.fake.serving.writes.length, writes, "nothing sent");
  const e = await assertRejects(
    () => t.ws.servingClient.updateConfig("e1", { served_entities: [] }),
    DatabricksError,
  );
  assertEquals([e.status, e.errorCode], [409, "RESOURCE_CONFLICT"]);
  // Raced by someone else between our read and our PUT: Databricks' 409 becomes a ConflictError.
  t.fake.serving.settle("e1");
  t.fake.fail(`${EP}/e1/config`, { status: 409, errorCode: "RESOURCE_CONFLICT" });
  const raced = await assertRejects(() => t.ws.serving.update(spec), ConflictError);
  assert(raced.message.includes("wait until that update finishes"), raced.message);
});

Deno.test("[serving] list takes URLs, served-entity states and traffic from each endpoint's get; the list answer is summaries", async () => {
  await using t = await setupFake();
  for (const name of ["a", "b"]) {
    await t.ws.serving.create({
      name,
      entities: [{ model: M, version: "1" }, { model: M, version: "2" }],
    });
    t.fake.serving.settle(name);
  }
  const raw = await t.ws.servingClient.list();
  assertEquals(raw.map((e) => Object.keys(e).sort()), [
    ["config", "creation_timestamp", "creator", "id", "last_updated_timestamp", "name", "state"],
    ["config", "creation_timestamp", "creator", "id", "last_updated_timestamp", "name", "state"],
  ]);
  assertEquals(Object.keys(raw[0].config!.served_entities[0]).sort(), [
    "entity_name",
    "entity_version",
    "name",
  ]);
  const before = t.fake.requests.length;
  const eps = await t.ws.serving.list();
  assertEquals(
    t.fake.requests.slice(before).map((r) => `${r.method} ${r.path}`),
    [`GET ${EP}`, `GET ${EP}/a`, `GET ${EP}/b`],
  );
  assertEquals(eps.map((e) => [e.name, e.state, e.url]), [
    ["a", "READY", `${t.fake.url}/serving-endpoints/a/invocations`],
    ["b", "READY", `${t.fake.url}/serving-endpoints/b/invocations`],
  ]);
  assertEquals(eps[0].entities.map((e) => [e.version, e.trafficPercent, e.state]), [
    ["1", 50, "DEPLOYMENT_READY"],
    ["2", 50, "DEPLOYMENT_READY"],
  ]);
  await t.ws.serving.delete("a");
  assertEquals((await t.ws.serving.list()).map((e) => e.name), ["b"]);
  await assertRejects(() => t.ws.serving.delete("a"), NotFoundError);
  assertEquals(t.fake.serving.writes.filter((w) => w.method === "DELETE"), [
    { method: "DELETE", path: `${EP}/a`, body: undefined },
    { method: "DELETE", path: `${EP}/a`, body: undefined },
  ]);
});

Deno.test("[serving] UPDATE_FAILED shows the served entity's message; the previous config keeps serving", async () => {
  await using t = await setupFake();
  await t.ws.serving.create({ name: "e1", entities: [{ model: M, version: "1" }] });
  await untilSettled(t.ws, "e1");
  t.fake.serving.failNextUpdate("e1", "Container build failed: no module named 'torch'.");
  await t.ws.serving.update({ name: "e1", entities: [{ model: M, version: "2" }] });
  const ep = await untilSettled(t.ws, "e1");
  assertEquals([ep.state, ep.configUpdate], ["READY", "UPDATE_FAILED"]);
  assertEquals(
    ep.message,
    "The last configuration update failed: detector-2: Container build failed: no module named 'torch'.",
  );
  assertEquals(ep.entities.map((e) => e.version), ["1"]);
  // A first config that fails leaves an endpoint that never served: FAILED.
  t.fake.serving.failNextUpdate("e2", "Model version 9 does not exist.");
  await t.ws.serving.create({ name: "e2", entities: [{ model: M, version: "9" }] });
  const never = await untilSettled(t.ws, "e2");
  assertEquals([never.state, never.entities[0].state], ["FAILED", "DEPLOYMENT_FAILED"]);
  assert(never.message?.includes("Model version 9 does not exist."), never.message);
});

Deno.test("[serving] route-optimized endpoints are invoked at data_plane_info's URL with an exchanged data-plane token, cached until expiry; a PAT cannot", async () => {
  await using t = await setupFake();
  t.fake.addClient("sp", "s");
  const m2m = new DatabricksWorkspace({ host: t.fake.url, clientId: "sp", clientSecret: "s" }, {
    clock: t.clock,
  });
  const plan = await m2m.serving.plan({
    name: "fast",
    entities: [{ model: M, version: "1" }],
    routeOptimized: true,
  });
  assertEquals((plan.body as { route_optimized?: boolean }).route_optimized, true);
  await m2m.serving.create({
    name: "fast",
    entities: [{ model: M, version: "1" }],
    routeOptimized: true,
  });
  const ep = await untilSettled(m2m, "fast");
  const id = t.fake.serving.endpoints.get("fast")!.id;
  const dataPlane = `/ro/${id}/serving-endpoints/fast/invocations`;
  assertEquals([ep.url, ep.routeOptimized], [`${t.fake.url}${dataPlane}`, true]);
  const info: { servedEntity?: string } = {};
  assertEquals(await m2m.serving.invoke("fast", { inputs: [1] }, info), {
    predictions: [{ index: 0 }],
  });
  assertEquals(info.servedEntity, "detector-1");
  await m2m.serving.invoke("fast", { inputs: [2] });
  const sent = t.fake.requests.filter((r) => r.path === dataPlane);
  assertEquals(sent.length, 2);
  assert(sent.every((r) => r.token?.startsWith("dp-")), "data-plane tokens, not the M2M one");
  assertEquals(t.fake.serving.exchanges, 1, "one exchange, cached");
  assertEquals(t.fake.count("/serving-endpoints/fast/invocations"), 0, "never the workspace path");
  t.clock.t += 3600_000 - 39_000; // within 40 s of expiry: exchanged again
  await m2m.serving.invoke("fast", { inputs: [3] });
  assertEquals(t.fake.serving.exchanges, 2);
  // The workspace path with the workspace token is refused by the workspace itself.
  const direct = await fetch(`${t.fake.url}/serving-endpoints/fast/invocations`, {
    method: "POST",
    headers: { authorization: `Bearer ${await m2m.http.auth.token()}` },
    body: JSON.stringify({ inputs: [1] }),
  });
  assertEquals(direct.status, 400);
  await direct.body?.cancel();
  // A PAT has no OAuth token to exchange: refused with what to do, before any request.
  const before = t.fake.requests.length;
  const e = await assertRejects(() => t.ws.serving.invoke("fast", { inputs: [1] }), WorkspaceError);
  assertEquals(e.errorCode, "ROUTE_OPTIMIZED_NEEDS_OAUTH");
  assert(e.hint?.includes("DATABRICKS_CLIENT_ID"), e.hint);
  assertEquals(t.fake.requests.slice(before).filter((r) => r.path.startsWith("/ro/")), []);
  assertEquals(
    invocationUrl({ name: "x", endpoint_url: "abc.serving.example.com/42" }, "https://h"),
    "https://abc.serving.example.com/42/serving-endpoints/x/invocations",
  );
});

Deno.test("[serving] invocations pass through; a not-ready endpoint's 503 is not retried, a 429 is", async () => {
  await using t = await setupFake();
  await t.ws.serving.create({ name: "e1", entities: [{ model: M, version: "1" }] });
  const path = "/serving-endpoints/e1/invocations";
  const body = { dataframe_split: { columns: ["image"], data: [["aGk="]] } };
  const notReady = await assertRejects(() => t.ws.serving.invoke("e1", body), DatabricksError);
  assertEquals(notReady.status, 503);
  assertEquals(t.fake.count(path), 1);
  t.fake.serving.settle("e1");
  t.fake.serving.predict = (_n, b) => ({ predictions: [{ got: Object.keys(b) }] });
  t.fake.fail(path, { status: 429, retryAfter: 1 });
  assertEquals(await t.ws.serving.invoke("e1", { instances: [{ image: "aGk=" }] }), {
    predictions: [{ got: ["instances"] }],
  });
  assertEquals(t.fake.count(path), 3);
  const bad = await assertRejects(() => t.ws.serving.invoke("e1", { rows: [] }), DatabricksError);
  assert(bad.message.includes("dataframe_split"), bad.message);
  await assertRejects(() => t.ws.serving.invoke("bad name!", {}), BadRequestError);
});

Deno.test("[serving] metrics: the export's per-minute gauges and latency histogram become one point; none exported is 'unavailable'", async () => {
  await using t = await setupFake();
  await t.ws.serving.create({ name: "e1", entities: [{ model: M, version: "1" }] });
  const waiting = await t.ws.serving.metrics("e1");
  assert("unavailable" in waiting && waiting.unavailable.includes("no request metrics"));
  t.fake.serving.settle("e1");
  t.fake.serving.metricsText.set(
    "e1",
    [
      "# TYPE request_count_total gauge",
      'request_count_total{served_entity_name="a"} 30 1767225600000',
      'request_count_total{served_entity_name="b"} 10 1767225600000',
      "request_4xx_count_total 2 1767225600000",
      "request_5xx_count_total 1 1767225600000",
      "cpu_usage_percentage 12.5 1767225600000",
      "# TYPE request_latency_ms histogram",
      'request_latency_ms_bucket{served_entity_name="a",le="10"} 10 1767225600000',
      'request_latency_ms_bucket{served_entity_name="a",le="50"} 30 1767225600000',
      'request_latency_ms_bucket{served_entity_name="a",le="+Inf"} 30 1767225600000',
      'request_latency_ms_bucket{served_entity_name="b",le="10"} 0 1767225600000',
      'request_latency_ms_bucket{served_entity_name="b",le="50"} 6 1767225600000',
      'request_latency_ms_bucket{served_entity_name="b",le="+Inf"} 10 1767225600000',
    ].join("\n"),
  );
  const m = await t.ws.serving.metrics("e1");
  assert(!("unavailable" in m));
  // 40 requests: 10 ≤ 10 ms, 36 ≤ 50 ms; p50 (rank 20) = 10 + 40·10/26, p95 (rank 38) = 50 (+Inf).
  assertEquals(m.points, [{
    t: 1767225600000,
    requests: 40,
    errors: 3,
    p50Ms: 10 + 40 * 10 / 26,
    p95Ms: 50,
  }]);
  assertEquals(m.bucketMs, 60_000);
  assert(m.source.includes("metrics export"));
  // The fake's own export after real calls parses the same way.
  t.fake.serving.metricsText.delete("e1");
  await t.ws.serving.invoke("e1", { inputs: [1] });
  const own = await t.ws.serving.metrics("e1");
  assert(!("unavailable" in own) && own.points[0].requests === 1);
  t.fake.fail(`${EP}/e1/metrics`, { status: 403, message: "metrics export is not enabled" });
  const denied = await t.ws.serving.metrics("e1");
  assert(
    "unavailable" in denied && denied.unavailable.includes("not enabled"),
    JSON.stringify(denied),
  );
  await assertRejects(() => t.ws.serving.metrics("nope"), NotFoundError);
});

Deno.test("[serving] logs: build and server logs of a served entity; null when the API has none; an unknown entity is a NotFoundError", async () => {
  await using t = await setupFake();
  await t.ws.serving.create({ name: "e1", entities: [{ model: M, version: "1" }] });
  assertEquals(await t.ws.serving.logs("e1", "detector-1", "server"), null);
  t.fake.serving.logText.set("e1/detector-1/build", "Step 1/9: pip install onnxruntime\n");
  assertEquals(
    await t.ws.serving.logs("e1", "detector-1", "build"),
    "Step 1/9: pip install onnxruntime\n",
  );
  assertEquals(t.fake.count(`${EP}/e1/served-models/detector-1/build-logs`), 1);
  t.fake.serving.settle("e1");
  assert((await t.ws.serving.logs("e1", "detector-1", "server"))?.includes("serving"));
  assertEquals(t.fake.count(`${EP}/e1/served-models/detector-1/logs`), 2);
  await assertRejects(() => t.ws.serving.logs("e1", "other-1", "build"), NotFoundError);
});

Deno.test("[serving] workload types outside Model Serving's enum, bad traffic and bad names are refused before any request", async () => {
  await using t = await setupFake();
  const before = t.fake.requests.length;
  const type = await assertRejects(
    () =>
      t.ws.serving.create({
        name: "e",
        entities: [{ model: M, version: "1", workloadType: "GPU" }],
      }),
    BadRequestError,
  );
  assert(type.message.includes("MULTIGPU_MEDIUM"), type.message);
  await assertRejects(
    () =>
      t.ws.serving.create({
        name: "e",
        entities: [{ model: M, version: "1", trafficPercent: 50 }, {
          model: M,
          version: "2",
          trafficPercent: 40,
        }],
      }),
    BadRequestError,
    "add up to 90",
  );
  await assertRejects(
    () => t.ws.serving.create({ name: "-bad", entities: [{ model: M, version: "1" }] }),
    BadRequestError,
  );
  assertEquals(t.fake.requests.length, before);
  assertEquals(SERVING_WORKLOAD_TYPES.includes("MULTIGPU_MEDIUM"), true);
});
