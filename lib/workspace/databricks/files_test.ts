import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { PAT, setupFake, VOLUME } from "@/tests/fake_databricks/testing.ts";
import { BadRequestError, ConflictError, NotFoundError, WorkspaceError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import { checkVolumePath, encodePath } from "./files.ts";

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

Deno.test("[files] write, read, stat and list round-trip through the Files API", async () => {
  await using t = await setupFake();
  await t.ws.files.write(`${VOLUME}/a dir/hello #1.txt`, "héllo");
  await t.ws.files.write(`${VOLUME}/b.bin`, new Uint8Array([1, 2, 3]));
  assertEquals(await t.ws.files.readText(`${VOLUME}/a dir/hello #1.txt`), "héllo");
  assertEquals(await t.ws.files.readBytes(`${VOLUME}/b.bin`), new Uint8Array([1, 2, 3]));
  const st = await t.ws.files.stat(`${VOLUME}/b.bin`);
  assertEquals([st?.isDirectory, st?.size, st?.name], [false, 3, "b.bin"]);
  assertEquals((await t.ws.files.stat(`${VOLUME}/a dir`))?.isDirectory, true);
  assertEquals(await t.ws.files.stat(`${VOLUME}/missing.txt`), null);
  const root = await collect(t.ws.files.list(VOLUME));
  assertEquals(root.map((e) => [e.name, e.isDirectory, e.size]), [["a dir", true, undefined], [
    "b.bin",
    false,
    3,
  ]]);
  assertEquals(root[0].path, `${VOLUME}/a dir`);
});

Deno.test("[files] directory listings are paginated and read as one async iterator", async () => {
  await using t = await setupFake();
  for (let i = 0; i < 7; i++) await t.fake.files.put(`${VOLUME}/p/f${i}.txt`, "x");
  const names = (await collect(t.ws.filesClient.list(`${VOLUME}/p`, 3))).map((e) => e.name);
  assertEquals(names, ["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt", "f5.txt", "f6.txt"]);
  assertEquals(t.fake.count("/api/2.0/fs/directories/Volumes/main/cv/data/p", "GET"), 3);
});

Deno.test("[files] overwrite=false refuses to replace; delete (recursive) removes a tree", async () => {
  await using t = await setupFake();
  await t.ws.files.write(`${VOLUME}/t/x/1.txt`, "1");
  await t.ws.files.write(`${VOLUME}/t/2.txt`, "2");
  const e = await assertRejects(
    () => t.ws.files.write(`${VOLUME}/t/2.txt`, "again", { overwrite: false }),
    ConflictError,
  );
  assertEquals(e.message, `File ${VOLUME}/t/2.txt already exists.`);
  assertEquals(await t.ws.files.readText(`${VOLUME}/t/2.txt`), "2");
  await assertRejects(() => t.ws.files.delete(`${VOLUME}/t`), ConflictError); // not empty
  await t.ws.files.delete(`${VOLUME}/t`, { recursive: true });
  assertEquals(await t.ws.files.stat(`${VOLUME}/t`), null);
  const gone = await assertRejects(() => t.ws.files.delete(`${VOLUME}/t`), NotFoundError);
  assertEquals(gone.message, `${VOLUME}/t does not exist.`);
  await assertRejects(() => t.ws.files.delete(VOLUME, { recursive: true }), WorkspaceError);
  await assertRejects(() => t.ws.files.write(VOLUME, "x"), WorkspaceError);
  const missing = await assertRejects(
    () => t.ws.files.readText(`${VOLUME}/nope.txt`),
    NotFoundError,
  );
  assertEquals(missing.message, `File ${VOLUME}/nope.txt does not exist.`);
  await assertRejects(() => collect(t.ws.files.list(`${VOLUME}/nope`)), NotFoundError);
  await t.ws.files.mkdirs(`${VOLUME}/new/deep`);
  assertEquals((await t.ws.files.stat(`${VOLUME}/new/deep`))?.isDirectory, true);
});

Deno.test("[files] paths outside a volume are refused before any request", async () => {
  await using t = await setupFake();
  for (
    const p of ["/tmp/x", "/Volumes/main/cv", "/Volumes/main/cv/data/../../etc", "Volumes/a/b/c"]
  ) {
    await assertRejects(() => t.ws.files.readText(p), BadRequestError);
  }
  assertEquals(t.fake.requests.length, 0);
  assertEquals(checkVolumePath("/Volumes/a/b/c/"), "/Volumes/a/b/c");
  assertEquals(encodePath("/Volumes/a/b/c/x y#?.txt"), "/Volumes/a/b/c/x%20y%23%3F.txt");
});

Deno.test("[files] PERMISSION_DENIED says which volume privilege is missing", async () => {
  await using t = await setupFake();
  await t.fake.files.put(`${VOLUME}/a.txt`, "a");
  t.fake.files.deny("main.cv.data", "WRITE VOLUME");
  assertEquals(await t.ws.files.readText(`${VOLUME}/a.txt`), "a");
  const w = await assertRejects(() => t.ws.files.write(`${VOLUME}/b.txt`, "b"), DatabricksError);
  assertEquals([w.status, w.errorCode], [403, "PERMISSION_DENIED"]);
  assert(w.message.startsWith(`Uploading ${VOLUME}/b.txt failed`), w.message);
  assert(w.hint?.includes("WRITE VOLUME on volume main.cv.data"), w.hint);
  t.fake.files.deny("main.cv.data", "READ VOLUME");
  const r = await assertRejects(() => collect(t.ws.files.list(VOLUME)), DatabricksError);
  assert(r.hint?.includes("READ VOLUME on volume main.cv.data"), r.hint);
});

Deno.test("[files] over the single-PUT limit: known sizes go multipart, an unknown-length stream fails clearly", async () => {
  await using t = await setupFake({ maxPutBytes: 1024 });
  const big = new Uint8Array(4096).map((_, i) => i % 256);
  await t.ws.files.write(`${VOLUME}/big.bin`, big);
  assertEquals(t.fake.count(`/api/2.0/fs/files${VOLUME}/big.bin`, "PUT"), 0);
  assertEquals(t.fake.count(`/api/2.0/fs/files${VOLUME}/big.bin`, "POST"), 2); // initiate, complete
  assertEquals(await t.ws.files.readBytes(`${VOLUME}/big.bin`), big);
  // A stream of unknown length is cut off as soon as it passes the limit.
  let chunks = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (++chunks > 8) return c.close();
      c.enqueue(new Uint8Array(512));
    },
  });
  const e2 = await assertRejects(
    () => t.ws.files.write(`${VOLUME}/big2.bin`, stream),
    DatabricksError,
  );
  assertEquals(e2.errorCode, "REQUEST_TOO_LARGE");
  assertEquals(await t.fake.files.sizeOf(`${VOLUME}/big2.bin`), undefined);
});

