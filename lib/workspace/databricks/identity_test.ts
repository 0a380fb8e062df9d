import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { setupFake, VOLUME } from "@/tests/fake_databricks/testing.ts";
import { DatabricksError } from "./api_error.ts";
import { workspaceForRequest } from "./factory.ts";

const COMPUTE = {
  new_cluster: { spark_version: "15.4.x-gpu-ml-scala2.12", node_type_id: "g5.xlarge" },
};

Deno.test("[identity] with a forwarded user token, jobs, code upload, clusters and MLflow go as the app; declared scopes as the user", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/train.py`, "print('train')\n");
  await using t = await setupFake({ userScopes: ["files.files"], jobsLocalDir: dir });
  t.fake.addUserToken("alice-token", "alice@example.com", ["files.files"]);
  const alice = workspaceForRequest(
    t.ws,
    new Headers({
      "x-forwarded-access-token": "alice-token",
      "x-forwarded-email": "alice@example.com",
    }),
  ) as typeof t.ws;
  assertEquals(alice.actingUser, "alice@example.com");
  await alice.files.write(`${VOLUME}/a.txt`, "hi");
  await alice.jobs.submit({ name: "r", entrypoint: "train.py", args: [], compute: COMPUTE });
  await alice.compute.info();
  for await (const _ of alice.tracking.listRuns()) break;
  await alice.whoami();
  const by = (
    p: (path: string) => boolean,
  ) => [...new Set(t.fake.requests.filter((r) => p(r.path)).map((r) => r.token))];
  assertEquals(by((p) => p.startsWith("/api/2.0/fs/")), ["alice-token"]);
  assertEquals(by((p) => p.includes("/jobs/") || p.startsWith("/api/2.0/workspace/")), [
    "dapi-test-token",
  ]);
  assertEquals(by((p) => p.includes("/clusters/") || p.includes("/mlflow/")), ["dapi-test-token"]);
  // iam.current-user:read is not declared: whoami is the app's.
  assertEquals(by((p) => p.endsWith("/scim/v2/Me")), ["dapi-test-token"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("[identity] a 403 on a user-token call names the missing scope and what to grant", async () => {
  await using t = await setupFake({ userScopes: ["files.files"] });
  // The app declares files.files but the user's token was issued before it was added.
  t.fake.addUserToken("old-token", "bob@example.com", []);
  const e = await assertRejects(
    () => t.ws.forUser("old-token").files.write(`${VOLUME}/b.txt`, "x"),
    DatabricksError,
  );
  assertEquals(e.status, 403);
  assert(e.hint?.includes('lacks the OAuth scope "files.files"'), e.hint);
  assert(e.hint?.includes("user_api_scopes") && e.hint.includes("LAKEVISION_USER_SCOPES"), e.hint);
});
