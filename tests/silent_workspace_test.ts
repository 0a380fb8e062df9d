/**
 * A workspace that accepts TCP connections and never answers: calls end within their budget,
 * and pages answer within the page deadline, showing the workspace as unreachable.
 */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { testApp } from "./helpers.ts";
import { PAT } from "./fake_databricks/testing.ts";
import { DatabricksError } from "@/lib/workspace/databricks/api_error.ts";
import { StaticToken } from "@/lib/workspace/databricks/auth.ts";
import { DatabricksWorkspace } from "@/lib/workspace/databricks/databricks_workspace.ts";
import { HttpClient } from "@/lib/workspace/databricks/http.ts";
import { PAGE_DEADLINE_MS, withDeadline } from "@/lib/workspace/deadline.ts";

/** Accepts connections on 127.0.0.1 and reads nothing, answers nothing. */
function silentServer(): { url: string } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const c of listener) conns.push(c);
    } catch { /* closed */ }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      await accepting;
    },
  };
}

async function elapsed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

Deno.test("[silent workspace] the retry budget bounds all attempts together, not just the sleeps", async () => {
  await using server = silentServer();
  const http = new HttpClient({
    host: server.url,
    auth: new StaticToken(PAT, "pat", "pat"),
    timeoutMs: 5_000,
    retry: { maxAttempts: 6, baseDelayMs: 10, budgetMs: 400 },
  });
  const [e, ms] = await elapsed(() =>
    assertRejects(
      () => http.raw({ method: "GET", path: "/api/2.0/clusters/list" }),
      DatabricksError,
    )
  );
  assertEquals([e.errorCode, e.status], ["TIMEOUT", 504]);
  assert(ms < 1_500, `took ${Math.round(ms)} ms; the budget is 400 ms`);
  assert(e.message.includes("the time allowed for this call"), e.message);
});

Deno.test("[silent workspace] a page deadline cuts a call with a 60 s timeout short and says so", async () => {
  await using server = silentServer();
  const ws = new DatabricksWorkspace({ host: server.url, token: PAT });
  const [e, ms] = await elapsed(() =>
    assertRejects(() => withDeadline(300, () => ws.serving.list()), DatabricksError)
  );
  assertEquals(e.errorCode, "TIMEOUT");
  assertEquals(e.attempts, 1);
  assert(ms < 1_500, `took ${Math.round(ms)} ms; the deadline is 300 ms`);
  assert(e.message.includes("no answer within 0.3 s (the page's time limit)"), e.message);
});

Deno.test("[silent workspace] work that ignores the deadline is still cut off with a 504", async () => {
  const hang = new Promise<never>(() => {});
  const [e, ms] = await elapsed(() => assertRejects(() => withDeadline(100, () => hang)));
  assertEquals((e as { status?: number }).status, 504);
  assert(ms < 1_500, `took ${Math.round(ms)} ms`);
});

Deno.test("[silent workspace] /settings and /training/new answer within the page deadline, showing the workspace unreachable", async () => {
  await using server = silentServer();
  const t = await testApp({
    LAKEVISION_WORKSPACE: "databricks",
    DATABRICKS_HOST: server.url,
    DATABRICKS_TOKEN: PAT,
    LAKEVISION_VOLUME: "/Volumes/main/cv/data",
    LAKEVISION_JOBS_UPLOAD: "0",
  });
  try {
    const limit = PAGE_DEADLINE_MS + 3_000;
    const [settings, ms] = await elapsed(() => t.request("/settings"));
    assertEquals(settings.status, 200);
    assert(settings.headers.get("content-type")?.includes("text/html"));
    const html = await settings.text();
    assert(ms < limit, `/settings took ${Math.round(ms)} ms`);
    assert(html.includes("no answer within 4 s (the page"), "settings shows the timeout");

    const [launch, ms2] = await elapsed(() => t.request("/training/new"));
    assertEquals(launch.status, 200);
    assert(ms2 < limit, `/training/new took ${Math.round(ms2)} ms`);
    assert((await launch.text()).includes("no answer within 4 s"), "launch page shows it");
  } finally {
    await t.close();
  }
});
