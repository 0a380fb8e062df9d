import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { newConfig, setPath } from "@/lib/config/templates.ts";
import { parseConfigYaml } from "@/lib/config/yaml_io.ts";
import type { FileEntry, FilesApi } from "@/lib/workspace/types.ts";
import { BadRequestError, ConflictError } from "@/lib/errors.ts";
import { ConfigStore, StaleVersionError, volumeOf } from "./configs.ts";

const VOLUME = "/Volumes/main/cv/data";
const FIXTURES = new URL("../../tests/fixtures/accelerator-configs/", import.meta.url);

/** An in-memory FilesApi that records writes and refuses overwrites like the real ones. */
class MemoryFiles implements FilesApi {
  files = new Map<string, string>();
  async *list(_path: string): AsyncIterable<FileEntry> {}
  stat(path: string) {
    return Promise.resolve(
      this.files.has(path) ? { path, name: path.split("/").pop()!, isDirectory: false } : null,
    );
  }
  read(): Promise<ReadableStream<Uint8Array>> {
    throw new Error("not used");
  }
  readBytes(path: string) {
    return Promise.resolve(new TextEncoder().encode(this.files.get(path)));
  }
  readText(path: string) {
    const t = this.files.get(path);
    return t === undefined ? Promise.reject(new Error(`${path} not found`)) : Promise.resolve(t);
  }
  write(
    path: string,
    data: Uint8Array | string | ReadableStream<Uint8Array>,
    opts?: { overwrite?: boolean },
  ) {
    if (opts?.overwrite === false && this.files.has(path)) {
      return Promise.reject(new Error(`${path} already exists`));
    }
    this.files.set(path, typeof data === "string" ? data : "<bytes>");
    return Promise.resolve();
  }
  mkdirs() {
    return Promise.resolve();
  }
  delete(path: string) {
    this.files.delete(path);
    return Promise.resolve();
  }
}

async function withStore(
  fn: (store: ConfigStore, files: MemoryFiles, kv: Deno.Kv) => Promise<void>,
) {
  const kv = await Deno.openKv(":memory:");
  const files = new MemoryFiles();
  try {
    await fn(new ConfigStore(kv, { files, volume: VOLUME }), files, kv);
  } finally {
    kv.close();
  }
}

const doc = () =>
  newConfig("detection", "facebook/detr-resnet-50", { volume: VOLUME, email: "a@b.c" });

Deno.test("[configs store] each save is a new immutable version with author, time and its YAML file", () =>
  withStore(async (store, files) => {
    const r1 = await store.save("detr-coco", doc(), { author: "ana" });
    assertEquals(r1.version.version, 1);
    assertEquals(r1.file, { path: `${VOLUME}/configs/detr-coco/v1.yaml`, ok: true });
    const r2 = await store.save("detr-coco", setPath(doc(), "data.batch_size", 4), {
      author: "ben",
      baseVersion: 1,
    });
    assertEquals(r2.version.version, 2);
    const v1 = await store.getVersion("detr-coco", 1);
    assertEquals(v1.author, "ana");
    assertEquals((v1.doc.data as Record<string, unknown>).batch_size, 16);
    assert(v1.createdAt > 0);
    const f2 = parseConfigYaml(files.files.get(`${VOLUME}/configs/detr-coco/v2.yaml`)!);
    assert(f2.ok);
    assertEquals((f2.doc.data as Record<string, unknown>).batch_size, 4);
    const meta = await store.get("detr-coco");
    assertEquals(meta.latestVersion, 2);
    assertEquals(meta.createdBy, "ana");
    assertEquals(meta.updatedBy, "ben");
  }));

Deno.test("[configs store] ten concurrent saves of one config each get their own version number", () =>
  withStore(async (store, files) => {
    const results = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          store.save("shared", setPath(doc(), "data.batch_size", i + 1), { author: `user${i}` }),
      ),
    );
    const numbers = results.map((r) => r.version.version).sort((a, b) => a - b);
    assertEquals(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const history = await store.history("shared");
    assertEquals(history.length, 10);
    // Every version kept the content its author saved.
    for (const r of results) {
      const v = await store.getVersion("shared", r.version.version);
      assertEquals(v.author, r.version.author);
      assertEquals(v.doc, r.version.doc);
    }
    assertEquals(files.files.size, 10);
    assertEquals((await store.get("shared")).latestVersion, 10);
  }));

