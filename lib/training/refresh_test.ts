import { assertEquals } from "@/tests/assert.ts";
import { merge } from "./refresh.ts";
import type { RunRecord } from "./types.ts";

const cur = {
  id: "r",
  status: "running",
  phase: "training",
  lastMetrics: {},
} as unknown as RunRecord;

Deno.test("[refresh] a tracking failure in status.json lands on the record; training state is untouched", () => {
  const patch = merge(
    cur,
    { runId: "1", state: "RUNNING" } as never,
    { phase: "training", step: 3, mlflow_error: "MLflow start_run failed: 403 PERMISSION_DENIED" },
    null,
    { jobsRunHere: false },
  );
  assertEquals(patch.mlflowError, "MLflow start_run failed: 403 PERMISSION_DENIED");
  assertEquals(patch.status, "running");
  const quiet = merge(
    cur,
    { runId: "1", state: "RUNNING" } as never,
    {
      phase: "training",
      mlflow_error: null,
    },
    null,
    { jobsRunHere: false },
  );
  assertEquals("mlflowError" in quiet, false, "no error, no field");
});
