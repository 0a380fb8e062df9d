/**
 * The registry on the local workspace: import, browse, checksums, aliases with undo, and that a
 * refused or failed registration leaves nothing half-written.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@/tests/assert.ts";
import { BadRequestError, ConflictError, HttpError } from "@/lib/errors.ts";
import { moveAlias, previewAlias, undoAliasMove } from "@/lib/registry/aliases.ts";
import { downloadFile, modelDetail, versionDetail } from "@/lib/registry/browse.ts";
import { ChecksumError } from "@/lib/registry/files.ts";
import { importModel, type RegistryContext } from "@/lib/registry/register.ts";
import { listActivity } from "@/lib/store/activity.ts";
import { testApp } from "@/tests/helpers.ts";

const FIX = new URL("./fixtures/onnx/tiny_classifier/", import.meta.url);
const onnx = await Deno.readFile(new URL("model.onnx", FIX));
const modelJson = await Deno.readTextFile(new URL("model.json", FIX));

async function setup() {
  const t = await testApp();
  const ctx: RegistryContext = { ws: t.workspace, volume: t.settings.volume, user: "tester" };
  return { t, ctx };
}

async function listDir(ws: RegistryContext["ws"], dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of ws.files.list(dir)) out.push(e.name);
  } catch { /* missing */ }
  return out.sort();
}

Deno.test("[registry] an imported ONNX model becomes version 1 with checksummed files and a card", async () => {
  const { t, ctx } = await setup();
  try {
    const rec = await importModel(ctx, onnx, modelJson, {
      name: "Main.CV.Tiny",
      aliases: ["champion"],
      description: "first",
      tags: { team: "vision" },
    });
    assertEquals(rec.registration.state, "succeeded");
    assertEquals(rec.registration.version, "1");
    const { model, versions } = await modelDetail(ctx, "main.cv.tiny");
    assertEquals(model.aliases, [{ alias: "champion", version: "1" }]);
    assertEquals(versions.length, 1);
    assertEquals(versions[0].aliases, ["champion"]);
    assertEquals(versions[0].bytes, onnx.byteLength);
    assertEquals(versions[0].tags.team, "vision");
    assertEquals(versions[0].tags["lakevision.source"], "import");
    const files = await listDir(t.workspace, versions[0].dir);
    assertEquals(files, ["card.md", "manifest.json", "metrics.json", "model.json", "model.onnx"]);
    const d = await versionDetail(ctx, "main.cv.tiny", "1");
    assertStringIncludes(d.card ?? "", "Classes (4): cat, dog, bird, fish");
    const dl = await downloadFile(ctx, "main.cv.tiny", "1", "model.onnx");
    assertEquals(dl.bytes, onnx);
    // Staging folders are gone.
    assertEquals(await listDir(t.workspace, `${ctx.volume}/models/.staging`), []);
  } finally {
    await t.close();
  }
});

Deno.test("[registry] a model file changed after registration is refused on download", async () => {
  const { t, ctx } = await setup();
  try {
    await importModel(ctx, onnx, modelJson, { name: "main.cv.tiny" });
    const path = `${ctx.volume}/models/main.cv.tiny/1/model.onnx`;
    const tampered = onnx.slice();
    tampered[tampered.length - 1] ^= 0xff;
    await t.workspace.files.write(path, tampered, { overwrite: true });
    const e = await assertRejects(
      () => downloadFile(ctx, "main.cv.tiny", "1", "model.onnx"),
      ChecksumError,
    );
    assertStringIncludes(e.message, "does not match its registered checksum");
    await t.workspace.files.write(path, onnx.slice(0, 100), { overwrite: true });
    const e2 = await assertRejects(
      () => downloadFile(ctx, "main.cv.tiny", "1", "model.onnx"),
      ChecksumError,
    );
    assertStringIncludes(e2.message, "changed or truncated");
  } finally {
    await t.close();
  }
});

