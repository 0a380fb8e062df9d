/**
 * `FilesClient.download` with `offset` / `retries` (files_range.ts `resumingDownload`): a
 * connection that breaks off is picked up from the byte reached, and an answer that does not
 * continue those bytes is never appended: the whole file (Range ignored, by a proxy in front
 * of the fake or by a stub server) has its first bytes dropped, a 206 from elsewhere is an
 * error, 416 is the end or a shorter file, and a file written meanwhile (412 on
 * If-Unmodified-Since, or another size) is an error naming it.
 */
import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { FakeDatabricks } from "@/tests/fake_databricks/server.ts";
import { FakeClock, PAT, VOLUME } from "@/tests/fake_databricks/testing.ts";
import { DatabricksError } from "./api_error.ts";
import { DatabricksWorkspace } from "./databricks_workspace.ts";

const FILE = `${VOLUME}/runs/r1/model.onnx`;
const FS_PATH = `/api/2.0/fs/files${FILE}`;

function data(n: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) % 251);
}

async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** The response with its body broken off after `n` bytes (a connection reset). */
function cutAfter(res: Response, n: number): Response {
  const reader = res.body!.getReader();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (sent >= n) {
        await reader.cancel();
        return c.error(new TypeError("connection reset by peer"));
      }
      const r = await reader.read();
      if (r.done) return c.close();
      const part = r.value.subarray(0, n - sent);
      sent += part.length;
      c.enqueue(part);
    },
  });
  return new Response(body, { status: res.status, headers: res.headers });
}

interface Proxy {
  /** Called with each request before it goes on (may change its headers). */
  request?: (url: string, init: RequestInit) => Promise<void> | void;
  /** Called with each file download's answer; what it returns is what the client gets. */
  download?: (res: Response, nth: number) => Response;
}

function workspace(host: string, fetchFn?: typeof fetch): DatabricksWorkspace {
  return new DatabricksWorkspace(
    { host, token: PAT, volume: "main.cv.data", catalog: "main", schema: "cv" },
    { clock: new FakeClock(), random: () => 0.5, ...(fetchFn ? { fetch: fetchFn } : {}) },
  );
}

/** The fake, and a workspace whose requests pass through `proxy` on their way to it. */
async function throughProxy(proxy: Proxy = {}) {
  const fake = await FakeDatabricks.start();
  fake.addToken(PAT, { userName: "dev@example.com" });
  await fake.files.addVolume("main.cv.data");
  let gets = 0;
  const ws = workspace(fake.url, async (input, init = {}) => {
    const url = String(input);
    await proxy.request?.(url, init);
    const res = await fetch(input, init);
    const isGet = url.includes("/api/2.0/fs/files/") && (init.method ?? "GET") === "GET";
    return isGet && proxy.download && res.ok ? proxy.download(res, gets++) : res;
  });
  return { fake, ws, [Symbol.asyncDispose]: () => fake.close() };
}

const dropRange = (_url: string, init: RequestInit) => {
  const h = new Headers(init.headers);
  h.delete("range");
  init.headers = h;
};

Deno.test("[files/resume] a broken download resumes with a ranged, conditional GET and comes out whole", async () => {
  await using t = await throughProxy({
    download: (res, n) => n === 0 ? cutAfter(res, 70_000) : res,
  });
  const bytes = data(200_000);
  await t.fake.files.put(FILE, bytes);
  const seen: number[] = [];
  const got = await collect(
    await t.ws.filesClient.download(FILE, { retries: 2, onProgress: (n) => seen.push(n) }),
  );
  assertEquals(got, bytes);
  assertEquals(seen.at(-1), bytes.length);
  const gets = t.fake.requests.filter((r) => r.path === FS_PATH && r.method === "GET");
  assertEquals(gets.length, 2);
  assertEquals(gets[0].range, undefined);
  assertEquals(gets[1].range, "bytes=70000-");
  assert(gets[1].ifUnmodifiedSince, "the resumed GET asks for the same file");
  assertEquals(gets[0].ifUnmodifiedSince, undefined);
});

