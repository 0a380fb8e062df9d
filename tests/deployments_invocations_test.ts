/**
 * The invocation path's errors in Databricks Model Serving's shape (`{"error_code", "message"}`,
 * as the Databricks SDK parses them), with the app's status codes and `Retry-After`; the app's
 * own JSON API keeps its `{"error": {...}}`.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import {
  BadRequestError,
  NotFoundError,
  ServiceUnavailableError,
  WorkspaceError,
} from "@/lib/errors.ts";
import {
  errorCodeFor,
  invocationErrorMessage,
  modelServingErrorResponse,
} from "@/lib/serving/invocation_error.ts";
import { jsonPost, testApp } from "@/tests/helpers.ts";

const BODY = { dataframe_split: { columns: ["image"], data: [["aGVsbG8="]] } };

/** POST as an API client: JSON, no Origin. */
const invoke = (name: string, body: string) => ({
  path: `/serving-endpoints/${name}/invocations`,
  init: { method: "POST", headers: { "content-type": "application/json" }, body },
});

/** Asserts an answer is Model Serving's error body with this status, code and message part. */
async function expectError(
  r: Response,
  status: number,
  code: string,
  text: string,
): Promise<Record<string, unknown>> {
  assertEquals(r.status, status);
  assertStringIncludes(r.headers.get("content-type") ?? "", "application/json");
  const j = await r.json();
  assertEquals(Object.keys(j).sort(), ["error_code", "message"], JSON.stringify(j));
  assertEquals(j.error_code, code);
  assertStringIncludes(j.message, text);
  return j;
}

Deno.test("[invocations] errors answer as Model Serving does: error_code + message, same status, Retry-After on 503", async () => {
  const t = await testApp();
  try {
    const send = (name: string, body: string) => {
      const { path, init } = invoke(name, body);
      return t.request(path, init);
    };

    await expectError(await send("tiny", "{not json"), 400, "BAD_REQUEST", "not valid JSON");
    await expectError(
      await send("bad%20name", JSON.stringify(BODY)),
      400,
      "BAD_REQUEST",
      "not a valid endpoint name",
    );
    await expectError(
      await send("no-such", JSON.stringify(BODY)),
      404,
      "RESOURCE_DOES_NOT_EXIST",
      "no-such",
    );
    const get = await t.request("/serving-endpoints/tiny/invocations");
    await expectError(get, 405, "BAD_REQUEST", "GET is not allowed");

    const serving = t.workspace.serving;
    let next: unknown = new ServiceUnavailableError("tiny is busy: 4 running.", 3);
    serving.invoke = () => Promise.reject(next);
    const busy = await send("tiny", JSON.stringify(BODY));
    assertEquals(busy.headers.get("retry-after"), "3");
    await expectError(busy, 503, "TEMPORARILY_UNAVAILABLE", "busy");

    next = new BadRequestError(`${t.dataDir}/volumes/main/lakevision/data/x.png is not an image`);
    const hidden = await expectError(
      await send("tiny", JSON.stringify(BODY)),
      400,
      "BAD_REQUEST",
      "/Volumes/main/lakevision/data/x.png is not an image",
    );
    assert(!String(hidden.message).includes(t.dataDir), "no host path in the message");

    next = new WorkspaceError("No CAN_QUERY on tiny.", "PERMISSION_DENIED", 403, "r1", "Ask.");
    await expectError(
      await send("tiny", JSON.stringify(BODY)),
      403,
      "PERMISSION_DENIED",
      "No CAN_QUERY on tiny. What to do: Ask.",
    );

    next = new TypeError("x is undefined at secret/internal.ts");
    const crash = await expectError(
      await send("tiny", JSON.stringify(BODY)),
      500,
      "INTERNAL_ERROR",
      "request id",
    );
    assert(!String(crash.message).includes("secret"), "an unknown error says nothing inside");

    // The app's own API keeps its shape.
    serving.invoke = () => Promise.reject(new NotFoundError("Endpoint tiny does not exist."));
    const api = await t.request("/api/endpoints/tiny/invoke", jsonPost(BODY));
    assertEquals(api.status, 404);
    assertEquals((await api.json()).error.message, "Endpoint tiny does not exist.");
  } finally {
    await t.close();
  }
});

Deno.test("[invocations] what the app refuses before the route (body limit, another site, an unknown host) answers in Model Serving's shape too", async () => {
  const t = await testApp({ LAKEVISION_MAX_BODY_MB: "1" });
  try {
    const path = "/serving-endpoints/tiny/invocations";
    const post = (headers: Record<string, string>, body: string) =>
      t.request(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    const big = "x".repeat(1_100_000);
    await expectError(
      await post({ "content-length": String(big.length) }, big),
      413,
      "BAD_REQUEST",
      "the limit is 1.0 MB",
    );
    const body = JSON.stringify(BODY);
    const refusals: [Record<string, string>, number, string, string][] = [
      [{ origin: "https://evil.example" }, 403, "PERMISSION_DENIED", "from another site"],
      [{ host: "rebound.example" }, 421, "BAD_REQUEST", 'answer for the host "rebound.example"'],
    ];
    for (const [headers, status, code, text] of refusals) {
      await expectError(await post(headers, body), status, code, text);
    }
    // A page under another host still gets plain text, nothing of the app.
    const page = await t.request("/", { headers: { host: "rebound.example" } });
    assertEquals(page.status, 421);
    assertStringIncludes(page.headers.get("content-type") ?? "", "text/plain");
    await page.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("[invocations] error codes per status, and the message read back from either shape", async () => {
  assertEquals(
    [400, 404, 409, 413, 422, 429, 500, 503, 504, 418, 599].map(errorCodeFor),
    [
      "BAD_REQUEST",
      "RESOURCE_DOES_NOT_EXIST",
      "RESOURCE_CONFLICT",
      "BAD_REQUEST",
      "INVALID_PARAMETER_VALUE",
      "REQUEST_LIMIT_EXCEEDED",
      "INTERNAL_ERROR",
      "TEMPORARILY_UNAVAILABLE",
      "DEADLINE_EXCEEDED",
      "BAD_REQUEST",
      "INTERNAL_ERROR",
    ],
  );
  const r = modelServingErrorResponse(new ServiceUnavailableError("wait", 0.2), {
    requestId: "q",
  });
  assertEquals([r.status, r.headers.get("retry-after")], [503, "1"]);
  const body = await r.json();
  assertEquals(body, { error_code: "TEMPORARILY_UNAVAILABLE", message: "wait" });
  assertEquals(invocationErrorMessage(body), "wait");
  assertEquals(invocationErrorMessage({ error: { message: "old shape" } }), "old shape");
  assertEquals(invocationErrorMessage({ error: "text" }), null);
  assertEquals(invocationErrorMessage("nope"), null);
});