Deno.test("[configs store] a config with errors or a bad name is refused and nothing is saved", () =>
  withStore(async (store) => {
    await rejects(
      store.save("bad", setPath(doc(), "data.batch_size", 0), { author: "a" }),
      /error/,
    );
    await rejects(store.save("../etc", doc(), { author: "a" }), /name/);
    assertEquals(await store.list(), []);
  }));

Deno.test("[configs store] list shows latest version, active marker and last change, and searches", () =>
  withStore(async (store) => {
    await store.save("detr-coco", doc(), { author: "ana" });
    await store.save("detr-coco", doc(), { author: "ana" });
    await store.save(
      "vit-flowers",
      newConfig("classification", "google/vit-base-patch16-224", { volume: VOLUME }),
      {
        author: "ben",
      },
    );
    await store.activate("detr-coco", 1, "ana");
    const all = await store.list();
    assertEquals(all.map((c) => c.name), ["vit-flowers", "detr-coco"]);
    const detr = all.find((c) => c.name === "detr-coco")!;
    assertEquals(detr.latestVersion, 2);
    assertEquals(detr.activeVersion, 1);
    assertEquals(all.find((c) => c.name === "vit-flowers")!.activeVersion, null);
    assertEquals((await store.list({ search: "vit-base" })).map((c) => c.name), ["vit-flowers"]);
    assertEquals((await store.list({ search: "classification" })).length, 1);
    assertEquals((await store.activeVersion())?.version, 1);
  }));

Deno.test("[configs store] diff of two versions lists changed fields and aligned YAML lines", () =>
  withStore(async (store) => {
    await store.save("c", doc(), { author: "a" });
    await store.save(
      "c",
      setPath(setPath(doc(), "model.learning_rate", 5e-5), "data.num_workers", undefined),
      {
        author: "a",
      },
    );
    const d = await store.diff("c", 1, 2);
    assertEquals(d.fields, [
      { path: "model.learning_rate", kind: "changed", before: 1e-4, after: 5e-5 },
      { path: "data.num_workers", kind: "removed", before: 4 },
    ]);
    assert(d.lines.some((l) => l.kind === "changed" && l.right?.text.includes("5.0e-5")));
    await rejects(store.diff("c", 1, 9), /no version 9/);
  }));

Deno.test("[configs store] restore saves the old content as a new version; history is kept", () =>
  withStore(async (store) => {
    await store.save("c", doc(), { author: "a" });
    await store.save("c", setPath(doc(), "data.batch_size", 2), { author: "a" });
    const r = await store.restore("c", 1, "b");
    assertEquals(r.version.version, 3);
    assertEquals(r.version.restoredFrom, 1);
    assertEquals(r.version.source, "restore");
    assertEquals(r.version.doc, (await store.getVersion("c", 1)).doc);
    assertEquals(
      (await store.getVersion("c", 2)).doc.data,
      setPath(doc(), "data.batch_size", 2).data,
    );
    assertEquals((await store.history("c")).map((v) => v.version), [3, 2, 1]);
  }));

Deno.test("[configs store] activate points at one version; unknown versions are refused", () =>
  withStore(async (store) => {
    await store.save("c", doc(), { author: "a" });
    await rejects(store.activate("c", 4, "a"), /no version 4/);
    await rejects(store.activate("nope", undefined, "a"), /No config named/);
    const a = await store.activate("c", undefined, "a");
    assertEquals([a.name, a.version], ["c", 1]);
  }));

Deno.test("[configs store] templates: five built-ins plus saved ones; built-ins cannot be deleted", () =>
  withStore(async (store) => {
    assertEquals((await store.listTemplates()).length, 5);
    await store.save("c", doc(), { author: "a" });
    const t = await store.saveAsTemplate("c", 1, { title: "Our DETR", author: "a" });
    const list = await store.listTemplates();
    assertEquals(list.length, 6);
    assertEquals((await store.getTemplate(t.id)).doc, doc());
    await rejects(store.deleteTemplate("builtin-detection"));
    await store.deleteTemplate(t.id);
    assertEquals((await store.listTemplates()).length, 5);
  }));

