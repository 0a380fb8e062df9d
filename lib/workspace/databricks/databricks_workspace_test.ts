import { assert, assertEquals } from "@/tests/assert.ts";
import { seed } from "@/tests/fake_databricks/main.ts";
import { FakeDatabricks } from "@/tests/fake_databricks/server.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import {
  DatabricksWorkspace,
  databricksWorkspaceFromEnv,
  workspaceSettingsFromEnv,
} from "./databricks_workspace.ts";

Deno.test("[databricks_workspace] health reports every area as working against a healthy workspace", async () => {
  await using t = await setupFake();
  const health = await t.ws.health();
  assertEquals(health.map((h) => h.area), [
    "files",
    "jobs",
    "tracking",
    "registry",
    "serving",
    "compute",
  ]);
  assert(health.every((h) => h.ok), JSON.stringify(health));
  assertEquals(health[0].detail, "volume /Volumes/main/cv/data readable (0 entries at its root)");
  assertEquals(health[5].detail, "4 runtimes, 2 ML GPU runtimes");
});

Deno.test("[databricks_workspace] health shows a denied area with the privilege to ask for", async () => {
  await using t = await setupFake();
  t.fake.files.deny("main.cv.data", "READ VOLUME");
  t.fake.fail("/api/2.0/serving-endpoints", { status: 403, message: "No access to endpoints." });
  const health = await t.ws.health();
  const files = health.find((h) => h.area === "files")!;
  assert(!files.ok && files.detail.startsWith("denied:"), files.detail);
  assert(files.detail.includes("READ VOLUME on volume main.cv.data"), files.detail);
  const serving = health.find((h) => h.area === "serving")!;
  assert(!serving.ok && serving.detail.includes("CAN_VIEW"), serving.detail);
  assert(health.filter((h) => h.ok).length === 4);
});

Deno.test("[databricks_workspace] the client rides out a workspace answering 503 for a while", async () => {
  const fake = await FakeDatabricks.start();
  try {
    fake.addToken("t");
    await fake.files.addVolume("main.cv.data");
    await fake.files.put("/Volumes/main/cv/data/a.txt", "kept");
    // Real clock, short back-off: the outage ends while the client is still retrying.
    const ws = new DatabricksWorkspace({
      host: fake.url,
      token: "t",
      retry: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 1000, budgetMs: 120_000 },
    });
    fake.unavailableFor(400);
    assertEquals(await ws.files.readText("/Volumes/main/cv/data/a.txt"), "kept");
    assert(fake.count("/api/2.0/fs/files/Volumes/main/cv/data/a.txt") > 1, "it was retried");
  } finally {
    await fake.close();
  }
});

Deno.test("[databricks_workspace] from the environment, against the standalone fake's seed data", async () => {
  const fake = await FakeDatabricks.start({ anyToken: true, autoAdvance: true });
  try {
    await seed(fake);
    const ws = databricksWorkspaceFromEnv({
      DATABRICKS_HOST: fake.url,
      DATABRICKS_TOKEN: "x",
      LAKEVISION_VOLUME: "/Volumes/main/lakevision/data",
      LAKEVISION_CATALOG: "main",
      LAKEVISION_SCHEMA: "lakevision",
      DATABRICKS_WAREHOUSE_ID: "wh",
    });
    assertEquals(ws.describe(), `${fake.url} (personal access token)`);
    assert((await ws.health()).every((h) => h.ok));
    const names = [];
    for await (const e of ws.files.list("/Volumes/main/lakevision/data")) names.push(e.name);
    assertEquals(names.sort(), ["README.txt", "datasets"]);
    const versions = [];
    for await (const v of ws.registry.listVersions("main.lakevision.detector")) versions.push(v);
    assertEquals(versions[0].aliases, ["champion"]);
    const rows = [];
    for await (const r of ws.query("SELECT * FROM main.lakevision.predictions")) rows.push(r);
    assertEquals(rows.length, 3);
    // autoAdvance: each read moves a run one step on
    const { runId } = await ws.jobs.submit({
      name: "x",
      entrypoint: "train.py",
      args: [],
      compute: { existing_cluster_id: "c" },
    });
    const states = [];
    for (let i = 0; i < 3; i++) states.push((await ws.jobs.get(runId)).state);
    assertEquals(states, ["PENDING", "RUNNING", "SUCCEEDED"]);
  } finally {
    await fake.close();
  }
});

Deno.test("[databricks_workspace] settings from the environment name every variable read", () => {
  const s = workspaceSettingsFromEnv({
    DATABRICKS_HOST: "adb-1.azuredatabricks.net",
    DATABRICKS_CLIENT_ID: "id",
    DATABRICKS_CLIENT_SECRET: "secret",
    DATABRICKS_WAREHOUSE_ID: "wh",
    LAKEVISION_VOLUME: "main.cv.data",
    LAKEVISION_JOBS_DIR: "/Workspace/Apps/lv/jobs",
    HOME: "/home/u",
  });
  assertEquals(
    [s.host, s.clientId, s.warehouseId, s.volume, s.jobsDir, s.configFile],
    [
      "adb-1.azuredatabricks.net",
      "id",
      "wh",
      "main.cv.data",
      "/Workspace/Apps/lv/jobs",
      "/home/u/.databrickscfg",
    ],
  );
  const ws = new DatabricksWorkspace(s);
  assertEquals([ws.host, ws.authMethod, ws.volume], [
    "https://adb-1.azuredatabricks.net",
    "oauth-m2m",
    "/Volumes/main/cv/data",
  ]);
});
