import { assert, assertEquals } from "@/tests/assert.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import { loadSettings } from "@/fresh.config.ts";
import { createDatabricksWorkspace, extrasFromEnv, workspaceForRequest } from "./factory.ts";
import { DatabricksWorkspace } from "./databricks_workspace.ts";

Deno.test("[factory] the app's settings build a Databricks adapter scoped to the volume's catalog and schema", async () => {
  await using t = await setupFake();
  await t.fake.files.addVolume("main.lakevision.data");
  const env = {
    LAKEVISION_WORKSPACE: "databricks",
    DATABRICKS_HOST: t.fake.url,
    DATABRICKS_TOKEN: "dapi-test-token",
    DATABRICKS_WAREHOUSE_ID: "wh-9",
  };
  const ws = createDatabricksWorkspace(loadSettings(env), extrasFromEnv(env));
  assertEquals([
    ws.kind,
    ws.volume,
    ws.defaults.catalog,
    ws.defaults.schema,
    ws.defaults.warehouseId,
  ], [
    "databricks",
    "/Volumes/main/lakevision/data",
    "main",
    "lakevision",
    "wh-9",
  ]);
  assert((await ws.health()).every((h) => h.ok));
});

Deno.test("[factory] a request with X-Forwarded-Access-Token acts as that user; others as the app", async () => {
  await using t = await setupFake({ userScopes: ["iam.current-user:read"] });
  t.fake.addUserToken("alice-token", "alice@example.com", ["iam.current-user:read"]);
  const asUser = workspaceForRequest(
    t.ws,
    new Headers({ "x-forwarded-access-token": "alice-token" }),
  );
  assert(asUser instanceof DatabricksWorkspace);
  assertEquals((await asUser.whoami()).userName, "alice@example.com");
  assert(workspaceForRequest(t.ws, new Headers()) === t.ws);
});
