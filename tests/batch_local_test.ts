/**
 * Batch inference on the local workspace, end to end: the tiny classifier imported with
 * importModel, a generated image folder in the volume, the batch run by the app (onnxruntime-web,
 * lib/inference decoding) writing one JSONL row per image; cancel then resume without duplicates;
 * bad inputs. Agreement: each row equals the answer of a real local endpoint (LocalServing,
 * invoked in the serving contract's `dataframe_split` form) for the same image, and the fixture's
 * test image gets jobs/lakevision_jobs/inference.py's own answer (expected.json).
 */
import jpeg from "jpeg-js";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@/tests/assert.ts";
import { BadRequestError, ConflictError } from "@/lib/errors.ts";
import { encodePng } from "@/lib/image/png.ts";
import { base64 } from "@/lib/inference/contract.ts";
import { importModel } from "@/lib/registry/register.ts";
import { drainHere, setImageDelayForTests } from "@/lib/serving/batch/app_runner.ts";
import { parseResultLines, type ResultRow } from "@/lib/serving/batch/result_log.ts";
import {
  type BatchContext,
  cancelBatch,
  refreshBatch,
  resumeBatch,
  startBatch,
  waitForBatch,
} from "@/lib/serving/batch/service.ts";
import { getBatch } from "@/lib/serving/batch/records.ts";
import { LocalServing } from "@/lib/workspace/local/serving.ts";
import { testApp } from "@/tests/helpers.ts";

const FIX = new URL("./fixtures/onnx/tiny_classifier/", import.meta.url);
const onnx = await Deno.readFile(new URL("model.onnx", FIX));
const modelJson = await Deno.readTextFile(new URL("model.json", FIX));
const expected = JSON.parse(await Deno.readTextFile(new URL("expected.json", FIX)));

/** generate.py's test_image: RGB (7x + 3y, xy, 255 − 5x) mod 256. */
function fixtureImage(w: number, h: number): Uint8Array {
  const data = new Uint8Array(w * h * 3);
  const mod = (v: number) => ((v % 256) + 256) % 256;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      data.set([mod(7 * x + 3 * y), mod(x * y), mod(255 - 5 * x)], 3 * (y * w + x));
    }
  }
  return encodePng({ width: w, height: h, channels: 3, data });
}

function colourImage(i: number, kind: "png" | "jpg"): Uint8Array {
  const w = 24 + i, h = 18 + (i % 5);
  const rgba = new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    rgba.set([(37 * i + p) % 256, (91 * i) % 256, (p * 3 + i * 11) % 256, 255], p * 4);
  }
  if (kind === "jpg") return jpeg.encode({ width: w, height: h, data: rgba }, 90).data;
  const rgb = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) rgb.set(rgba.subarray(p * 4, p * 4 + 3), p * 3);
  return encodePng({ width: w, height: h, channels: 3, data: rgb });
}

async function setup(n: number) {
  const t = await testApp();
  const ctx: BatchContext = { ws: t.workspace, volume: t.settings.volume, user: "tester" };
  await importModel(
    { ws: t.workspace, volume: t.settings.volume, user: "tester" },
    onnx,
    modelJson,
    {
      name: "main.cv.tiny",
    },
  );
  const dir = `${ctx.volume}/incoming/photos`;
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < n; i++) {
    const kind = i % 3 === 0 ? "jpg" : "png";
    files[`${dir}/${i % 2 ? "day" : "night"}/img_${String(i).padStart(3, "0")}.${kind}`] =
      colourImage(i, kind);
  }
  for (const [p, b] of Object.entries(files)) await t.workspace.files.write(p, b);
  await t.workspace.files.write(`${dir}/README.txt`, "not an image");
  return { t, ctx, dir, files };
}

async function rows(ctx: BatchContext, path: string): Promise<ResultRow[]> {
  return parseResultLines(await ctx.ws.files.readText(path)).rows;
}

