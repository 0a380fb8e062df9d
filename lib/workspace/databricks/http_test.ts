import { assert, assertEquals, assertInstanceOf, assertRejects } from "@/tests/assert.ts";
import { PAT, setupFake } from "@/tests/fake_databricks/testing.ts";
import { WorkspaceError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import { StaticToken } from "./auth.ts";
import { DatabricksWorkspace } from "./databricks_workspace.ts";
import { HttpClient, normalizeHost, retryAfterMs } from "./http.ts";
import { JobsClient } from "./jobs.ts";
import { z } from "zod";

const RUNS_GET = "/api/2.2/jobs/runs/get";
const SUBMIT = "/api/2.2/jobs/runs/submit";

async function submitOne(t: Awaited<ReturnType<typeof setupFake>>) {
  const { runId } = await t.ws.jobs.submit({
    name: "r",
    entrypoint: "train.py",
    args: [],
    compute: { existing_cluster_id: "c-1" },
  });
  return runId;
}

Deno.test("[http] a 429 with Retry-After is retried after exactly that delay", async () => {
  await using t = await setupFake();
  const runId = await submitOne(t);
  t.fake.fail(RUNS_GET, { status: 429, retryAfter: 7 });
  const run = await t.ws.jobs.get(runId);
  assertEquals(run.state, "PENDING");
  assertEquals(t.clock.sleeps, [7000]);
  assertEquals(t.fake.count(RUNS_GET), 2);
});

Deno.test("[http] a 429 is retried even for a POST (the request was refused before any work)", async () => {
  await using t = await setupFake();
  t.fake.fail(SUBMIT, { status: 429, retryAfter: 1 });
  await submitOne(t);
  assertEquals(t.fake.count(SUBMIT), 2);
  assertEquals(t.fake.jobs.runs.size, 1);
});

Deno.test("[http] 502/503/504 on a GET are retried with growing, jittered back-off", async () => {
  await using t = await setupFake();
  const runId = await submitOne(t);
  t.fake.fail(RUNS_GET, { status: 503, times: 3 });
  await t.ws.jobs.get(runId);
  assertEquals(t.fake.count(RUNS_GET), 4);
  // base 500 ms doubling, jitter 0.5 → 75% of each step
  assertEquals(t.clock.sleeps, [375, 750, 1500]);
});

Deno.test("[http] a 400 is not retried and keeps Databricks' message", async () => {
  await using t = await setupFake();
  t.fake.fail(RUNS_GET, { status: 400, message: "Invalid run_id 'x'." });
  const e = await assertRejects(() => t.ws.jobs.get("12"), DatabricksError);
  assertEquals(t.fake.count(RUNS_GET), 1);
  assertEquals(e.status, 400);
  assertEquals(e.errorCode, "INVALID_PARAMETER_VALUE");
  assert(e.message.includes("Databricks said: \"Invalid run_id 'x'.\""), e.message);
  assert(e.requestId?.startsWith("fake-"), "request id from the error details");
  assertEquals(t.clock.sleeps, []);
});

Deno.test("[http] a POST without idempotency token is not retried after a timeout", async () => {
  await using t = await setupFake({ timeoutMs: 150 });
  t.fake.fail(SUBMIT, { delayMs: 2_000 });
  const e = await assertRejects(() => submitOne(t), DatabricksError);
  assertEquals(e.errorCode, "TIMEOUT");
  assertEquals(t.fake.count(SUBMIT), 1);
  assert(e.message.includes("no answer within 0.2 s"), e.message);
  assert(e.hint?.includes("check whether it did before repeating"), e.hint);
});

Deno.test("[http] runs/submit with an idempotency token is retried after a 503 and yields one run", async () => {
  await using t = await setupFake();
  t.fake.fail(SUBMIT, { status: 503, times: 2 });
  const { runId } = await t.ws.jobs.submit({
    name: "r",
    entrypoint: "train.py",
    args: [],
    compute: { existing_cluster_id: "c-1" },
    idempotencyToken: "tok-1",
  });
  assertEquals(t.fake.count(SUBMIT), 3);
  assertEquals(t.fake.jobs.runs.size, 1);
  const again = await t.ws.jobs.submit({
    name: "r",
    entrypoint: "train.py",
    args: [],
    compute: { existing_cluster_id: "c-1" },
    idempotencyToken: "tok-1",
  });
  assertEquals(again.runId, runId);
});

Deno.test("[http] a POST without idempotency token is not retried on 503", async () => {
  await using t = await setupFake();
  t.fake.fail(SUBMIT, { status: 503, times: 1 });
  const e = await assertRejects(() => submitOne(t), DatabricksError);
  assertEquals(e.status, 503);
  assertEquals(t.fake.count(SUBMIT), 1);
});

Deno.test("[http] when retries run out the last Databricks error is kept, with the attempt count", async () => {
  await using t = await setupFake({ retry: { maxAttempts: 3 } });
  t.fake.fail(RUNS_GET, { status: 503, times: Infinity, message: "Backend is overloaded." });
  const e = await assertRejects(() => t.ws.jobs.get("5"), DatabricksError);
  assertEquals(t.fake.count(RUNS_GET), 3);
  assertEquals(e.errorCode, "TEMPORARILY_UNAVAILABLE");
  assertEquals(e.attempts, 3);
  assert(
    e.message.includes('"Backend is overloaded."') && e.message.includes("after 3 attempts"),
    e.message,
  );
});

Deno.test("[http] the total retry budget stops retrying even when attempts remain", async () => {
  await using t = await setupFake({ retry: { maxAttempts: 50, budgetMs: 10_000 } });
  t.fake.fail(RUNS_GET, { status: 429, retryAfter: 4, times: Infinity });
  await assertRejects(() => t.ws.jobs.get("5"), DatabricksError);
  assertEquals(t.clock.sleeps, [4000, 4000]);
  assertEquals(t.fake.count(RUNS_GET), 3);
});

Deno.test("[http] a dropped connection on a GET is retried; the original network error is kept when it persists", async () => {
  await using t = await setupFake({ retry: { maxAttempts: 2 } });
  const runId = await submitOne(t);
  t.fake.fail(RUNS_GET, { drop: true });
  assertEquals((await t.ws.jobs.get(runId)).runId, runId);
  t.fake.fail(RUNS_GET, { drop: true, times: 2 });
  const e = await assertRejects(() => t.ws.jobs.get(runId), DatabricksError);
  assertEquals(e.errorCode, "NETWORK_ERROR");
  assert(e.cause instanceof Error, "underlying error kept as cause");
});

Deno.test("[http] malformed JSON and proxy HTML pages become clear errors", async () => {
  await using t = await setupFake({ retry: { maxAttempts: 1 } });
  t.fake.fail("/api/2.0/serving-endpoints", { malformed: true });
  const bad = await assertRejects(() => t.ws.serving.list(), DatabricksError);
  assertEquals(bad.errorCode, "MALFORMED_RESPONSE");
  t.fake.fail("/api/2.0/serving-endpoints", { html: true, status: 502 });
  const html = await assertRejects(() => t.ws.serving.list(), DatabricksError);
  assertEquals(html.status, 502);
  assertEquals(html.errorCode, "BAD_GATEWAY");
  assert(html.message.includes('"502 Bad Gateway" (HTML, likely from a proxy)'), html.message);
});

Deno.test("[http] a response missing a required field is a WorkspaceError naming the field", async () => {
  const fakeFetch: typeof fetch = () => Promise.resolve(Response.json({ not_run_id: 1 }));
  const http = new HttpClient({
    host: "example.cloud.databricks.com",
    auth: new StaticToken(PAT, "pat", "pat"),
    fetch: fakeFetch,
  });
  const e = await assertRejects(
    () => new JobsClient(http).submit({ run_name: "x", tasks: [] }),
    WorkspaceError,
  );
  assertInstanceOf(e, DatabricksError);
  assertEquals(e.errorCode, "UNEXPECTED_RESPONSE");
  assert(e.message.includes("run_id"), e.message);
});

Deno.test("[http] unknown response fields are kept, not rejected", async () => {
  const fakeFetch: typeof fetch = () =>
    Promise.resolve(Response.json({ run_id: 3, brand_new: true }));
  const http = new HttpClient({
    host: "h",
    auth: new StaticToken(PAT, "pat", "pat"),
    fetch: fakeFetch,
  });
  const r = await http.json(
    { method: "GET", path: "/x" },
    z.looseObject({ run_id: z.number() }),
  );
  assertEquals(r, { run_id: 3, brand_new: true });
});

Deno.test("[http] DATABRICKS_HOST works with or without scheme; Retry-After accepts seconds and dates", () => {
  assertEquals(normalizeHost("adb-1.azuredatabricks.net/"), "https://adb-1.azuredatabricks.net");
  assertEquals(normalizeHost("http://127.0.0.1:8787"), "http://127.0.0.1:8787");
  assertEquals(retryAfterMs("3", 0), 3000);
  assertEquals(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
  assertEquals(retryAfterMs("soon", 0), undefined);
});

Deno.test("[http] https against a plain-HTTP host says to put http:// in DATABRICKS_HOST", async () => {
  await using t = await setupFake();
  const ws = new DatabricksWorkspace({
    host: t.fake.url.replace("http://", ""),
    token: PAT,
    retry: { maxAttempts: 1 },
  });
  const e = await assertRejects(() => ws.serving.list(), DatabricksError);
  assertEquals(e.errorCode, "NETWORK_ERROR");
  assert(e.hint?.includes("put http:// in DATABRICKS_HOST"), `${e.message} / ${e.hint}`);
});

Deno.test("[http] a slow GET times out per attempt and is retried; the timeout is reported", async () => {
  await using t = await setupFake({ timeoutMs: 100, retry: { maxAttempts: 3 } });
  t.fake.latency(1_000, "/api/2.0/serving-endpoints");
  const e = await assertRejects(() => t.ws.serving.list(), DatabricksError);
  assertEquals([e.errorCode, e.attempts], ["TIMEOUT", 3]);
  assertEquals(t.fake.count("/api/2.0/serving-endpoints"), 3);
  assert(e.message.includes("no answer within 0.1 s, after 3 attempts"), e.message);
});

Deno.test("[http] a token source's own failure keeps its status and message, not a 502 network error", async () => {
  const refused = new DatabricksError(
    "Getting an OAuth token (M2M) failed.",
    "UNAUTHENTICATED",
    401,
    undefined,
    "Check DATABRICKS_CLIENT_SECRET.",
  );
  let fetched = 0;
  const http = new HttpClient({
    host: "https://example.invalid",
    auth: {
      method: "oauth-m2m",
      label: "test",
      token: () => Promise.reject(refused),
      invalidate: () => true,
    },
    fetch: () => {
      fetched++;
      return Promise.resolve(new Response("{}"));
    },
  });
  const e = await assertRejects(
    () => http.json({ method: "GET", path: "/api/2.0/x" }, z.unknown()),
    DatabricksError,
  );
  assertEquals([e, e.status, fetched], [refused, 401, 0]);
});