Deno.test("[configs store] every fixture imports, saves and exports YAML that parses to the same values", () =>
  withStore(async (store, files) => {
    for (const e of Deno.readDirSync(FIXTURES)) {
      const text = Deno.readTextFileSync(new URL(e.name, FIXTURES));
      const parsed = parseConfigYaml(text);
      assert(parsed.ok, e.name);
      const name = e.name.replace(/\.yaml$/, "");
      const saved = await store.save(name, parsed.doc, {
        author: "a",
        source: "import",
        sourceYaml: text,
      });
      const exported = await store.getVersion(name, saved.version.version);
      const back = parseConfigYaml(exported.yaml);
      assert(back.ok, e.name);
      assertEquals(back.doc, parsed.doc, e.name);
      // The imported file keeps its comments; the written file is the same text.
      assertEquals(exported.yaml, text);
      if (saved.file.path) assertEquals(files.files.get(saved.file.path), text);
    }
  }));

Deno.test("[configs store] a failed file write is reported but never loses the saved version", () =>
  withStore(async (store, files) => {
    files.files.set(`${VOLUME}/configs/c/v1.yaml`, "left over");
    const r = await store.save("c", doc(), { author: "a" });
    assertEquals(r.file.ok, false);
    assert(r.file.error?.includes("already exists"));
    assertEquals(files.files.get(`${VOLUME}/configs/c/v1.yaml`), "left over");
    assertEquals((await store.history("c"))[0].file?.ok, false);
    assertEquals((await store.getVersion("c", 1)).version, 1);
  }));

Deno.test("[configs store] without a configured volume the file goes to the data path's volume", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const files = new MemoryFiles();
    const store = new ConfigStore(kv, { files });
    const r = await store.save("c", doc(), { author: "a" });
    assertEquals(r.file.path, `${VOLUME}/configs/c/v1.yaml`);
    assertEquals(
      volumeOf({ data: { train_data_path: "/Volumes/<catalog>/<schema>/<volume>/x/" } }),
      null,
    );
  } finally {
    kv.close();
  }
});

Deno.test("[configs store] remove deletes every version, the active pointer and optionally the files", () =>
  withStore(async (store, files) => {
    for (let i = 0; i < 12; i++) await store.save("gone", doc(), { author: "a" });
    await store.save("kept", doc(), { author: "a" });
    await store.activate("gone", 3, "a");
    assertEquals(await store.remove("gone", { deleteFiles: true }), 12);
    assertEquals((await store.list()).map((c) => c.name), ["kept"]);
    assertEquals(await store.getActive(), null);
    await rejects(store.getVersion("gone", 1), /no version/);
    assertEquals([...files.files.keys()], [`${VOLUME}/configs/kept/v1.yaml`]);
    await rejects(store.remove("gone"), /No config named/);
  }));

Deno.test("[configs store] in Databricks mode a data path outside /Volumes is refused on save", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ConfigStore(kv, { validate: { target: "databricks" } });
    const local = setPath(doc(), "data.train_data_path", "/home/ana/coco/train/");
    await rejects(store.save("c", local, { author: "a" }), /error/);
    assertEquals((await store.save("c", doc(), { author: "a" })).version.version, 1);
  } finally {
    kv.close();
  }
});

Deno.test("[configs store] a save based on a stale version is refused with 409 naming both versions", () =>
  withStore(async (store) => {
    await store.save("detr-coco", doc(), { author: "ana" });
    await store.save("detr-coco", setPath(doc(), "data.batch_size", 4), {
      author: "ben",
      baseVersion: 1,
    });
    // Ana's editor still holds v1; Ben saved v2 meanwhile.
    await rejects(
      store.save("detr-coco", setPath(doc(), "data.batch_size", 8), {
        author: "ana",
        baseVersion: 1,
      }),
      StaleVersionError,
    );
    const err = await store.save("detr-coco", doc(), { author: "ana", baseVersion: 1 })
      .catch((x) => x);
    assert(err instanceof ConflictError && err instanceof StaleVersionError);
    assertEquals([err.status, err.baseVersion, err.latestVersion], [409, 1, 2]);
    assert(err.message.includes("v1") && err.message.includes("v2"), err.message);
    assertEquals((await store.get("detr-coco")).latestVersion, 2);
    // Editing from an older version on purpose: the expectation is the latest seen.
    const r = await store.save("detr-coco", doc(), {
      author: "ana",
      baseVersion: 1,
      expectedLatest: 2,
    });
    assertEquals([r.version.version, r.version.baseVersion], [3, 1]);
  }));

