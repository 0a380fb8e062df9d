import { assert, assertEquals, assertRejects, assertThrows } from "@/tests/assert.ts";
import { FakeDatabricks } from "@/tests/fake_databricks/server.ts";
import { FakeClock, PAT, setupFake } from "@/tests/fake_databricks/testing.ts";
import { WorkspaceError } from "@/lib/errors.ts";
import { OAuthM2M, parseDatabricksCfg, resolveAuth, settingsFromEnv } from "./auth.ts";
import { DatabricksWorkspace } from "./databricks_workspace.ts";

Deno.test("[auth] precedence: forwarded user token > OAuth M2M > PAT > profile", () => {
  const base = { host: "h.example.com", token: "pat", clientId: "id", clientSecret: "s" };
  assertEquals(resolveAuth({ ...base, forwardedToken: "user" }).auth.method, "forwarded-user");
  assertEquals(resolveAuth(base).auth.method, "oauth-m2m");
  assertEquals(resolveAuth({ ...base, clientSecret: undefined }).auth.method, "pat");
  assertEquals(resolveAuth(base).host, "https://h.example.com");
});

Deno.test("[auth] a forwarded user token is used for the scopes the app declares", async () => {
  await using t = await setupFake({ userScopes: ["iam.current-user:read"] });
  t.fake.addUserToken("user-token-alice", "alice@example.com", ["iam.current-user:read"]);
  const asApp = await t.ws.whoami();
  const alice = t.ws.forUser("user-token-alice");
  assertEquals(alice.authMethod, "forwarded-user");
  const asAlice = await alice.whoami();
  assertEquals([asApp.userName, asAlice.userName], ["dev@example.com", "alice@example.com"]);
  assertEquals(t.fake.requests.at(-1)?.token, "user-token-alice");
  assert(t.ws.forUser(undefined) === t.ws, "no forwarded token → the app's own identity");
});

Deno.test("[auth] OAuth M2M: one token for many requests, refreshed once after a 401", async () => {
  await using t = await setupFake();
  t.fake.addClient("sp-id", "sp-secret");
  const clock = new FakeClock();
  const ws = new DatabricksWorkspace(
    { host: t.fake.url, clientId: "sp-id", clientSecret: "sp-secret" },
    { clock },
  );
  const auth = ws.http.auth as OAuthM2M;
  assertEquals((await ws.whoami()).servicePrincipal, true);
  await ws.serving.list();
  assertEquals(auth.fetched, 1);
  t.fake.expireOAuthTokens(); // revoked server-side: the next call sees a 401
  assertEquals(await ws.serving.list(), []);
  assertEquals(auth.fetched, 2);
  assertEquals(t.fake.count("/oidc/v1/token"), 2);
});

Deno.test("[auth] OAuth M2M: the cached token is replaced shortly before it expires", async () => {
  await using t = await setupFake({}, { tokenTtlS: 3600 });
  t.fake.addClient("sp-id", "sp-secret");
  const clock = new FakeClock();
  const auth = new OAuthM2M(t.fake.url, "sp-id", "sp-secret", { clock });
  const first = await auth.token();
  clock.t += 3000_000; // 50 min: still cached
  assertEquals(await auth.token(), first);
  clock.t += 590_000; // 59 min 50 s: inside the refresh margin
  const second = await auth.token();
  assert(second !== first, "a new token was fetched");
  assertEquals(auth.fetched, 2);
});

Deno.test("[auth] OAuth M2M with a wrong secret fails clearly, without leaking the secret", async () => {
  await using t = await setupFake();
  t.fake.addClient("sp-id", "right");
  const ws = new DatabricksWorkspace({
    host: t.fake.url,
    clientId: "sp-id",
    clientSecret: "wrong-secret",
  });
  const e = await assertRejects(() => ws.serving.list(), WorkspaceError);
  assertEquals(e.status, 401);
  assert(e.message.includes("Getting an OAuth token (M2M) failed"), e.message);
  assert(e.hint?.includes("DATABRICKS_CLIENT_SECRET"));
  assert(!JSON.stringify({ e, m: e.message, h: e.hint }).includes("wrong-secret"));
  assert(!Deno.inspect(ws.http.auth).includes("wrong-secret"));
  assert(!JSON.stringify(ws.http.auth).includes("wrong-secret"));
});

Deno.test("[auth] a PAT is never shown by inspect, JSON or describe()", async () => {
  await using t = await setupFake();
  assert(!Deno.inspect(t.ws.http.auth).includes(PAT));
  assert(!JSON.stringify(t.ws.http.auth).includes(PAT));
  assert(!t.ws.describe().includes(PAT));
  assert(!JSON.stringify(t.ws).includes(PAT), "workspace JSON");
  assert(!Deno.inspect(t.ws, { depth: 10 }).includes(PAT), "workspace inspect");
  assert(!JSON.stringify(t.ws.defaults).includes(PAT));
  assertEquals(t.ws.authMethod, "pat");
});

