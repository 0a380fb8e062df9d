import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { setupFake, VOLUME } from "@/tests/fake_databricks/testing.ts";
import { FilesClient } from "./files.ts";
import { ResumableUploadError } from "./files_multipart.ts";

const MiB = 1024 * 1024;
const data = (n: number) => new Uint8Array(n).map((_, i) => (i * 7) % 251);

Deno.test("[files/multipart] a large upload goes in parts to presigned URLs (no workspace token there), with progress", async () => {
  await using t = await setupFake();
  t.fake.multipart.minPartBytes = 1 * MiB;
  const fc = new FilesClient(t.ws.http, { multipartThreshold: 2 * MiB, partSize: 1 * MiB });
  const bytes = data(3 * MiB + 5);
  const seen: number[] = [];
  await fc.upload(`${VOLUME}/big.bin`, bytes, { onProgress: (done) => seen.push(done) });
  assertEquals(t.fake.multipart.partPuts, 4);
  assertEquals(seen, [1 * MiB, 2 * MiB, 3 * MiB, 3 * MiB + 5]);
  const storage = t.fake.requests.filter((r) => r.path.startsWith("/__storage/"));
  assertEquals(storage.length, 4);
  assert(storage.every((r) => r.token === undefined), "presigned URLs get no Authorization header");
  assertEquals(t.fake.count("/api/2.0/fs/create-upload-part-urls", "POST"), 4);
  assertEquals(await t.ws.files.readBytes(`${VOLUME}/big.bin`), bytes);
  assertEquals(t.fake.multipart.sessions.size, 0, "the session is closed");
});

Deno.test("[files/multipart] a stream of known size goes in parts; an expired part URL is renewed", async () => {
  await using t = await setupFake();
  t.fake.multipart.minPartBytes = 1;
  const fc = new FilesClient(t.ws.http, { multipartThreshold: 1000, partSize: 1000 });
  const bytes = data(2500);
  t.fake.multipart.expireNext = 1; // S3: 403 AccessDenied "Request has expired"
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(i, i + 300));
      i += 300;
    },
  });
  await fc.upload(`${VOLUME}/s.bin`, stream, { size: bytes.length });
  assertEquals(t.fake.count("/api/2.0/fs/create-upload-part-urls", "POST"), 4);
  assertEquals(await t.ws.files.readBytes(`${VOLUME}/s.bin`), bytes);
});

Deno.test("[files/multipart] a failed part leaves a resumable state; resuming sends only the missing parts", async () => {
  await using t = await setupFake({ retry: { maxAttempts: 1 } });
  t.fake.multipart.minPartBytes = 1;
  const fc = new FilesClient(t.ws.http, { multipartThreshold: 100, partSize: 100 });
  const bytes = data(450);
  t.fake.multipart.failPart = 3;
  const e = await assertRejects(() => fc.upload(`${VOLUME}/r.bin`, bytes), ResumableUploadError);
  assert(e.message.includes("2 of 5 parts are stored; the upload can be resumed"), e.message);
  assertEquals(await t.fake.files.sizeOf(`${VOLUME}/r.bin`), undefined, "nothing appears yet");
  const before = t.fake.multipart.partPuts;
  await fc.upload(`${VOLUME}/r.bin`, bytes, { resume: e.resume });
  assertEquals(t.fake.multipart.partPuts - before, 3);
  assertEquals(await t.ws.files.readBytes(`${VOLUME}/r.bin`), bytes);
});

Deno.test("[files] a long download reports progress and picks up after a dropped connection", async () => {
  await using t = await setupFake();
  const bytes = data(200_000);
  await t.fake.files.put(`${VOLUME}/d.bin`, bytes);
  t.fake.fail(`/api/2.0/fs/files${VOLUME}/d.bin`, { drop: true, method: "GET" });
  let last = 0;
  const got: Uint8Array[] = [];
  const body = await t.ws.filesClient.download(`${VOLUME}/d.bin`, {
    retries: 2,
    onProgress: (done, total) => {
      last = done;
      assertEquals(total, bytes.length);
    },
  });
  for await (const c of body) got.push(c);
  const all = new Uint8Array(got.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of got) all.set(c, (off += c.length) - c.length);
  assertEquals(all, bytes);
  assertEquals(last, bytes.length);
  // Continuing from an offset asks for the rest only.
  const rest = await t.ws.filesClient.download(`${VOLUME}/d.bin`, { offset: 150_000 });
  let n = 0;
  for await (const c of rest) n += c.length;
  assertEquals(n, 50_000);
  assert(t.fake.requests.some((r) => r.path.endsWith("/d.bin") && r.method === "GET"));
});