Deno.test("[registry] bad names, corrupt ONNX and a model.json that contradicts the graph are refused and write nothing", async () => {
  const { t, ctx } = await setup();
  try {
    const cases: [string, () => Promise<unknown>, string][] = [
      [
        "two-part name",
        () => importModel(ctx, onnx, modelJson, { name: "cv.tiny" }),
        "three parts",
      ],
      ["bad char", () => importModel(ctx, onnx, modelJson, { name: "main.cv.ti ny" }), "letters"],
      [
        "reserved alias",
        () => importModel(ctx, onnx, modelJson, { name: "main.cv.t", aliases: ["latest"] }),
        "reserved",
      ],
      [
        "truncated onnx",
        () => importModel(ctx, onnx.slice(0, onnx.length / 2), modelJson, { name: "main.cv.t" }),
        "not a valid ONNX model",
      ],
      [
        "garbage onnx",
        () => importModel(ctx, new TextEncoder().encode("hello"), modelJson, { name: "main.cv.t" }),
        "not a valid ONNX model",
      ],
      [
        "labels vs logits",
        () => {
          const m = JSON.parse(modelJson);
          m.labels = ["a", "b"];
          return importModel(ctx, onnx, JSON.stringify(m), { name: "main.cv.t" });
        },
        "labels",
      ],
      [
        "malformed model.json",
        () => importModel(ctx, onnx, modelJson.slice(0, 40), { name: "main.cv.t" }),
        "not valid JSON",
      ],
    ];
    for (const [what, fn, text] of cases) {
      const e = await assertRejects(fn, BadRequestError);
      assert(e.message.includes(text), `${what}: ${e.message}`);
    }
    assertEquals(await listDir(t.workspace, `${ctx.volume}/models`), []);
    const models = [];
    for await (const m of t.workspace.registry.listModels()) models.push(m);
    assertEquals(models, []);
  } finally {
    await t.close();
  }
});

Deno.test("[registry] a registration that fails while copying leaves no record and no files", async () => {
  const { t, ctx } = await setup();
  try {
    const files = t.workspace.files;
    const failing = Object.create(files) as typeof files;
    failing.write = (path, data, opts) => {
      if (path.endsWith("/manifest.json")) return Promise.reject(new Error("disk full"));
      return files.write(path, data, opts);
    };
    const ws = { ...t.workspace, files: failing };
    const { LocalRegistry } = await import("@/lib/workspace/local/registry.ts");
    ws.registry = new LocalRegistry(failing);
    await assertRejects(
      () => importModel({ ...ctx, ws }, onnx, modelJson, { name: "main.cv.tiny" }),
      Error,
    );
    assertEquals(await listDir(t.workspace, `${ctx.volume}/models/main.cv.tiny`), []);
    await assertRejects(() => t.workspace.registry.getModel("main.cv.tiny"), HttpError);
  } finally {
    await t.close();
  }
});

Deno.test("[registry] moving champion shows the change, refuses a stale view, and can be undone", async () => {
  const { t, ctx } = await setup();
  try {
    await importModel(ctx, onnx, modelJson, { name: "main.cv.tiny", aliases: ["champion"] });
    await importModel(ctx, onnx, modelJson, { name: "main.cv.tiny" });
    const p = await previewAlias(ctx, "main.cv.tiny", "champion", "2");
    assertEquals([p.from, p.to], ["1", "2"]);
    await assertRejects(
      () => moveAlias(ctx, "main.cv.tiny", "champion", "2", null),
      ConflictError,
    );
    await moveAlias(ctx, "main.cv.tiny", "champion", "2", "1");
    assertEquals((await t.workspace.registry.getByAlias("main.cv.tiny", "champion")).version, "2");
    const [move] = await listActivity({ limit: 1 });
    assertEquals(move.what, "moved alias");
    await undoAliasMove(ctx, move.id);
    assertEquals((await t.workspace.registry.getByAlias("main.cv.tiny", "champion")).version, "1");
    await assertRejects(() => undoAliasMove(ctx, move.id), ConflictError);
  } finally {
    await t.close();
  }
});
