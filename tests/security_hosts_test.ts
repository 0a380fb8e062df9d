/**
 * Issue 17 item 2: DNS rebinding and spoofed identity. Only loopback and configured hosts are
 * served; the Origin check and the identity headers trust X-Forwarded-* only behind the Apps proxy.
 */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { jsonPost, testApp } from "./helpers.ts";
import { newConfig } from "@/lib/config/templates.ts";

async function withApp(
  env: Record<string, string>,
  fn: (app: Awaited<ReturnType<typeof testApp>>) => Promise<void>,
) {
  const app = await testApp(env);
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}

const get = (host: string, headers: Record<string, string> = {}) => ({
  headers: { host, ...headers },
});

Deno.test("[security/hosts] a rebinding Host gets 421; loopback on any port and the public host are served", () =>
  withApp({ LAKEVISION_PUBLIC_HOST: "lakevision.example.com,10.0.0.5:8000" }, async (app) => {
    for (
      const host of ["evil.example", "attacker.test:8000", "10.0.0.5:9000", "localhost.evil.com"]
    ) {
      const res = await app.request("/api/configs", get(host));
      assertEquals(res.status, 421, host);
      assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8");
      assertStringIncludes(await res.text(), "LAKEVISION_PUBLIC_HOST");
    }
    for (
      const host of [
        "localhost",
        "localhost:8000",
        "127.0.0.1:1234",
        "[::1]:8000",
        "lakevision.example.com",
        "LakeVision.Example.com:443",
        "10.0.0.5:8000",
      ]
    ) {
      const res = await app.request("/api/configs", get(host));
      assertEquals(res.status, 200, host);
      await res.body?.cancel();
    }
  }));

Deno.test("[security/hosts] outside Apps, X-Forwarded-Host neither passes the host check nor the Origin check", () =>
  withApp({}, async (app) => {
    const res = await app.request(
      "/api/configs",
      get("evil.example", { "x-forwarded-host": "localhost" }),
    );
    assertEquals(res.status, 421);
    await res.body?.cancel();
    // A page on evil.example (rebound to 127.0.0.1) posting with its own Origin and a forged header.
    const post = await app.request("/api/configs", {
      method: "POST",
      headers: {
        host: "localhost:8000",
        origin: "http://evil.example",
        "x-forwarded-host": "evil.example",
        "content-type": "application/json",
      },
      body: "{}",
    });
    assertEquals(post.status, 403);
    await post.body?.cancel();
  }));

Deno.test("[security/hosts] behind the Apps proxy, X-Forwarded-Host is the host and the Apps domain is served", () =>
  withApp({ DATABRICKS_APP_PORT: "8000" }, async (app) => {
    const apps = "lakevision-123.aws.databricksapps.com";
    const ok = await app.request(
      "/api/configs",
      get("127.0.0.1:8000", { "x-forwarded-host": apps }),
    );
    assertEquals(ok.status, 200);
    await ok.body?.cancel();
    const bad = await app.request(
      "/api/configs",
      get("127.0.0.1:8000", { "x-forwarded-host": "evil.example" }),
    );
    assertEquals(bad.status, 421);
    await bad.body?.cancel();
    const post = await app.request("/api/configs/validate", {
      method: "POST",
      headers: {
        host: "127.0.0.1:8000",
        "x-forwarded-host": apps,
        origin: `https://${apps}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ yaml: "task_type: detection" }),
    });
    assertEquals(post.status, 200);
    await post.body?.cancel();
  }));

async function authorOfSave(app: Awaited<ReturnType<typeof testApp>>, name: string) {
  const doc = newConfig("detection", "facebook/detr-resnet-50", { volume: app.settings.volume });
  const res = await app.request("/api/configs", {
    ...jsonPost({ name, doc }),
    headers: {
      ...jsonPost({}).headers,
      "x-forwarded-email": "ceo@example.com",
      "x-forwarded-preferred-username": "ceo",
    },
  });
  assertEquals(res.status, 201);
  await res.body?.cancel();
  const history = (await (await app.request(`/api/configs/${name}`)).json()).history;
  return history[0].author as string;
}

Deno.test("[security/hosts] X-Forwarded-Email is ignored outside Apps and trusted behind the proxy", async () => {
  await withApp({}, async (app) => {
    const author = await authorOfSave(app, "spoof");
    assertEquals(author === "ceo@example.com" || author === "ceo", false, `author ${author}`);
  });
  await withApp({ DATABRICKS_APP_PORT: "8000" }, async (app) => {
    assertEquals(await authorOfSave(app, "real"), "ceo@example.com");
  });
});
