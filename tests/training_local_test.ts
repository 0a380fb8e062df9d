import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { listActivity } from "@/lib/store/activity.ts";
import { cancelRun, launchRun, resumeRun } from "@/lib/training/launch.ts";
import { getRun, listRuns } from "@/lib/training/records.ts";
import { refreshRun } from "@/lib/training/refresh.ts";
import { readMetrics } from "@/lib/training/run_files.ts";
import { localSetup, waitFor } from "./training_testing.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "[training] a local run goes launching → running → succeeded with metrics, outputs and activity",
  ...opts,
  async fn() {
    await using s = await localSetup();
    const { run } = await launchRun(s.ctx, {
      config: { name: "shapes", version: 1 },
      compute: { kind: "local", device: "cpu" },
      maxSteps: 5,
    });
    assert(run.jobRunId, "job id recorded");
    assertEquals(run.configPath, "/Volumes/main/lakevision/data/configs/shapes/v1.yaml");
    assertEquals(run.command.slice(0, 2), ["python", "jobs/train.py"]);
    assert(run.command.includes("--max-steps") && run.command.includes("5"));
    const done = await waitFor(async () => {
      const r = await refreshRun(s.ws, await getRun(run.id));
      return r.status === "succeeded" ? r : null;
    }, "success");
    assertEquals(done.phase, "succeeded");
    assertEquals(done.progress?.step, 5);
    assertEquals(done.lastMetrics.eval_accuracy, 0.75);
    assertEquals(done.lastMetrics.loss, 1 / 5);
    const pts = await readMetrics(s.ws, done);
    assertEquals(pts.filter((p) => p.name === "loss").map((p) => p.step), [1, 2, 3, 4, 5]);
    assert(await s.files.stat(`${done.runDir}/model.onnx`), "model.onnx in the run dir");
    const log = await s.ws.jobs.logs(done.jobRunId!);
    assertStringIncludes(log, "[succeeded] 5 steps");
    const acts = (await listActivity()).map((a) => a.what);
    assert(acts.includes("launched run") && acts.includes("run succeeded"), acts.join(", "));
  },
});

Deno.test({
  name: "[training] the same idempotency token twice starts one run, even when submitted at once",
  ...opts,
  async fn() {
    await using s = await localSetup();
    const req = {
      config: { name: "shapes" },
      compute: { kind: "local" as const, device: "cpu" as const },
      maxSteps: 2,
      idempotencyToken: "tok-double-click-1",
    };
    const [a, b] = await Promise.all([launchRun(s.ctx, req), launchRun(s.ctx, req)]);
    assertEquals(a.run.id, b.run.id);
    assert(a.existing !== b.existing, "exactly one call created the run");
    const c = await launchRun(s.ctx, req);
    assertEquals(c.run.id, a.run.id);
    assertEquals(c.existing, true);
    assertEquals((await listRuns()).length, 1);
    let jobs = 0;
    for await (const _ of s.ws.jobs.list()) jobs++;
    assertEquals(jobs, 1);
  },
});

Deno.test({
  name:
    "[training] cancel stops a local run and records cancelled; resume continues its step count",
  ...opts,
  async fn() {
    await using s = await localSetup({ FAKE_STEP_S: "0.3" });
    const { run } = await launchRun(s.ctx, {
      config: { name: "shapes", version: 1 },
      compute: { kind: "local", device: "cpu" },
      maxSteps: 12,
    });
    await waitFor(async () => {
      const r = await refreshRun(s.ws, await getRun(run.id));
      return (r.progress?.step ?? 0) >= 2 ? r : null;
    }, "two steps");
    await cancelRun(s.ctx, run.id);
    const cancelled = await waitFor(
      async () => {
        const r = await refreshRun(s.ws, await getRun(run.id));
        return r.status === "cancelled" ? r : null;
      },
      "cancelled",
    );
    const stoppedAt = cancelled.progress!.step;
    assert(stoppedAt >= 2 && stoppedAt < 12, `stopped at ${stoppedAt}`);
    const resumed = await resumeRun(s.ctx, run.id);
    assertEquals(resumed.run.resumedFrom, run.id);
    assert(resumed.run.command.includes("--resume"));
    const done = await waitFor(
      async () => {
        const r = await refreshRun(s.ws, await getRun(resumed.run.id));
        return r.status === "succeeded" ? r : null;
      },
      "resumed run success",
      60_000,
    );
    assertEquals(done.progress?.step, 12);
    const losses = (await readMetrics(s.ws, done)).filter((p) => p.name === "loss");
    const before = (await readMetrics(s.ws, await getRun(run.id))).filter((p) => p.name === "loss");
    assertEquals(
      losses[0].step,
      before.at(-1)!.step + 1,
      "the resumed run continues right after the cancelled run's last step",
    );
  },
});

