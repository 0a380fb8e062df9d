import { assertEquals } from "@/tests/assert.ts";
import {
  advanceStage,
  endedToast,
  logTail,
  mergePoints,
  outputHref,
  OUTPUTS_FALLBACK_MS,
  outputsPollMs,
  outputsStage,
  resumeToken,
  runActions,
  type StageTrail,
  tabTitle,
} from "./run_live.ts";
import type { RunRecord } from "./schemas.ts";
import type { MetricPointLite } from "./status.ts";

const run = (patch: Partial<RunRecord> = {}): RunRecord => ({
  id: "20261201-101010-abcd",
  name: "shapes",
  createdAt: 1,
  createdBy: "t",
  config: { name: "shapes", version: 1, task: "classification", model: "m" },
  compute: { kind: "local", device: "cpu" },
  distribution: "local",
  status: "running",
  phase: "training",
  runDir: "/Volumes/main/lakevision/data/runs/20261201-101010-abcd",
  configPath: "/Volumes/main/lakevision/data/configs/shapes/v1.yaml",
  command: ["python"],
  idempotencyToken: "tok",
  updatedAt: 1,
  progress: null,
  lastMetrics: {},
  ...patch,
});

const pt = (step: number, name = "loss"): MetricPointLite => ({
  name,
  step,
  value: 1 / step,
  ts: step,
});

Deno.test("[training/run_live] the tab title marks the state, with the percentage while running", () => {
  assertEquals(
    tabTitle(run({ progress: { step: 3, totalSteps: 12, epoch: 1 } } as Partial<RunRecord>)),
    "▶ 25% shapes · Lakevision",
  );
  assertEquals(tabTitle(run({ status: "queued", phase: "queued" })), "▶ shapes · Lakevision");
  assertEquals(tabTitle(run({ status: "succeeded" })), "✓ shapes · Lakevision");
  assertEquals(tabTitle(run({ status: "failed" })), "✗ shapes · Lakevision");
  assertEquals(tabTitle(run({ status: "cancelled" })), "■ shapes · Lakevision");
  assertEquals(
    endedToast(run({ status: "failed", message: "CUDA out of memory" })),
    "Run failed: CUDA out of memory",
  );
  assertEquals(endedToast(run({ status: "succeeded" })), "Run succeeded");
});

Deno.test("[training/run_live] resume needs a step or a point; a run that failed before either is relaunched", () => {
  const stepped = { progress: { step: 4, totalSteps: 10, epoch: 1 } } as Partial<RunRecord>;
  assertEquals(runActions(run(), 0), { active: true, canResume: false, failedEarly: false });
  assertEquals(runActions(run({ status: "cancelled", ...stepped }), 0), {
    active: false,
    canResume: true,
    failedEarly: false,
  });
  assertEquals(runActions(run({ status: "failed" }), 3).canResume, true);
  assertEquals(runActions(run({ status: "failed" }), 0), {
    active: false,
    canResume: false,
    failedEarly: true,
  });
  assertEquals(runActions(run({ status: "succeeded", ...stepped }), 5).canResume, false);
});

Deno.test("[training/run_live] streamed points append in order, a snapshot from 0 replaces, a gap waits", () => {
  const shown = [pt(1), pt(2)];
  assertEquals(mergePoints(shown, 2, [pt(3)]), [pt(1), pt(2), pt(3)]);
  assertEquals(mergePoints(shown, 2, []), shown);
  assertEquals(mergePoints(shown, 0, [pt(1), pt(2), pt(3), pt(4)]), [pt(1), pt(2), pt(3), pt(4)]);
  assertEquals(mergePoints(shown, 5, [pt(6)]), null);
  assertEquals(mergePoints(shown, 1, [pt(2)]), null);
  assertEquals(mergePoints([], 0, [pt(1)]), [pt(1)]);
});

Deno.test("[training/run_live] log tail, resume token and output links", () => {
  const text = Array.from({ length: 250 }, (_, i) => `line ${i}`).join("\n");
  const tail = logTail(text).split("\n");
  assertEquals(tail.length, 200);
  assertEquals(tail[0], "line 50");
  assertEquals(logTail("a\nb\nc", 2), "b\nc");
  assertEquals(resumeToken("20261201-101010-abcd"), "resume-20261201-101010-abcd");
  assertEquals(resumeToken("run/with spaces.x"), "resume-run-with-spaces-x");
  assertEquals(resumeToken("x".repeat(100)).length, 64);
  assertEquals(
    outputHref("r 1", "predictions/val.json"),
    "/api/runs/r%201/files?path=predictions%2Fval.json",
  );
});

Deno.test("[training/run_live] the outputs' stage moves with status and phase, and once at the end", () => {
  assertEquals(outputsStage(run()), "running:training");
  assertEquals(outputsStage(run({ phase: "evaluating" })), "running:evaluating");
  assertEquals(outputsStage(run({ status: "succeeded", phase: "succeeded" })), "succeeded");
  assertEquals(outputsStage(run({ status: "succeeded", phase: "done" })), "succeeded");

  const heard = [
    run({ updatedAt: 1 }),
    run({ updatedAt: 2, progress: { step: 1, totalSteps: 6, epoch: 1 } } as Partial<RunRecord>),
    run({ updatedAt: 3, phase: "evaluating" }),
    run({ updatedAt: 4, phase: "evaluating" }),
    run({ updatedAt: 5, phase: "training" }),
    run({ updatedAt: 6, status: "succeeded", phase: "exporting" }),
    run({ updatedAt: 7, status: "succeeded", phase: "succeeded" }),
  ];
  const trails: StageTrail[] = [];
  let trail: StageTrail | null = null;
  for (const r of heard) trails.push(trail = advanceStage(trail, r));
  assertEquals(trails.map((t) => t.changes), [0, 0, 1, 1, 2, 3, 3]);
  assertEquals(trails.map((t) => t.ended), [false, false, false, false, false, true, true]);
  // the same record (no new stage) keeps the trail as it is, so nothing reacts to it
  assertEquals(advanceStage(trails[3], heard[3]) === trails[3], true);
  // another run starts its own trail
  assertEquals(advanceStage(trail, run({ id: "other" })), {
    runId: "other",
    stage: "running:training",
    changes: 0,
    ended: false,
  });
});

Deno.test("[training/run_live] outputs are polled only while the stream is down and the run goes on", () => {
  assertEquals(outputsPollMs("sse", false), null);
  assertEquals(outputsPollMs("polling", false), OUTPUTS_FALLBACK_MS);
  assertEquals(outputsPollMs("connecting", false), OUTPUTS_FALLBACK_MS);
  assertEquals(outputsPollMs("polling", true), null);
  assertEquals(outputsPollMs("connecting", true), null);
});
