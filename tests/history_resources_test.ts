/**
 * Run resources (peak memory, images/s) reach Resources & cost from the status.json the training
 * job writes (tests/fixtures/history/status_succeeded.json is one, as written by a real run) as
 * soon as the run ends, not at the next hourly pass; an unreadable folder is tried again later.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { type TestApp, testApp } from "@/tests/helpers.ts";
import { harvestResources, harvestRun, storedResources } from "@/lib/history/runs.ts";
import { startHistoryMaintenance } from "@/lib/history/retention.ts";
import { createRun, newRunId, updateRun } from "@/lib/training/records.ts";
import type { RunRecord } from "@/lib/training/types.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

const STATUS = await Deno.readTextFile(
  new URL("./fixtures/history/status_succeeded.json", import.meta.url),
);

function record(t: TestApp, over: Partial<RunRecord> = {}): RunRecord {
  const id = newRunId();
  const now = Date.now();
  return {
    id,
    name: `cls ${id}`,
    createdAt: now - 60_000,
    createdBy: "ana",
    config: { name: "c", version: 1, task: "classification", model: "torchvision/resnet18" },
    compute: { kind: "local", device: "cpu" },
    distribution: "local",
    status: "running",
    phase: "training",
    runDir: `${t.settings.volume}/runs/${id}`,
    configPath: `${t.settings.volume}/configs/c/v1.yaml`,
    command: ["python"],
    idempotencyToken: `tok-${id}`,
    startedAt: now - 50_000,
    updatedAt: now,
    progress: null,
    lastMetrics: {},
    ...over,
  };
}

async function until(what: string, fn: () => Promise<boolean>) {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name: "[history] a run's peak memory and images/s show on Resources & cost as soon as it ends",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await testApp();
    const stop = startHistoryMaintenance(t.workspace);
    try {
      const run = record(t);
      await t.workspace.files.write(`${run.runDir}/status.json`, STATUS, { overwrite: true });
      await createRun(run);
      assertEquals((await storedResources([run.id])).size, 0, "nothing while it runs");
      await updateRun(
        run.id,
        () => ({ status: "succeeded", phase: "succeeded", endedAt: Date.now() }),
      );
      await until("the resources", async () => (await storedResources([run.id])).has(run.id));
      assertEquals((await storedResources([run.id])).get(run.id), {
        peakCpuMemMb: 595.5,
        peakGpuMemMb: undefined,
        imagesPerSecond: 11.56,
      });
      const html = await (await t.request("/history/usage")).text();
      const row =
        html.match(new RegExp(`<tr[^>]*>(?:(?!</tr>).)*${run.id}(?:(?!</tr>).)*</tr>`, "s"))
          ?.[0] ?? "";
      assertStringIncludes(row, "CPU 624.4 MB"); // 595.5 MiB in the app's (decimal) units
      assertStringIncludes(row, ">11.6<");
    } finally {
      stop();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "[history] an unreadable run folder or a job still writing is tried again, not stored empty",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await testApp();
    try {
      const down: Workspace = {
        ...t.workspace,
        files: {
          ...t.workspace.files,
          readText: () => Promise.reject(Object.assign(new Error("503"), { status: 503 })),
        },
      };
      const run = record(t, { status: "succeeded", phase: "succeeded" });
      await createRun(run);
      await t.workspace.files.write(`${run.runDir}/status.json`, STATUS, { overwrite: true });
      assertEquals(await harvestRun(down, run), false);
      assertEquals((await storedResources([run.id])).size, 0);
      // the next pass reads it
      assertEquals(await harvestResources(t.workspace), 1);
      assertEquals((await storedResources([run.id])).get(run.id)?.imagesPerSecond, 11.56);

      const writing = record(t, { status: "failed", phase: "failed" });
      await createRun(writing);
      const early = { ...JSON.parse(STATUS), phase: "training" };
      delete early.resources;
      await t.workspace.files.write(`${writing.runDir}/status.json`, JSON.stringify(early));
      assertEquals(await harvestRun(t.workspace, writing), false, "the job may still add them");
      // a job that ended without measuring anything is settled with no figures
      await t.workspace.files.write(
        `${writing.runDir}/status.json`,
        JSON.stringify({ ...early, phase: "failed" }),
        { overwrite: true },
      );
      assert(await harvestRun(t.workspace, writing));
      assertEquals((await storedResources([writing.id])).get(writing.id), {});
    } finally {
      await t.close();
    }
  },
});