Deno.test("[files/resume] a proxy that drops the Range header: the whole file comes again and the bytes already passed on are skipped", async () => {
  await using t = await throughProxy({
    request: dropRange,
    download: (res, n) => n === 0 ? cutAfter(res, 70_000) : res,
  });
  const bytes = data(200_000);
  await t.fake.files.put(FILE, bytes);
  const got = await collect(await t.ws.filesClient.download(FILE, { retries: 1 }));
  assertEquals(got.length, bytes.length, "nothing appended twice");
  assertEquals(got, bytes);
  assert(!t.fake.requests.some((r) => r.range), "the proxy removed the header");

  // Continuing from an offset: the tail only, cut from the whole file.
  const tail = await collect(await t.ws.filesClient.download(FILE, { offset: 150_000 }));
  assertEquals(tail, bytes.subarray(150_000));
});

Deno.test("[files/resume] at the end of the file nothing is asked; past it, or a file now shorter (416), is an error naming the sizes", async () => {
  let shrink = false;
  await using t = await throughProxy({
    request: async (url, init) => {
      if (shrink && url.includes("/fs/files/") && init.method === "GET") {
        shrink = false;
        // Within the second of the Last-Modified the HEAD saw, so If-Unmodified-Since holds
        // and the range is what fails (a later second is the 412 of the next test).
        await t.fake.files.put(FILE, data(10), { modifiedAt: second + 500 });
      }
    },
  });
  const second = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  await t.fake.files.put(FILE, data(100), { modifiedAt: second });
  const before = t.fake.requests.length;
  assertEquals((await collect(await t.ws.filesClient.download(FILE, { offset: 100 }))).length, 0);
  assertEquals(t.fake.requests.slice(before).map((r) => r.method), ["HEAD"]);

  const past = await assertRejects(
    async () => await collect(await t.ws.filesClient.download(FILE, { offset: 101, retries: 3 })),
    DatabricksError,
  );
  assert(past.message.includes("the file has only 100 bytes"), past.message);
  await assertRejects(
    () => t.ws.filesClient.download(FILE, { offset: -1 }),
    Error,
    "not a byte position",
  );

  shrink = true; // replaced by a 10-byte file between the HEAD and the GET: 416
  const e = await assertRejects(
    async () => await collect(await t.ws.filesClient.download(FILE, { offset: 50, retries: 3 })),
    DatabricksError,
  );
  assertEquals(e.errorCode, "FILE_CHANGED");
  assert(e.message.includes("it now has 10 bytes"), e.message);
});

Deno.test("[files/resume] a file written between the break and the resume (412) ends the download with an error, never with mixed bytes", async () => {
  let sent = 0;
  await using t = await throughProxy({
    request: async (url, init) => {
      if (url.includes("/fs/files/") && init.method === "GET" && sent++ === 1) {
        // Rewritten (same size) after the first answer broke off, before the resume.
        await t.fake.files.put(FILE, data(50_000).reverse(), { modifiedAt: later });
      }
    },
    download: (res, n) => n === 0 ? cutAfter(res, 20_000) : res,
  });
  const later = Date.now() + 5_000;
  await t.fake.files.put(FILE, data(50_000), { modifiedAt: later - 60_000 });
  const parts: Uint8Array[] = [];
  const e = await assertRejects(async () => {
    for await (const c of await t.ws.filesClient.download(FILE, { retries: 5 })) parts.push(c);
  }, DatabricksError);
  assertEquals(e.errorCode, "FILE_CHANGED");
  assert(e.message.includes("it was written after"), e.message);
  assertEquals(parts.reduce((n, c) => n + c.length, 0), 20_000, "only the first file's bytes");
  const gets = t.fake.requests.filter((r) => r.path === FS_PATH && r.method === "GET");
  assertEquals(gets.length, 2, "no further attempt once the file changed");
});

/** What a stub server answers a download with. */
type Answer = (req: Request, file: Uint8Array<ArrayBuffer>, nth: number) => Response;

