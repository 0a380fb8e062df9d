/**
 * The job runner on the local workspace: jobs/batch_infer.py submitted through the Jobs port
 * (a local subprocess), its arguments mapped to disk while rows keep their volume paths, progress
 * read from status.json, a cancel by SIGTERM, and a resume (`--resume`) without duplicates. The
 * local Python has no onnxruntime, so the job first fails saying so; then a stand-in onnxruntime
 * (on PYTHONPATH) lets the real job run.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { importModel } from "@/lib/registry/register.ts";
import { getBatch } from "@/lib/serving/batch/records.ts";
import { parseResultLines } from "@/lib/serving/batch/result_log.ts";
import {
  type BatchContext,
  cancelBatch,
  refreshBatch,
  resumeBatch,
  startBatch,
  waitForBatch,
} from "@/lib/serving/batch/service.ts";
import { testApp } from "@/tests/helpers.ts";

const FIX = new URL("./fixtures/onnx/tiny_classifier/", import.meta.url);
const FAKE_ORT = `
import os, time
import numpy as np
def get_available_providers():
    return ["CPUExecutionProvider"]
class InferenceSession:
    def __init__(self, path, providers=None):
        pass
    def run(self, names, feed):
        x = next(iter(feed.values()))
        time.sleep(float(os.environ.get("LV_FAKE_ORT_SLEEP", "0")))
        m = x.reshape(x.shape[0], 3, -1).mean(-1)
        return [np.concatenate([m, m[:, :1] * 0], 1).astype(np.float32)]
`;

Deno.test("[batch job] batch_infer.py as a local job: honest failure without onnxruntime, then cancel + resume without duplicates", async () => {
  const t = await testApp();
  const stubs = await Deno.makeTempDir({ prefix: "lv-fake-ort-" });
  const before = { path: Deno.env.get("PYTHONPATH"), sleep: Deno.env.get("LV_FAKE_ORT_SLEEP") };
  try {
    const ctx: BatchContext = { ws: t.workspace, volume: t.settings.volume, user: "tester" };
    await importModel(
      ctx,
      await Deno.readFile(new URL("model.onnx", FIX)),
      await Deno.readTextFile(new URL("model.json", FIX)),
      { name: "main.cv.tiny" },
    );
    const dir = `${ctx.volume}/photos`;
    for (let i = 0; i < 20; i++) {
      const px = new Uint8Array(12 * 10 * 3).map((_, j) => (j * (i + 1)) % 256);
      await t.workspace.files.write(
        `${dir}/${i % 2 ? "a/" : ""}p${i}.png`,
        encodePng({ width: 12, height: 10, channels: 3, data: px }),
      );
    }
    const req = {
      model: "main.cv.tiny",
      version: "1",
      input: { kind: "folder" as const, path: dir },
      runner: "job" as const,
    };
    const first = await startBatch(ctx, req);
    assertEquals(first.batch.runner, "job");
    assert(first.batch.jobRunId);
    const failed = await waitForBatch(ctx.ws, first.batch.id, { everyMs: 200, timeoutMs: 120_000 });
    assertEquals(failed.status, "failed");
    assertStringIncludes(failed.message ?? "", "onnxruntime is not importable");

    await Deno.writeTextFile(`${stubs}/onnxruntime.py`, FAKE_ORT);
    Deno.env.set("PYTHONPATH", stubs);
    Deno.env.set("LV_FAKE_ORT_SLEEP", "0.4");
    const { batch } = await startBatch(ctx, req);
    const end = Date.now() + 120_000;
    let cur = batch;
    while (Date.now() < end && (cur.progress?.done ?? 0) < 2) {
      await new Promise((r) => setTimeout(r, 100));
      cur = await refreshBatch(ctx.ws, await getBatch(batch.id));
    }
    assertEquals(cur.status, "running");
    assertEquals(cur.progress?.total, 20);
    await cancelBatch(ctx, batch.id);
    const cancelled = await waitForBatch(ctx.ws, batch.id, { everyMs: 100, timeoutMs: 30_000 });
    assertEquals(cancelled.status, "cancelled");
    // status.json says "cancelled" at once; the process still writes the batch it was in
    while (
      ["RUNNING", "TERMINATING"].includes((await ctx.ws.jobs.get(cancelled.jobRunId!)).state)
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const out = `${cancelled.runDir}/results.jsonl`;
    const part = parseResultLines(await ctx.ws.files.readText(out)).rows;
    assert(part.length >= 2 && part.length < 20, `${part.length} rows after cancel`);
    Deno.env.set("LV_FAKE_ORT_SLEEP", "0");
    await resumeBatch(ctx, batch.id);
    const done = await waitForBatch(ctx.ws, batch.id, { everyMs: 100, timeoutMs: 120_000 });
    assertEquals(done.status, "succeeded", done.message);
    assertEquals(done.progress?.done, 20);
    assertEquals(done.progress?.skipped, part.length);
    const rows = parseResultLines(await ctx.ws.files.readText(out)).rows;
    assertEquals(rows.length, 20);
    assertEquals(new Set(rows.map((r) => r.path)).size, 20);
    // rows name volume paths, not the data folder the subprocess read
    for (const r of rows) assert(r.path.startsWith(`${dir}/`), r.path);
    assertEquals(rows.slice(0, part.length), part);
  } finally {
    before.path === undefined
      ? Deno.env.delete("PYTHONPATH")
      : Deno.env.set("PYTHONPATH", before.path);
    before.sleep === undefined
      ? Deno.env.delete("LV_FAKE_ORT_SLEEP")
      : Deno.env.set("LV_FAKE_ORT_SLEEP", before.sleep);
    await Deno.remove(stubs, { recursive: true }).catch(() => {});
    await t.close();
  }
});