Deno.test("[configs store] names and ids too long for a KV key are a 400 naming the field and limit", () =>
  withStore(async (store) => {
    const long = "a".repeat(3000);
    for (
      const call of [
        () => store.get(long),
        () => store.getVersion(long, 1),
        () => store.exists(long),
        () => store.history(long),
        () => store.remove(long),
        () => store.activate(long, 1, "ana"),
        () => store.deleteTemplate(`t-${long}`),
        () => store.save(long, doc(), { author: "ana" }),
      ]
    ) {
      const e = await call().then(() => null, (x) => x);
      assert(e instanceof BadRequestError, String(e));
      assert(/\b(name|id)\b/.test(e.message) && /\b(64|100)\b/.test(e.message), e.message);
    }
  }));

/** FilesApi whose writes never finish: the process "dies" between the KV commit and the file. */
class StuckFiles extends MemoryFiles {
  override write() {
    return new Promise<void>(() => {});
  }
}

Deno.test("[configs store] a version committed before a crash gets its file on repair", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const crashed = new ConfigStore(kv, { files: new StuckFiles(), volume: VOLUME });
    void crashed.save("detr-coco", doc(), { author: "ana" });
    let pending = null;
    for (let i = 0; i < 100 && !pending; i++) {
      await new Promise((r) => setTimeout(r, 5));
      pending = (await kv.get(["configs", "pending", "detr-coco", 1])).value;
    }
    assert(pending, "the version is committed with a pending-file mark");
    const files = new MemoryFiles();
    const restarted = new ConfigStore(kv, { files, volume: VOLUME });
    assertEquals((await restarted.history("detr-coco"))[0].file?.pending, true);
    assertEquals(await restarted.repair(), { files: 1, removed: 0 });
    const path = `${VOLUME}/configs/detr-coco/v1.yaml`;
    assertEquals(files.files.get(path), (await restarted.getVersion("detr-coco", 1)).yaml);
    assertEquals((await restarted.history("detr-coco"))[0].file, { path, ok: true });
    assertEquals(await restarted.repair(), { files: 0, removed: 0 });
  } finally {
    kv.close();
  }
});

Deno.test("[configs store] remove hides the config in one step; an interrupted purge is finished later", () =>
  withStore(async (store, files, kv) => {
    for (let i = 0; i < 12; i++) await store.save("detr-coco", doc(), { author: "ana" });
    await store.activate("detr-coco", 3, "ana");
    assertEquals(await store.remove("detr-coco", { deleteFiles: true }), 12);
    assertEquals(await store.exists("detr-coco"), false);
    assertEquals(await store.getActive(), null);
    const left = [];
    for await (const e of kv.list({ prefix: ["configs"] })) left.push(e.key);
    assertEquals(left, []);
    assertEquals(files.files.size, 0);

    // A crash right after the tombstone step: only the tombstone's atomic step happened.
    await store.save("mask", doc(), { author: "ana" });
    await store.save("mask", doc(), { author: "ana" });
    const meta = await kv.get(["configs", "meta", "mask"]);
    await kv.atomic().check(meta).delete(["configs", "meta", "mask"])
      .set(["configs", "deleting", "mask"], { at: 1, deleteFiles: false }).commit();
    assertEquals(await store.exists("mask"), false);
    assertEquals((await store.list()).map((c) => c.name), []);
    // Saving the name again first finishes the purge, so it starts over at v1.
    const again = await store.save("mask", doc(), { author: "ben" });
    assertEquals(again.version.version, 1);
    assertEquals((await store.history("mask")).map((v) => v.version), [1]);

    await kv.atomic().delete(["configs", "meta", "mask"])
      .set(["configs", "deleting", "mask"], { at: 2, deleteFiles: false }).commit();
    assertEquals(await store.repair(), { files: 0, removed: 1 });
    const rest = [];
    for await (const e of kv.list({ prefix: ["configs"] })) rest.push(e.key);
    assertEquals(rest, []);
  }));