Deno.test("[auth] ~/.databrickscfg profile supplies host and token; M2M profiles work too", async () => {
  const fake = await FakeDatabricks.start();
  try {
    fake.addToken("profile-token", { userName: "cfg@example.com" });
    fake.addClient("cfg-sp", "cfg-secret");
    const file = await Deno.makeTempFile();
    await Deno.writeTextFile(
      file,
      `[DEFAULT]\nhost = ${fake.url}\ntoken = profile-token\n\n; comment\n[sp]\nhost = ${fake.url}\n` +
        `client_id = cfg-sp\nclient_secret = cfg-secret\n`,
    );
    const viaDefault = new DatabricksWorkspace(settingsFromEnv({ DATABRICKS_CONFIG_FILE: file }));
    assertEquals(viaDefault.authMethod, "profile");
    assertEquals((await viaDefault.whoami()).userName, "cfg@example.com");
    const viaSp = new DatabricksWorkspace(
      settingsFromEnv({ DATABRICKS_CONFIG_FILE: file, DATABRICKS_CONFIG_PROFILE: "sp" }),
    );
    assertEquals(viaSp.authMethod, "oauth-m2m");
    assertEquals((await viaSp.whoami()).userName, "cfg-sp");
    const missing = await assertRejects(
      () =>
        Promise.resolve().then(() =>
          new DatabricksWorkspace(
            settingsFromEnv({ DATABRICKS_CONFIG_FILE: file, DATABRICKS_CONFIG_PROFILE: "nope" }),
          )
        ),
      WorkspaceError,
    );
    assert(
      missing.message.includes("[nope]") && missing.message.includes("DEFAULT, sp"),
      missing.message,
    );
    await Deno.remove(file);
  } finally {
    await fake.close();
  }
});

Deno.test("[auth] no host or no credential is a configuration error naming the variables", () => {
  const noHost = (() => {
    try {
      resolveAuth({ token: "x" });
    } catch (e) {
      return e as WorkspaceError;
    }
  })();
  assert(noHost?.message.includes("DATABRICKS_HOST"));
  const noCred = (() => {
    try {
      resolveAuth({ host: "h", configFile: "/nonexistent/.databrickscfg" });
    } catch (e) {
      return e as WorkspaceError;
    }
  })();
  assert(
    noCred?.message.includes("DATABRICKS_TOKEN") && noCred.message.includes("DATABRICKS_CLIENT_ID"),
  );
});

Deno.test("[auth] .databrickscfg parsing as ConfigParser: `=` or `:`, comments, case of keys, continuations", () => {
  assertEquals(
    parseDatabricksCfg(
      "stray = ignored\n# c\n[p1]\nToken=t1 \n; c\n[p2]\nHOST: https://b.example.com\n" +
        "token = x\n  y\n[__settings__]\ndefault_profile = p2\n",
    ),
    {
      p1: { token: "t1" },
      p2: { host: "https://b.example.com", token: "x\ny" },
      __settings__: { default_profile: "p2" },
    },
  );
});

Deno.test("[auth] profiles as the SDK loads them: [__settings__] default_profile, and never mixed with the environment", async () => {
  const file = await Deno.makeTempFile();
  await Deno.writeTextFile(
    file,
    "[__settings__]\ndefault_profile = work\n\n[DEFAULT]\nhost = https://default.example.com\n" +
      "token = default-token\n\n[work]\nhost: https://work.example.com\ntoken: work-token\n",
  );
  try {
    // No profile named: [__settings__] default_profile picks [work]; `key: value` is read.
    const viaSettings = resolveAuth({ configFile: file });
    assertEquals(viaSettings.host, "https://work.example.com");
    assertEquals(viaSettings.auth.label, "profile [work] (token)");
    // An environment host with no credential is not topped up with a profile's token.
    const mixed = assertThrows(
      () => resolveAuth({ host: "https://other.example.com", configFile: file }),
      WorkspaceError,
    );
    assert(mixed.message.includes("not mixed"), mixed.message);
    // Host + credential in the environment win as a whole; the file is not read.
    const env = resolveAuth({ host: "https://env.example.com", token: "env", configFile: file });
    assertEquals([env.host, env.auth.method], ["https://env.example.com", "pat"]);
    // A named profile with a partial environment is refused rather than merged.
    const both = assertThrows(
      () => resolveAuth({ host: "https://env.example.com", profile: "work", configFile: file }),
      WorkspaceError,
    );
    assert(both.message.includes("DATABRICKS_HOST") && both.hint?.includes("[work]"), both.message);
    assertThrows(() => resolveAuth({ profile: "__settings__", configFile: file }), WorkspaceError);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("[auth] OAuth M2M: a token endpoint answering 503 is asked again", async () => {
  await using t = await setupFake();
  t.fake.addClient("sp-id", "sp-secret");
  t.fake.fail("/oidc/v1/token", { status: 503 });
  const clock = new FakeClock();
  const ws = new DatabricksWorkspace(
    { host: t.fake.url, clientId: "sp-id", clientSecret: "sp-secret" },
    { clock },
  );
  assertEquals(await ws.serving.list(), []);
  assertEquals(t.fake.count("/oidc/v1/token"), 2);
  assertEquals(clock.sleeps, [500]);
});
