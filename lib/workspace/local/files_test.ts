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

Deno.test("[local_files] a catalog, schema or volume folder that is a link is refused, not followed", async () => {
  for (const level of ["catalog", "schema", "volume"] as const) {
    await withFiles(async (f, dir) => {
      const outside = await Deno.makeTempDir();
      try {
        // The link's target holds what the rest of the path names, so following it would work.
        const below = { catalog: "cv/data", schema: "data", volume: "" }[level];
        await Deno.mkdir(`${outside}/${below}`, { recursive: true });
        await Deno.writeTextFile(`${outside}/${below}/secret.txt`, "secret");
        const parent = { catalog: "", schema: "/main", volume: "/main/cv" }[level];
        const name = { catalog: "main", schema: "cv", volume: "data" }[level];
        await Deno.mkdir(`${dir}/volumes${parent}`, { recursive: true });
        await Deno.symlink(outside, `${dir}/volumes${parent}/${name}`);
        const file = "/Volumes/main/cv/data/secret.txt";
        await assertRejects(() => f.readText(file), WorkspaceError, "outside its volume");
        await assertRejects(() => f.stat(file), WorkspaceError, "outside its volume");
        await assertRejects(
          () => Array.fromAsync(f.list("/Volumes/main/cv/data")),
          WorkspaceError,
          "outside its volume",
        );
        await assertRejects(() => f.write(file, "overwrite"), WorkspaceError, "outside its volume");
        assertEquals(await Deno.readTextFile(`${outside}/${below}/secret.txt`), "secret");
      } finally {
        await Deno.remove(outside, { recursive: true });
      }
    });
  }
});

Deno.test("[local_files] a data folder reached through a link still works (links are judged on the real root)", async () => {
  const real = await Deno.makeTempDir();
  const alias = `${real}-alias`;
  await Deno.symlink(real, alias);
  try {
    const f = new LocalFiles(alias);
    await f.write("/Volumes/main/cv/data/a/b.txt", "hello");
    await Deno.symlink(`${real}/volumes/main/cv/data/a`, `${real}/volumes/main/cv/data/same`);
    assertEquals(await f.readText("/Volumes/main/cv/data/same/b.txt"), "hello");
  } finally {
    await Deno.remove(alias);
    await Deno.remove(real, { recursive: true });
  }
});

Deno.test("[local_files] browse shows a refused link by name only, never its target's size", async () => {
  await withFiles(async (f, dir) => {
    await f.write("/Volumes/main/cv/data/inside.txt", "12345");
    const outside = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${outside}/big.bin`, "x".repeat(4321));
      const vol = `${dir}/volumes/main/cv/data`;
      await Deno.symlink(`${outside}/big.bin`, `${vol}/out-file`);
      await Deno.symlink(outside, `${vol}/out-dir`);
      await Deno.symlink(`${outside}/missing`, `${vol}/broken`);
      await Deno.symlink(`${vol}/inside.txt`, `${vol}/in-link`);
      const entries = await Array.fromAsync(f.list("/Volumes/main/cv/data"));
      const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
      for (const n of ["out-file", "out-dir", "broken"]) {
        assertEquals(byName[n].size, undefined, n);
        assertEquals(byName[n].modifiedAt, undefined, n);
        assertEquals(byName[n].isDirectory, false, n);
      }
      assertEquals(byName["in-link"].size, 5);
      assertEquals(byName["inside.txt"].size, 5);
      await assertRejects(
        () => f.stat("/Volumes/main/cv/data/out-file"),
        WorkspaceError,
        "outside its volume",
      );
      await assertRejects(
        () => f.write("/Volumes/main/cv/data/broken/x.txt", "no"),
        WorkspaceError,
        "outside its volume",
      );
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("[local_files] a name or path too long for the file system is a 400 naming the volume path", async () => {
  await withFiles(async (f, dir) => {
    await f.mkdirs("/Volumes/main/cv/data");
    const longName = `/Volumes/main/cv/data/${"n".repeat(300)}.txt`;
    const deep = `/Volumes/main/cv/data/${"abcdefgh/".repeat(600)}x.txt`;
    for (const p of [longName, deep]) {
      for (
        const op of [
          () => f.stat(p),
          () => f.readText(p),
          () => f.read(p),
          () => f.write(p, "x"),
          () => f.mkdirs(p),
          () => f.delete(p),
          () => Array.fromAsync(f.list(p)),
        ]
      ) {
        const e = await assertRejects(op, BadRequestError, "too long");
        assert(e.message.includes("/Volumes/main/cv/data/"), e.message);
        assert(!e.message.includes(dir), `host path leaked: ${e.message}`);
        assert(e.message.length < 400, "the message quotes a shortened path");
      }
    }
  });
});
