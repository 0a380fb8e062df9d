import { Hono } from "hono";
import { z } from "zod";
import { HttpError } from "@/lib/errors.ts";
import { assertEquals, assertRejects, assertStringIncludes } from "@/tests/assert.ts";
import { jsonDepth, MAX_JSON_DEPTH, readBytes, readForm, readJson } from "./body.ts";
import { bodyLimit } from "./middleware.ts";

const post = (body: BodyInit | null, contentType?: string) =>
  new Request("http://localhost/x", {
    method: "POST",
    // A string body would get text/plain; bytes carry no content type of their own.
    body: typeof body === "string" ? new TextEncoder().encode(body) : body,
    headers: contentType ? { "content-type": contentType } : {},
  });

async function status(p: Promise<unknown>): Promise<number> {
  const e = await assertRejects(() => p, HttpError);
  return e.status;
}

/** A chunked body (no content-length) of `n` bytes in 1 KB chunks. */
function chunked(n: number): ReadableStream<Uint8Array> {
  let left = n;
  return new ReadableStream({
    pull(c) {
      if (left <= 0) return c.close();
      const k = Math.min(1024, left);
      left -= k;
      c.enqueue(new TextEncoder().encode("[".padEnd(k, " ")));
    },
  });
}

Deno.test("[body] readForm reads urlencoded and multipart forms", async () => {
  const url = await readForm(post("a=1&b=two", "application/x-www-form-urlencoded"));
  assertEquals(url.get("b"), "two");
  const fd = new FormData();
  fd.set("name", "cfg");
  const mp = await readForm(new Request("http://localhost/x", { method: "POST", body: fd }));
  assertEquals(mp.get("name"), "cfg");
});

Deno.test("[body] readForm: 415 for a non-form, 400 for no boundary or broken multipart", async () => {
  assertEquals(await status(readForm(post("{}", "application/json"))), 415);
  assertEquals(await status(readForm(post("a=1"))), 415);
  assertEquals(await status(readForm(post("--x\r\n", "multipart/form-data"))), 400);
  const e = await assertRejects(
    () => readForm(post("junk", "multipart/form-data; boundary=zz")),
    HttpError,
    "malformed",
  );
  assertEquals(e.status, 400);
});

Deno.test("[body] readJson parses, and validates with a schema (422 with per-field details)", async () => {
  assertEquals(await readJson(post('{"a":1}', "application/json")), { a: 1 });
  assertEquals(await readJson(post('{"a":1}')), { a: 1 }, "no content type is read as JSON");
  const Schema = z.object({ name: z.string(), n: z.number() });
  assertEquals(await readJson(post('{"name":"x","n":2}', "application/json"), Schema), {
    name: "x",
    n: 2,
  });
  const e = await assertRejects(
    () => readJson(post('{"name":3}', "application/json; charset=utf-8"), Schema),
    HttpError,
  );
  assertEquals(e.status, 422);
  assertEquals((e.details as { path: string }[]).map((d) => d.path), ["name", "n"]);
});

Deno.test("[body] readJson: 415 wrong type, 400 syntax error with position, empty, or too deep", async () => {
  assertEquals(await status(readJson(post("a=1", "application/x-www-form-urlencoded"))), 415);
  assertEquals(await status(readJson(post("{}", "text/plain"))), 415);
  const syntax = await assertRejects(
    () => readJson(post('{"a": 1,, }', "application/json")),
    HttpError,
  );
  assertEquals(syntax.status, 400);
  assertStringIncludes(syntax.message, "position 8");
  assertEquals(await status(readJson(post("", "application/json"))), 400);
  const deep = "[".repeat(10_000) + "]".repeat(10_000);
  const e = await assertRejects(() => readJson(post(deep, "application/json")), HttpError);
  assertEquals(e.status, 400);
  assertStringIncludes(e.message, `${MAX_JSON_DEPTH} levels`);
  const ok = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
  assertEquals(jsonDepth(ok), MAX_JSON_DEPTH);
  assertEquals(jsonDepth('{"a":"[[[[\\"[["}'), 1, "brackets inside strings do not count");
});

Deno.test("[body] readBytes caps the body: 413 by content-length and by streamed count", async () => {
  assertEquals((await readBytes(post("hello"), 5)).byteLength, 5);
  assertEquals(await status(readBytes(post("hello!"), 5)), 413);
  assertEquals(await status(readBytes(post(chunked(10_000)), 4096)), 413);
  assertEquals((await readBytes(post(null), 10)).byteLength, 0);
});

Deno.test("[body] a chunked body over the body limit is a 413 from every reader, not a parse error", async () => {
  const app = new Hono();
  app.onError((e, c) =>
    c.json({ message: e.message }, e instanceof HttpError ? e.status as 413 : 500)
  );
  app.use(bodyLimit(4096));
  app.post("/json", async (c) => c.json(await readJson(c.req.raw)));
  app.post("/form", async (c) => c.json([...(await readForm(c.req.raw)).keys()]));
  for (
    const [path, type] of [["/json", "application/json"], [
      "/form",
      "multipart/form-data; boundary=b",
    ], ["/form", "application/x-www-form-urlencoded"]]
  ) {
    const res = await app.request(path, {
      method: "POST",
      body: chunked(100_000),
      headers: { "content-type": type },
      duplex: "half",
    } as RequestInit);
    assertEquals(res.status, 413, `${path} ${type}`);
    assertStringIncludes((await res.json()).message, "too large");
  }
});
