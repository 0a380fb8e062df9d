/**
 * The Deployment pages against the fake Databricks workspace: the review shows the adapter's
 * exact POST, the endpoint page shows money estimates (an upper bound with scale to zero), a
 * failed config update shows its message beside UPDATE_FAILED, and delete goes through.
 */
import { assertEquals, assertMatch, assertStringIncludes } from "@/tests/assert.ts";
import { setupFake } from "@/tests/fake_databricks/testing.ts";
import { createApp } from "@/lib/web/app.ts";
import type { Endpoint } from "@/lib/workspace/types.ts";
import { formPost, ROOT, testApp } from "@/tests/helpers.ts";

const M = "main.cv.detector";

async function settled(ws: { serving: { get(n: string): Promise<Endpoint> } }, name: string) {
  for (let i = 0; i < 50; i++) {
    const e = await ws.serving.get(name);
    if (e.configUpdate !== "IN_PROGRESS" && e.state !== "NOT_READY") return e;
  }
  throw new Error(`${name} did not settle`);
}

Deno.test("[deployments databricks] review shows the exact POST; money estimate; UPDATE_FAILED shows its message", async () => {
  await using t = await setupFake();
  const local = await testApp();
  try {
    t.fake.models.addVersion(M, { runId: "r1" });
    t.fake.models.addVersion(M, { runId: "r2" });
    await t.ws.registry.setAlias(M, "champion", "1");
    const app = await createApp({ settings: local.settings, workspace: t.ws, root: ROOT });
    const req = (p: string, init?: RequestInit) => app.request(`http://localhost${p}`, init);

    let res = await req("/deployments");
    assertEquals(res.status, 200);
    let html = await res.text();
    assertMatch(html, /<option value="main\.cv\.detector@1" selected/);

    const form = {
      name: "det-ep",
      ref: `${M}@1`,
      size: "Small",
      workload_type: "GPU_SMALL",
      scale_to_zero: "on",
    };
    res = await req("/deployments", formPost({ ...form, action: "review" }));
    html = await res.text();
    assertEquals(res.status, 200);
    assertStringIncludes(html, "POST /api/2.0/serving-endpoints");
    assertStringIncludes(html, "&quot;workload_type&quot;: &quot;GPU_SMALL&quot;");
    assertStringIncludes(html, "&quot;scale_to_zero_enabled&quot;: true");
    const before = t.fake.requests.filter((r) => r.method !== "GET").length;
    const digest = /name="digest" value="([0-9a-f]+)"/.exec(html)![1];
    assertEquals(t.fake.requests.filter((r) => r.method !== "GET").length, before);

    res = await req("/deployments", formPost({ ...form, action: "deploy", digest }));
    assertEquals(res.status, 303);
    await settled(t.ws, "det-ep");
    html = await (await req("/deployments/det-ep")).text();
    assertStringIncludes(html, 'data-state="READY"');
    assertStringIncludes(html, "10.48 DBU/h");
    assertStringIncludes(html, "USD 0.73");
    assertStringIncludes(html, "est., at most");
    assertStringIncludes(html, "/training/r1");

    t.fake.serving.failNextUpdate("det-ep", "Container build failed: no module named 'torch'.");
    res = await req(
      "/deployments",
      formPost({ ...form, ref: `${M}@2`, action: "deploy" }),
    );
    assertEquals(res.status, 303);
    const failed = await settled(t.ws, "det-ep");
    assertEquals(failed.configUpdate, "UPDATE_FAILED");
    html = await (await req("/deployments/det-ep")).text();
    assertStringIncludes(html, "UPDATE_FAILED");
    assertStringIncludes(html, "Config update failed: ");
    assertStringIncludes(html, "Container build failed: no module named");
    const methods = t.fake.requests.filter((r) => r.path.includes("/serving-endpoints"))
      .map((r) => r.method);
    assertEquals(methods.includes("DELETE"), false, "an update never deletes");

    res = await req("/deployments/det-ep/delete", formPost({ confirm: "det-ep" }));
    assertEquals(res.status, 303);
    assertEquals(t.fake.serving.endpoints.has("det-ep"), false);
  } finally {
    await local.close();
  }
});
