import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { ApiError, callJson, retryable } from "./call_json.ts";

Deno.test("[web/call_json] a refusal carries the API's message and status; only 429, 5xx and network errors are retryable", async () => {
  const answers: Record<string, Response> = {
    "/ok": Response.json({ metrics: 1 }),
    "/refused": Response.json({ error: { message: "no endpoint named x" } }, { status: 404 }),
    "/busy": new Response("Too many", { status: 429 }),
    "/broken": new Response("<html>", { status: 502 }),
    "/empty": new Response("", { status: 200 }),
  };
  const real = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request) => {
    const url = String(input);
    if (url === "/down") return Promise.reject(new TypeError("Failed to fetch"));
    return Promise.resolve(answers[url]);
  };
  try {
    assertEquals(await callJson("/ok"), { metrics: 1 });
    const refused = await assertRejects(() => callJson("/refused"), ApiError);
    assertEquals([refused.message, refused.status], ["no endpoint named x", 404]);
    assert(!retryable(refused), "a 404 is not retried");
    const busy = await assertRejects(() => callJson("/busy"), ApiError);
    assertEquals([busy.message, busy.status], ["HTTP 429", 429]);
    assert(retryable(busy));
    const broken = await assertRejects(() => callJson("/broken"), ApiError);
    assertEquals(broken.status, 502);
    assert(retryable(broken));
    assert(retryable(await assertRejects(() => callJson("/down"), TypeError)));
    await assertRejects(() => callJson("/empty"), Error, "without a JSON body");
  } finally {
    globalThis.fetch = real;
  }
});
