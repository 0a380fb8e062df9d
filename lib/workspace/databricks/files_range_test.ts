/**
 * `FilesApi.readFrom` on Databricks against the fake workspace, whose downloads answer RFC 9110
 * ranges as the Files API does (tests/fake_databricks/range_test.ts), and through a proxy that
 * changes the answers.
 */
import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { FakeDatabricks } from "@/tests/fake_databricks/server.ts";
import { PAT, setupFake, VOLUME } from "@/tests/fake_databricks/testing.ts";
import { NotFoundError } from "@/lib/errors.ts";
import { DatabricksWorkspace } from "./databricks_workspace.ts";

const FILE = `${VOLUME}/runs/r1/metrics.jsonl`;
const FS_PATH = `/api/2.0/fs/files${FILE}`;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("[files/range] readFrom follows a growing file: one HEAD when nothing is new, a ranged GET for what is", async () => {
  await using t = await setupFake();
  await t.fake.files.put(FILE, '{"a":1}\n');
  const first = await t.ws.files.readFrom!(FILE, 0);
  assertEquals([text(first.bytes), first.size], ['{"a":1}\n', 8]);
  const gets = () => t.fake.requests.filter((r) => r.path === FS_PATH && r.method === "GET");
  assertEquals(gets().map((r) => r.range), [undefined], "the first read asks for the whole file");

  const before = t.fake.requests.length;
  const same = await t.ws.files.readFrom!(FILE, 8);
  assertEquals([same.bytes.length, same.size], [0, 8]);
  assertEquals(
    t.fake.requests.slice(before).map((r) => r.method),
    ["HEAD"],
    "nothing new: no download",
  );

  await t.fake.files.put(FILE, '{"a":1}\n{"b":2}\n{"c"');
  const grown = await t.ws.files.readFrom!(FILE, 8);
  assertEquals([text(grown.bytes), grown.size], ['{"b":2}\n{"c"', 20]);
  assertEquals(gets().map((r) => r.range), [undefined, "bytes=8-"]);

  // Replaced by a shorter file: the size says so, and nothing past it is made up.
  await t.fake.files.put(FILE, "{}\n");
  const shorter = await t.ws.files.readFrom!(FILE, 20);
  assertEquals([shorter.bytes.length, shorter.size], [0, 3]);
});

Deno.test("[files/range] readFrom refuses a missing file and a negative offset", async () => {
  await using t = await setupFake();
  await assertRejects(() => t.ws.files.readFrom!(`${VOLUME}/none.jsonl`, 0), NotFoundError);
  await assertRejects(() => t.ws.files.readFrom!(`${VOLUME}/none.jsonl`, 4), NotFoundError);
  await t.fake.files.put(FILE, "x\n");
  const e = await assertRejects(() => t.ws.files.readFrom!(FILE, -1));
  assert(String(e).includes("not a byte position"), String(e));
});

/** A workspace on the fake whose requests pass through `edit` first. */
async function throughProxy(
  edit: (url: string, init: RequestInit) => Promise<void> | void,
): Promise<{ fake: FakeDatabricks; ws: DatabricksWorkspace } & AsyncDisposable> {
  const fake = await FakeDatabricks.start();
  fake.addToken(PAT, { userName: "dev@example.com" });
  await fake.files.addVolume("main.cv.data");
  const ws = new DatabricksWorkspace(
    { host: fake.url, token: PAT, volume: "main.cv.data", catalog: "main", schema: "cv" },
    {
      fetch: async (input, init = {}) => {
        await edit(String(input), init);
        return await fetch(input, init);
      },
    },
  );
  return { fake, ws, [Symbol.asyncDispose]: () => fake.close() };
}

Deno.test("[files/range] a proxy that drops the Range header: the whole file comes back and the tail is cut from it", async () => {
  await using t = await throughProxy((_url, init) => {
    const h = new Headers(init.headers);
    h.delete("range");
    init.headers = h;
  });
  await t.fake.files.put(FILE, "one\ntwo\n");
  const tail = await t.ws.files.readFrom!(FILE, 4);
  assertEquals([text(tail.bytes), tail.size], ["two\n", 8]);
  assert(!t.fake.requests.some((r) => r.range), "the proxy removed the header");
});

Deno.test("[files/range] a file cut short between the HEAD and the GET (416) reads as an empty tail of the shorter file", async () => {
  let cut = false;
  await using t = await throughProxy(async (url, init) => {
    if (!cut && url.includes("/fs/files/") && init.method === "GET") {
      cut = true;
      await t.fake.files.put(FILE, "1\n");
    }
  });
  await t.fake.files.put(FILE, "one\ntwo\n");
  const tail = await t.ws.files.readFrom!(FILE, 4);
  assertEquals([tail.bytes.length, tail.size], [0, 2]);
  assertEquals(
    t.fake.requests.filter((r) => r.path === FS_PATH).map((r) => r.method),
    ["HEAD", "GET", "HEAD"],
  );
});