Deno.test({
  name: "[training] a local job that fails shows failed with the job's own error",
  ...opts,
  async fn() {
    await using s = await localSetup({ FAKE_FAIL: "1" });
    const { run } = await launchRun(s.ctx, {
      config: { name: "shapes" },
      compute: { kind: "local", device: "auto" },
    });
    const failed = await waitFor(async () => {
      const r = await refreshRun(s.ws, await getRun(run.id));
      return r.status === "failed" ? r : null;
    }, "failure");
    assertEquals(failed.message, "CUDA out of memory (fake)");
  },
});

Deno.test({
  name:
    "[training] after a restart a live job is re-attached by pid + start time, a dead one marked lost",
  ...opts,
  async fn() {
    await using s = await localSetup();
    // A job started by an earlier app process: only its index record and pid remain.
    const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
    const { LocalJobs } = await import("@/lib/workspace/local/jobs.ts");
    const { processStartTime } = await import("@/lib/workspace/local/process.ts");
    const runDir = "/Volumes/main/lakevision/data/runs/old-run";
    const diskRunDir = (await s.files.resolve(runDir)).disk;
    await Deno.mkdir(`${s.dataDir}/jobs`, { recursive: true });
    const rec = {
      runId: "job-old-1",
      name: "old",
      entrypoint: "train.py",
      args: [],
      argv: [],
      pid: child.pid,
      procStart: await processStartTime(child.pid),
      startedAt: Date.now() - 60_000,
      runDir,
      diskRunDir,
      logPath: `${diskRunDir}/output.log`,
    };
    await Deno.writeTextFile(`${s.dataDir}/jobs/job-old-1.json`, JSON.stringify(rec));
    const { createRun } = await import("@/lib/training/records.ts");
    const { run } = await launchRun(s.ctx, {
      config: { name: "shapes" },
      compute: { kind: "local", device: "cpu" },
      maxSteps: 1,
    });
    await createRun({
      ...run,
      id: "old-run",
      jobRunId: "job-old-1",
      runDir,
      idempotencyToken: "old-token-1",
      status: "running",
      phase: "training",
      endedAt: undefined,
    });
    const fresh = new LocalJobs({ dataDir: s.dataDir, files: s.files });
    const ws2 = { ...s.ws, jobs: fresh };
    const attached = await refreshRun(ws2, await getRun("old-run"));
    assertEquals(attached.status, "running");
    // A recycled pid (same number, other start time) is not the job.
    await Deno.writeTextFile(
      `${s.dataDir}/jobs/job-old-1.json`,
      JSON.stringify({ ...rec, procStart: "1" }),
    );
    assertEquals((await fresh.get("job-old-1")).state, "FAILED");
    await Deno.writeTextFile(`${s.dataDir}/jobs/job-old-1.json`, JSON.stringify(rec));
    child.kill("SIGKILL");
    await child.status;
    const lost = await refreshRun(ws2, await getRun("old-run"));
    assertEquals(lost.status, "failed");
    assertStringIncludes(lost.message ?? "", "lost");
  },
});