/** A stub Files API that serves one file its own way (HEAD: size and Last-Modified). */
function stubServer(file: Uint8Array<ArrayBuffer>, answer: Answer) {
  const seen: { method: string; range: string | null }[] = [];
  let gets = 0;
  const lastModified = new Date(Date.now() - 60_000).toUTCString();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    seen.push({ method: req.method, range: req.headers.get("range") });
    const headers = { "content-length": String(file.length), "last-modified": lastModified };
    if (req.method === "HEAD") return new Response(null, { headers });
    return answer(req, file, gets++);
  });
  const host = `http://127.0.0.1:${server.addr.port}`;
  return {
    ws: workspace(host),
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/**
 * The first `n` bytes, then a clean end: chunked, without a Content-Length (a server that stops
 * short; its HEAD gave the size).
 */
function short(file: Uint8Array<ArrayBuffer>, n: number): Response {
  return new Response(ReadableStream.from([file.subarray(0, n)]));
}

/** The whole file with 200, whatever was asked; the first answer stops after `cut` bytes. */
function ignoresRange(cut: number): Answer {
  return (_req, file, nth) =>
    nth === 0
      ? short(file, cut)
      : new Response(file, { headers: { "content-length": String(file.length) } });
}

Deno.test("[files/resume] a server that ignores Range: resumed after stopping short and from an offset, the bytes are the file's, once", async () => {
  const bytes = data(120_000);
  await using s = await stubServer(bytes, ignoresRange(45_000));
  const got = await collect(await s.ws.filesClient.download(FILE, { retries: 1 }));
  assertEquals(got, bytes);
  assertEquals(
    s.seen.filter((r) => r.method === "GET").map((r) => r.range),
    [null, "bytes=45000-"],
    "the range was asked for and ignored",
  );
  const tail = await collect(await s.ws.filesClient.download(FILE, { offset: 119_000 }));
  assertEquals(tail, bytes.subarray(119_000));
});

Deno.test("[files/resume] a server that ignores Range and sends another file's size: an error, not a mix", async () => {
  const bytes = data(30_000);
  await using s = await stubServer(bytes, (_req, _file, nth) => {
    if (nth === 0) return short(data(30_000), 10_000);
    const other = data(31_000);
    return new Response(other, { headers: { "content-length": String(other.length) } });
  });
  const e = await assertRejects(
    async () => await collect(await s.ws.filesClient.download(FILE, { retries: 3 })),
    DatabricksError,
  );
  assertEquals(e.errorCode, "FILE_CHANGED");
  assert(e.message.includes("its size went from 30000 to 31000 bytes"), e.message);
});

Deno.test("[files/resume] a 206 that does not start at the byte asked for is UNEXPECTED_RANGE at once, whatever retries are left", async () => {
  const bytes = data(10_000);
  await using s = await stubServer(bytes, (req, file) => {
    if (!req.headers.get("range")) return short(file, 4_000);
    return new Response(file, {
      status: 206,
      headers: { "content-range": `bytes 0-${file.length - 1}/${file.length}` },
    });
  });
  const parts: Uint8Array[] = [];
  const e = await assertRejects(async () => {
    for await (const c of await s.ws.filesClient.download(FILE, { retries: 4 })) parts.push(c);
  }, DatabricksError);
  assertEquals(e.errorCode, "UNEXPECTED_RANGE");
  assert(e.message.includes(`from byte 4000`), e.message);
  assert(e.message.includes(`"bytes 0-9999/10000"`), e.message);
  assertEquals(parts.reduce((n, c) => n + c.length, 0), 4_000);
  assertEquals(s.seen.filter((r) => r.method === "GET").length, 2);
});

Deno.test("[files/resume] a missing file is refused once, not asked for again on every retry", async () => {
  await using t = await throughProxy();
  await assertRejects(
    async () => await collect(await t.ws.filesClient.download(FILE, { retries: 3 })),
    DatabricksError,
    "does not exist",
  );
  assertEquals(t.fake.requests.filter((r) => r.path === FS_PATH && r.method === "GET").length, 1);
});
