import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { BadRequestError, ConflictError, NotFoundError, WorkspaceError } from "@/lib/errors.ts";
import { LocalFiles } from "./files.ts";

async function withFiles(fn: (f: LocalFiles, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(new LocalFiles(dir), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("[local_files] write, stat, list, read and delete under a volume", async () => {
  await withFiles(async (f, dir) => {
    await f.write("/Volumes/main/cv/data/a/b.txt", "hello");
    await f.write("/Volumes/main/cv/data/a/c.bin", new Uint8Array([1, 2, 3]));
    assertEquals(await Deno.readTextFile(`${dir}/volumes/main/cv/data/a/b.txt`), "hello");
    const st = await f.stat("/Volumes/main/cv/data/a/b.txt");
    assertEquals(st?.size, 5);
    assertEquals(st?.isDirectory, false);
    assertEquals(await f.stat("/Volumes/main/cv/data/missing"), null);
    const names = [];
    for await (const e of f.list("/Volumes/main/cv/data/a")) names.push(`${e.name}:${e.size}`);
    assertEquals(names, ["b.txt:5", "c.bin:3"]);
    assertEquals(await f.readText("/Volumes/main/cv/data/a/b.txt"), "hello");
    const stream = await f.read("/Volumes/main/cv/data/a/c.bin");
    assertEquals(
      new Uint8Array(await new Response(stream).arrayBuffer()),
      new Uint8Array([1, 2, 3]),
    );
    await f.delete("/Volumes/main/cv/data/a/b.txt");
    assertEquals(await f.stat("/Volumes/main/cv/data/a/b.txt"), null);
  });
});

Deno.test("[local_files] escaping paths, missing files and overwrite refusal are clear errors", async () => {
  await withFiles(async (f) => {
    await assertRejects(
      () => f.readText("/Volumes/main/cv/data/../../../../etc/passwd"),
      BadRequestError,
      "escapes",
    );
    await assertRejects(() => f.write("/tmp/x", "no"), BadRequestError, "not under /Volumes");
    await assertRejects(
      () => f.readText("/Volumes/main/cv/data/nope.txt"),
      NotFoundError,
      "does not exist",
    );
    await f.write("/Volumes/main/cv/data/x.txt", "1");
    await assertRejects(
      () => f.write("/Volumes/main/cv/data/x.txt", "2", { overwrite: false }),
      ConflictError,
      "already exists",
    );
    assertEquals(await f.readText("/Volumes/main/cv/data/x.txt"), "1");
    await assertRejects(() => f.delete("/Volumes/main/cv/data"), WorkspaceError, "volume root");
  });
});

Deno.test("[local_files] a symlink that leads out of the volume is refused", async () => {
  await withFiles(async (f, dir) => {
    await f.mkdirs("/Volumes/main/cv/data");
    const outside = await Deno.makeTempDir();
    await Deno.writeTextFile(`${outside}/secret.txt`, "secret");
    await Deno.symlink(outside, `${dir}/volumes/main/cv/data/link`);
    try {
      await assertRejects(
        () => f.readText("/Volumes/main/cv/data/link/secret.txt"),
        WorkspaceError,
        "outside its volume",
      );
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("[local_files] a failed streaming write leaves no partial file", async () => {
  await withFiles(async (f, dir) => {
    const failing = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(1024));
        c.error(new Error("connection dropped"));
      },
    });
    await assertRejects(
      () => f.write("/Volumes/main/cv/data/up.bin", failing),
      Error,
      "connection dropped",
    );
    assertEquals(await f.stat("/Volumes/main/cv/data/up.bin"), null);
    const left = [...Deno.readDirSync(`${dir}/volumes/main/cv/data`)].map((e) => e.name);
    assert(left.length === 0, `temp files left behind: ${left}`);
  });
});
