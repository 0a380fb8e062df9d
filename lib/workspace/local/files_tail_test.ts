/** The local files' offset reads, in-place appends and disk → volume paths (`FilesApi`). */
import { assertEquals, assertRejects } from "@/tests/assert.ts";
import { BadRequestError, NotFoundError, WorkspaceError } from "@/lib/errors.ts";
import { LocalFiles } from "./files.ts";

const VOL = "/Volumes/main/cv/data";
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function withFiles(fn: (f: LocalFiles, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "lakevision-local-tail-" });
  try {
    await fn(new LocalFiles(dir), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("[local_files] readFrom gives the bytes past an offset and the size now", async () => {
  await withFiles(async (f, dir) => {
    const path = `${VOL}/runs/r1/metrics.jsonl`;
    await f.write(path, "ab\ncd\n");
    assertEquals(text((await f.readFrom(path, 0)).bytes), "ab\ncd\n");
    const tail = await f.readFrom(path, 3);
    assertEquals([text(tail.bytes), tail.size], ["cd\n", 6]);
    const none = await f.readFrom(path, 6);
    assertEquals([none.bytes.length, none.size], [0, 6]);
    // A shorter file replaced it: the size says so.
    await Deno.writeTextFile(`${dir}/volumes/main/cv/data/runs/r1/metrics.jsonl`, "x\n");
    const after = await f.readFrom(path, 6);
    assertEquals([after.bytes.length, after.size], [0, 2]);
    await assertRejects(() => f.readFrom(`${VOL}/runs/r1/none.jsonl`, 0), NotFoundError);
    await assertRejects(() => f.readFrom(path, -1), BadRequestError);
    await assertRejects(() => f.readFrom(`${VOL}/runs/r1`, 0), WorkspaceError, "is a folder");
  });
});

Deno.test("[local_files] append writes in place (folders made), refuses the volume root and paths that leave it", async () => {
  await withFiles(async (f, dir) => {
    const path = `${VOL}/batch/b1/results.jsonl`;
    await f.append(path, '{"path":"a"}\n');
    await f.append(path, new TextEncoder().encode('{"path":"b"}\n'));
    const disk = `${dir}/volumes/main/cv/data/batch/b1/results.jsonl`;
    assertEquals(await Deno.readTextFile(disk), '{"path":"a"}\n{"path":"b"}\n');
    const ino = (await Deno.stat(disk)).ino;
    await f.append(path, '{"path":"c"}\n');
    assertEquals((await Deno.stat(disk)).ino, ino, "the same file, not a replacement");
    assertEquals(await f.readText(path), '{"path":"a"}\n{"path":"b"}\n{"path":"c"}\n');
    await assertRejects(() => f.append(VOL, "x"), WorkspaceError, "volume root");
    await assertRejects(() => f.append(`${VOL}/../other/x.txt`, "x"), BadRequestError);
    const outside = await Deno.makeTempDir();
    try {
      await Deno.symlink(outside, `${dir}/volumes/main/cv/data/batch/out`);
      await assertRejects(() => f.append(`${VOL}/batch/out/x.jsonl`, "x"), WorkspaceError);
      assertEquals([...Deno.readDirSync(outside)], [], "nothing written outside the volume");
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("[local_files] a path a local job wrote on disk maps back to its volume path", () => {
  const f = new LocalFiles("/srv/lv");
  assertEquals(f.volumePathOf("/srv/lv/volumes/main/cv/data/coco/"), "/Volumes/main/cv/data/coco");
  assertEquals(f.volumePathOf("/Volumes/main/cv/data/x.json"), "/Volumes/main/cv/data/x.json");
  assertEquals(f.volumePathOf("/srv/lv/kv.sqlite"), undefined);
  assertEquals(f.volumePathOf("/srv/lv/volumesX/a/b/c"), undefined);
});