/** What a local endpoint serving the same version answers for each image. */
async function endpointAnswers(ctx: BatchContext, images: Uint8Array[]): Promise<unknown[]> {
  const serving = new LocalServing({
    workspace: () => ctx.ws,
    volume: ctx.volume,
    serve: true,
    idleUnloadMinutes: 15,
    pollMs: 50,
  });
  await serving.start();
  try {
    await serving.create({
      name: "tiny-ep",
      entities: [{ model: "main.cv.tiny", version: "1" }],
      createdBy: "tester",
    });
    const until = Date.now() + 20_000;
    while ((await serving.get("tiny-ep")).state !== "READY") {
      if (Date.now() > until) throw new Error("the endpoint did not become READY");
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await serving.invoke("tiny-ep", {
      dataframe_split: { columns: ["image"], data: images.map((b) => [base64(b)]) },
    }) as { predictions: unknown[] };
    return res.predictions;
  } finally {
    await serving.close();
  }
}

Deno.test("[batch] a folder batch writes one row per image, agreeing with the local endpoint and jobs/ Python", async () => {
  const { t, ctx, dir, files } = await setup(9);
  try {
    await t.workspace.files.write(
      `${dir}/fixture.png`,
      fixtureImage(expected.image.width, expected.image.height),
    );
    await t.workspace.files.write(
      `${dir}/night/broken.jpg`,
      new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]),
    );
    const { batch } = await startBatch(ctx, {
      model: "main.cv.tiny",
      version: "1",
      input: { kind: "folder", path: dir },
    });
    assertEquals(batch.runner, "app");
    const done = await waitForBatch(ctx.ws, batch.id, { everyMs: 50, timeoutMs: 60_000 });
    assertEquals(done.status, "succeeded", done.message);
    assertEquals(done.progress?.done, 11);
    assertEquals(done.progress?.total, 11);
    assertEquals(done.progress?.errors, 1);
    assertEquals(done.output, { kind: "file", path: `${done.runDir}/results.jsonl` });
    const got = await rows(ctx, `${done.runDir}/results.jsonl`);
    assertEquals(got.length, 11);
    assertEquals(new Set(got.map((r) => r.path)).size, 11);
    const broken = got.find((r) => r.path.endsWith("broken.jpg"))!;
    assertEquals(broken.prediction, null);
    assertStringIncludes(broken.error ?? "", "cannot read image");
    // every good image gets the local endpoint's answer for it
    const paths = Object.keys(files);
    const direct = await endpointAnswers(ctx, paths.map((p) => files[p]));
    paths.forEach((p, i) => {
      const row = got.find((r) => r.path === p);
      assert(row, `no row for ${p}`);
      assertEquals(row.error, null);
      assertEquals(row.prediction, direct[i], p);
    });
    // and the fixture image as jobs/lakevision_jobs/inference.py answered it (expected.json)
    const fx = got.find((r) => r.path === `${dir}/fixture.png`)!;
    const top = (fx.prediction as { top_k: { label: number; score: number }[] }).top_k;
    const want: { label: number; score: number }[] = expected.prediction.top_k;
    assertEquals(top.map((x) => x.label), want.map((x) => x.label));
    top.forEach((x, i) =>
      assert(Math.abs(x.score - want[i].score) <= 2e-6, `${x.score} vs ${want[i].score}`)
    );
  } finally {
    await drainHere();
    await t.close();
  }
});

Deno.test("[batch] cancel then resume finishes every image exactly once", async () => {
  const { t, ctx, dir } = await setup(14);
  const old = setImageDelayForTests(60);
  try {
    const out = `${ctx.volume}/results/run.jsonl`;
    const { batch } = await startBatch(ctx, {
      model: "main.cv.tiny",
      version: "1",
      input: { kind: "folder", path: dir },
      output: { kind: "file", path: out },
    });
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      const r = await refreshBatch(ctx.ws, await getBatch(batch.id));
      if ((r.progress?.done ?? 0) >= 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const cancelled = await cancelBatch(ctx, batch.id);
    assertEquals(cancelled.status, "cancelled");
    assertStringIncludes(cancelled.message ?? "", "Resume");
    const first = await rows(ctx, out);
    assert(first.length >= 3 && first.length < 14, `${first.length} rows after cancel`);
    assertEquals(cancelled.progress?.done, first.length);
    // a half-written last line (a kill mid-write) is cut off by the resume
    const text = await ctx.ws.files.readText(out);
    await ctx.ws.files.write(out, text + '{"path": "/Volumes/hal', { overwrite: true });
    setImageDelayForTests(0);
    const resumed = await resumeBatch(ctx, batch.id);
    assertEquals(resumed.attempt, 2);
    const done = await waitForBatch(ctx.ws, batch.id, { everyMs: 50, timeoutMs: 60_000 });
    assertEquals(done.status, "succeeded", done.message);
    assertEquals(done.progress?.skipped, first.length);
    const all = await rows(ctx, out);
    assertEquals(all.length, 14);
    assertEquals(new Set(all.map((r) => r.path)).size, 14);
    assertEquals(all.slice(0, first.length), first);
    await assertRejects(
      () => resumeBatch(ctx, batch.id),
      ConflictError,
      "only a cancelled or failed",
    );
  } finally {
    setImageDelayForTests(old);
    await drainHere();
    await t.close();
  }
});

Deno.test("[batch] bad inputs: outside a volume, a missing folder, missing model files, Parquet in the app", async () => {
  const { t, ctx, dir } = await setup(2);
  try {
    const base = { model: "main.cv.tiny", version: "1" };
    const e1 = await assertRejects(
      () => startBatch(ctx, { ...base, input: { kind: "folder", path: "/etc/passwd-dir" } }),
      BadRequestError,
    );
    assertStringIncludes(e1.message, "must be a path in a volume");
    const e2 = await assertRejects(
      () => startBatch(ctx, { ...base, input: { kind: "folder", path: `${ctx.volume}/nope` } }),
      BadRequestError,
    );
    assertStringIncludes(e2.message, "does not exist");
    const e3 = await assertRejects(
      () =>
        startBatch(ctx, {
          ...base,
          input: { kind: "folder", path: dir },
          output: { kind: "file", path: `${ctx.volume}/out.parquet` },
          runner: "app",
        }),
      BadRequestError,
    );
    assertStringIncludes(e3.message, "JSONL");
    await assertRejects(
      () =>
        startBatch(ctx, {
          model: "main.cv.tiny",
          version: "7",
          input: { kind: "folder", path: dir },
        }),
    );
    await t.workspace.files.delete(`${ctx.volume}/models/main.cv.tiny/1/model.onnx`);
    const { batch } = await startBatch(ctx, { ...base, input: { kind: "folder", path: dir } });
    const done = await waitForBatch(ctx.ws, batch.id, { everyMs: 50, timeoutMs: 30_000 });
    assertEquals(done.status, "failed");
    assertStringIncludes(done.message ?? "", "are missing from the volume");
  } finally {
    await drainHere();
    await t.close();
  }
});
