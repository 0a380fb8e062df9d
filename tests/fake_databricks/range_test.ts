/**
 * The fake's downloads take the Range header as the Files API does ("a standard HTTP file
 * download … It supports the Range and If-Unmodified-Since HTTP headers"): RFC 9110 single
 * ranges, and 412 for a file modified after the If-Unmodified-Since date.
 */
import { assertEquals } from "../assert.ts";
import { FakeDatabricks } from "./server.ts";
import { PAT, VOLUME } from "./testing.ts";

Deno.test("[fake_databricks] downloads answer Range headers as RFC 9110 reads them: 206 with Content-Range, 416 past the end, else the whole file", async () => {
  const fake = await FakeDatabricks.start();
  try {
    fake.addToken(PAT, { userName: "dev@example.com" });
    await fake.files.addVolume("main.cv.data");
    await fake.files.put(`${VOLUME}/five.txt`, "01234");
    await fake.files.put(`${VOLUME}/empty.txt`, "");
    const get = async (name: string, range?: string) => {
      const res = await fetch(`${fake.url}/api/2.0/fs/files${VOLUME}/${name}`, {
        headers: { authorization: `Bearer ${PAT}`, ...(range ? { range } : {}) },
      });
      const body = await res.text();
      return [res.status, res.headers.get("content-range"), body];
    };
    assertEquals(await get("five.txt"), [200, null, "01234"]);
    assertEquals(await get("five.txt", "bytes=2-"), [206, "bytes 2-4/5", "234"]);
    assertEquals(await get("five.txt", "bytes=1-2"), [206, "bytes 1-2/5", "12"]);
    assertEquals(await get("five.txt", "bytes=3-99"), [206, "bytes 3-4/5", "34"]);
    assertEquals(await get("five.txt", "bytes=-2"), [206, "bytes 3-4/5", "34"]);
    assertEquals(await get("five.txt", "bytes=-9"), [206, "bytes 0-4/5", "01234"]);
    const past = await get("five.txt", "bytes=5-");
    assertEquals(past.slice(0, 2), [416, "bytes */5"]);
    assertEquals(JSON.parse(past[2] as string).error_code, "INVALID_PARAMETER_VALUE");
    assertEquals((await get("empty.txt", "bytes=0-")).slice(0, 2), [416, "bytes */0"]);
    // Not one range: ignored, the whole file comes back.
    assertEquals(await get("five.txt", "bytes=3-1"), [200, null, "01234"]);
    assertEquals(await get("five.txt", "bytes=0-1,3-4"), [200, null, "01234"]);
    assertEquals(await get("five.txt", "items=1-2"), [200, null, "01234"]);
  } finally {
    await fake.close();
  }
});

Deno.test("[fake_databricks] downloads answer If-Unmodified-Since: 412 once the file was modified after the date, else as usual", async () => {
  const fake = await FakeDatabricks.start();
  try {
    fake.addToken(PAT, { userName: "dev@example.com" });
    await fake.files.addVolume("main.cv.data");
    const at = Date.parse("Tue, 02 Jun 2026 10:00:00 GMT");
    await fake.files.put(`${VOLUME}/five.txt`, "01234", { modifiedAt: at + 400 });
    const get = async (since: string, method = "GET", range?: string) => {
      const res = await fetch(`${fake.url}/api/2.0/fs/files${VOLUME}/five.txt`, {
        method,
        headers: {
          authorization: `Bearer ${PAT}`,
          "if-unmodified-since": since,
          ...(range ? { range } : {}),
        },
      });
      const body = await res.text();
      return [res.status, res.headers.get("last-modified"), body];
    };
    const lm = new Date(at).toUTCString();
    assertEquals(await get(lm), [200, lm, "01234"], "the same second is not later");
    assertEquals(await get(lm, "GET", "bytes=3-"), [206, lm, "34"]);
    const before = new Date(at - 1000).toUTCString();
    const refused = await get(before);
    assertEquals(refused[0], 412);
    assertEquals(
      JSON.parse(refused[2] as string).message.includes("has been modified since"),
      true,
    );
    assertEquals((await get(before, "HEAD"))[0], 412);
    assertEquals((await get(before, "GET", "bytes=3-"))[0], 412, "checked before the range");
    assertEquals((await get("not a date"))[0], 200, "a header that is no date is ignored");
  } finally {
    await fake.close();
  }
});
