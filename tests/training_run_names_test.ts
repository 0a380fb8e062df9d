/**
 * Run names: at most MAX_RUN_NAME characters wherever a run is named (launch, resume), and a
 * resumed run keeps its parent's name with "(resumed)" after it.
 */
import { assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { launchRun, resumeRun, runName } from "@/lib/training/launch.ts";
import { MAX_RUN_NAME } from "@/lib/training/status.ts";
import { createRun, newRunId } from "@/lib/training/records.ts";
import { localSetup, VOLUME } from "./training_testing.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const v1 = { name: "demo-classification", version: 1 };

Deno.test("[training] run names: given, from the config version, resumed, and capped", () => {
  assertEquals(runName("  cls-3ep ", v1), "cls-3ep");
  assertEquals(runName(undefined, v1), "demo-classification v1");
  assertEquals(
    runName(undefined, v1, { name: "cls-cancel-resume" }),
    "cls-cancel-resume (resumed)",
  );
  // resumed again: one suffix, not two
  assertEquals(
    runName(undefined, v1, { name: "cls-cancel-resume (resumed)" }),
    "cls-cancel-resume (resumed)",
  );
  const longest = runName(undefined, v1, { name: "x".repeat(MAX_RUN_NAME) });
  assertEquals(longest.length, MAX_RUN_NAME);
  assertEquals(longest.endsWith("… (resumed)"), true);
  const e = (() => {
    try {
      runName("n".repeat(3000), v1);
    } catch (err) {
      return err as Error;
    }
  })();
  assertEquals(e instanceof BadRequestError, true);
  assertStringIncludes(e!.message, `Run name: at most ${MAX_RUN_NAME} characters, got 3000`);
});

Deno.test({
  name: "[training] a resumed run keeps its name with (resumed); a 3,000-character name is refused",
  ...opts,
  async fn() {
    await using s = await localSetup();
    const id = newRunId();
    const runDir = `${VOLUME}/runs/${id}`;
    await s.files.write(`${runDir}/checkpoints/last.pt`, new Uint8Array([1, 2, 3]));
    const now = Date.now();
    await createRun({
      id,
      name: "cls-cancel-resume",
      createdAt: now,
      createdBy: "tester",
      config: { name: "shapes", version: 1, task: "classification", model: "m" },
      compute: { kind: "local", device: "cpu" },
      distribution: "local",
      status: "cancelled",
      phase: "cancelled",
      runDir,
      configPath: `${VOLUME}/configs/shapes/v1.yaml`,
      command: ["python"],
      idempotencyToken: `tok-${id}`,
      maxEpochs: 3,
      updatedAt: now,
      progress: null,
      lastMetrics: {},
    });
    const { run } = await resumeRun(s.ctx, id);
    assertEquals(run.name, "cls-cancel-resume (resumed)");
    assertEquals(run.resumedFrom, id);
    assertEquals(run.maxEpochs, 3);
    await assertRejects(
      () =>
        launchRun(s.ctx, {
          config: { name: "shapes", version: 1 },
          compute: { kind: "local", device: "cpu" },
          name: "n".repeat(3000),
        }),
      BadRequestError,
      "Run name: at most 120 characters, got 3000",
    );
  },
});
