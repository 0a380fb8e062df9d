import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import { endpointConfig, invocationUrl } from "./port_adapters.ts";
import { DatabricksWorkspace } from "./databricks_workspace.ts";
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

Deno.test("[serving] create → NOT_READY → READY, update → UPDATING, delete", async () => {
  await using t = await setupFake();
  let ep = await t.ws.serving.createOrUpdate("detector", [{
    model: "main.cv.detector",
    version: "1",
  }]);
  assertEquals(ep.state, "NOT_READY");
  const sent = t.fake.serving.endpoints.get("detector")!.pending_config as {
    served_entities: unknown[];
  };
  assertEquals(sent.served_entities, [{
    name: "detector-1",
    entity_name: "main.cv.detector",
    entity_version: "1",
    workload_size: "Small",
    scale_to_zero_enabled: true,
  }]);
  // A second update while the first is in progress is refused by Databricks, and said so.
  const busy = await assertRejects(
    () => t.ws.serving.createOrUpdate("detector", [{ model: "main.cv.detector", version: "2" }]),
    DatabricksError,
  );
  assertEquals(busy.status, 409);
  t.fake.serving.settle("detector");
  ep = await t.ws.serving.get("detector");
  assertEquals([ep.state, ep.entities[0].version, ep.entities[0].trafficPercent], [
    "READY",
    "1",
    100,
  ]);
  assertEquals(ep.url, `${t.fake.url}/serving-endpoints/detector/invocations`);
  ep = await t.ws.serving.createOrUpdate("detector", [
    { model: "main.cv.detector", version: "1", trafficPercent: 80 },
    { model: "main.cv.detector", version: "2", trafficPercent: 20 },
  ]);
  assertEquals(ep.state, "UPDATING");
  t.fake.serving.settle("detector");
  ep = (await t.ws.serving.list())[0];
  assertEquals(ep.entities.map((e) => [e.version, e.trafficPercent]), [["1", 80], ["2", 20]]);
  await t.ws.serving.delete("detector");
  assertEquals(await t.ws.serving.list(), []);
});

Deno.test("[serving] a failed update shows as FAILED", async () => {
  await using t = await setupFake();
  await t.ws.serving.createOrUpdate("e1", [{ model: "main.cv.m", version: "1" }]);
  t.fake.serving.settle("e1", true);
  const ep = await t.ws.serving.get("e1");
  assertEquals([ep.state, ep.message], ["FAILED", "The last configuration update failed."]);
});

Deno.test("[serving] invocations: answers pass through; a not-ready endpoint's 503 is not retried", async () => {
  await using t = await setupFake();
  await t.ws.serving.createOrUpdate("e1", [{ model: "main.cv.m", version: "1" }]);
  const path = "/serving-endpoints/e1/invocations";
  const notReady = await assertRejects(
    () => t.ws.serving.invoke("e1", { dataframe_split: { columns: ["image"], data: [["aGk="]] } }),
    DatabricksError,
  );
  assertEquals(notReady.status, 503);
  assertEquals(t.fake.count(path), 1);
  t.fake.serving.settle("e1");
  t.fake.serving.predict = (_n, body) => ({ predictions: [{ got: Object.keys(body) }] });
  const out = await t.ws.serving.invoke("e1", { instances: [{ image: "aGk=" }] });
  assertEquals(out, { predictions: [{ got: ["instances"] }] });
  const bad = await assertRejects(() => t.ws.serving.invoke("e1", { rows: [] }), DatabricksError);
  assert(bad.message.includes("dataframe_split"), bad.message);
  await assertRejects(() => t.ws.serving.invoke("bad name!", {}), BadRequestError);
});

Deno.test("[serving] traffic must add up to 100 and be given for all versions or none", () => {
  const m = "main.cv.m";
  let e: unknown;
  try {
    endpointConfig([{ model: m, version: "1", trafficPercent: 50 }, {
      model: m,
      version: "2",
      trafficPercent: 40,
    }]);
  } catch (x) {
    e = x;
  }
  assert(e instanceof BadRequestError && e.message.includes("add up to 90"));
  const even = endpointConfig([{ model: m, version: "1" }, { model: m, version: "2" }, {
    model: m,
    version: "3",
  }]);
  assertEquals(even.traffic_config?.routes.map((r) => r.traffic_percentage), [34, 33, 33]);
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

Deno.test("[serving] route-optimized endpoints are invoked at their own URL, with OAuth only", async () => {
  await using t = await setupFake();
  t.fake.addClient("sp", "s");
  await t.ws.servingClient.create("fast", endpointConfig([{ model: "main.cv.m", version: "1" }]), {
    routeOptimized: true,
  });
  t.fake.serving.settle("fast");
  const m2m = new DatabricksWorkspace({ host: t.fake.url, clientId: "sp", clientSecret: "s" });
  const ep = await m2m.serving.get("fast");
  assertEquals(ep.url, `${t.fake.url}/ro/1234567890/serving-endpoints/fast/invocations`);
  assertEquals(await m2m.serving.invoke("fast", { inputs: [1] }), { predictions: [{ index: 0 }] });
  assertEquals(t.fake.count("/ro/1234567890/serving-endpoints/fast/invocations"), 1);
  // A PAT is refused there, and the error says why.
  const e = await assertRejects(
    () => t.ws.serving.invoke("fast", { inputs: [1] }),
    DatabricksError,
  );
  assertEquals(e.status, 401);
  assert(e.hint?.includes("OAuth tokens only"), e.hint);
  assertEquals(
    invocationUrl({ name: "x", endpoint_url: "abc.serving.example.com/42" }, "https://h"),
    "https://abc.serving.example.com/42/serving-endpoints/x/invocations",
  );
});