Deno.test("[files] an upload the workspace stored short is reported, never accepted", async () => {
  await using t = await setupFake();
  await t.fake.files.put(`${VOLUME}/short.bin`, new Uint8Array(0));
  // The PUT "succeeds" but stores nothing new: the size check catches it.
  t.fake.fail(`/api/2.0/fs/files${VOLUME}/short.bin`, { lose: true, method: "PUT" });
  const e = await assertRejects(
    () => t.ws.files.write(`${VOLUME}/short.bin`, new Uint8Array(10)),
    DatabricksError,
  );
  assertEquals(e.errorCode, "UPLOAD_INCOMPLETE");
  assert(e.message.includes("sent 10 bytes but the volume holds 0 bytes"), e.message);
});

Deno.test("[files] 100 MB streams up and down with bounded memory", async () => {
  // The client runs in its own process so that its RSS is measured alone (the fake stays here).
  await using t = await setupFake();
  const probe = new URL("../../../tests/fake_databricks/stream_probe.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-check",
      "--v8-flags=--expose-gc",
      probe.pathname,
      t.fake.url,
      PAT,
      `${VOLUME}/big.bin`,
      "100",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  assertEquals(r.bytesUp, 100 * 1024 * 1024);
  assertEquals(await t.fake.files.sizeOf(`${VOLUME}/big.bin`), r.bytesUp);
  assertEquals([r.bytesDown, r.sumDown], [r.bytesUp, r.sumUp]);
  const growthMb = (r.peak - r.base) / 1024 / 1024;
  assert(growthMb < 30, `RSS grew by ${growthMb.toFixed(1)} MB while moving 100 MB each way`);
});

Deno.test("[files] a download whose connection drops mid-way errors clearly, naming the bytes received", async () => {
  await using t = await setupFake();
  await t.fake.files.put(`${VOLUME}/a.bin`, new Uint8Array(100));
  t.fake.fail(`/api/2.0/fs/files${VOLUME}/a.bin`, { drop: true, method: "GET" });
  const e = await assertRejects(() => t.ws.files.readBytes(`${VOLUME}/a.bin`), DatabricksError);
  assertEquals(e.errorCode, "NETWORK_ERROR");
  assert(
    e.message.startsWith(`Reading ${VOLUME}/a.bin failed: the connection dropped after `),
    e.message,
  );
  assertEquals((await t.ws.files.readBytes(`${VOLUME}/a.bin`)).length, 100); // the next try works
});

Deno.test("[files] an upload stream that stops moving is stopped by the watchdog; nothing is stored", async () => {
  await using t = await setupFake();
  let sentOne = false;
  const stuck = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sentOne) return new Promise(() => {}); // the source hangs
      sentOne = true;
      c.enqueue(new Uint8Array(1000));
    },
  });
  const e = await assertRejects(
    () => t.ws.filesClient.upload(`${VOLUME}/stuck.bin`, stuck, { idleMs: 100 }),
    DatabricksError,
  );
  assertEquals(e.errorCode, "TIMEOUT");
  assert(e.message.includes("stalled after 1000 bytes"), e.message);
  assertEquals(await t.fake.files.sizeOf(`${VOLUME}/stuck.bin`), undefined);
});

Deno.test("[files] an upload that breaks off mid-way leaves the previous file intact", async () => {
  await using t = await setupFake();
  await t.ws.files.write(`${VOLUME}/keep.txt`, "old content");
  let n = 0;
  const breaking = new ReadableStream<Uint8Array>({
    pull(c) {
      if (++n > 3) return c.error(new Error("source disk went away"));
      c.enqueue(new Uint8Array(1024).fill(65));
    },
  });
  const e = await assertRejects(
    () => t.ws.files.write(`${VOLUME}/keep.txt`, breaking),
    DatabricksError,
  );
  assertEquals(e.errorCode, "UPLOAD_SOURCE_FAILED");
  assert(
    e.message.includes("after 3072 bytes (source disk went away). Nothing was stored."),
    e.message,
  );
  assertEquals(await t.ws.files.readText(`${VOLUME}/keep.txt`), "old content");
});
