import { assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { chooseDistribution, cloudOf, clusterSpec, planJob, processCount } from "./compute.ts";
import { computeDefaults, launchFromForm } from "./form.ts";
import type { ComputeChoice } from "./types.ts";
import type { ComputeInfo } from "@/lib/workspace/types.ts";

const base: ComputeChoice = {
  kind: "databricks",
  nodeType: "g5.xlarge",
  gpusPerNode: 1,
  runtime: "15.4.x-gpu-ml-scala2.12",
  nodes: 1,
  spot: false,
  timeoutMinutes: 0,
  distribution: "auto",
  emails: [],
};

Deno.test("[training/compute] the distribution follows the cluster's shape unless overridden", () => {
  assertEquals(chooseDistribution(base), "single");
  assertEquals(chooseDistribution({ ...base, gpusPerNode: 4 }), "torchrun");
  assertEquals(chooseDistribution({ ...base, gpusPerNode: 4, nodes: 3 }), "distributor");
  assertEquals(chooseDistribution({ ...base, gpusPerNode: 4, distribution: "single" }), "single");
  assertEquals(chooseDistribution({ kind: "local", device: "auto" }), "local");
  assertEquals(processCount({ ...base, gpusPerNode: 4, nodes: 3 }), 12);
  assertEquals(processCount({ ...base, gpusPerNode: 8, distribution: "single" }), 1);
});

Deno.test("[training/compute] spot settings follow the node type's cloud", () => {
  assertEquals(cloudOf("g5.12xlarge"), "aws");
  assertEquals(cloudOf("Standard_NC6s_v3"), "azure");
  assertEquals(cloudOf("a2-highgpu-1g"), "gcp");
  const gcp = clusterSpec({ ...base, nodeType: "a2-highgpu-1g", spot: true });
  assertEquals(
    (gcp.new_cluster as Record<string, unknown>).gcp_attributes,
    { availability: "PREEMPTIBLE_WITH_FALLBACK_GCP" },
  );
});

Deno.test("[training/compute] a missing node type or runtime is named", () => {
  let msg = "";
  try {
    planJob({ choice: { ...base, runtime: undefined }, configPath: "/c.yaml", runDir: "/r" });
  } catch (e) {
    msg = (e as Error).message;
  }
  assertStringIncludes(msg, "ML GPU runtime");
  const local = planJob({
    choice: { kind: "local", device: "cpu" },
    configPath: "/Volumes/a/b/c/x.yaml",
    runDir: "/Volumes/a/b/c/runs/1",
    resumeFrom: "/Volumes/a/b/c/runs/0",
    maxSteps: 3,
  });
  assertEquals(local.args, [
    "--config",
    "/Volumes/a/b/c/x.yaml",
    "--run-dir",
    "/Volumes/a/b/c/runs/1",
    "--resume",
    "/Volumes/a/b/c/runs/0",
    "--max-steps",
    "3",
    "--device",
    "cpu",
  ]);
});

Deno.test("[training/form] form fields become a launch request, problems are named per field", () => {
  const ok = launchFromForm({
    compute: "databricks",
    config: "det@3",
    nodeType: "g5.12xlarge|4",
    runtime: "r",
    nodes: "2",
    spot: "on",
    emails: "a@x.io; b@x.io",
    maxSteps: "50",
    token: "tok_12345678",
  });
  assertEquals(ok.problems, {});
  assertEquals(ok.request?.config, { name: "det", version: 3 });
  assertEquals(ok.request?.idempotencyToken, "tok_12345678");
  const c = ok.request!.compute as Extract<ComputeChoice, { kind: "databricks" }>;
  assertEquals([c.nodeType, c.gpusPerNode, c.nodes, c.spot, c.emails], [
    "g5.12xlarge",
    4,
    2,
    true,
    ["a@x.io", "b@x.io"],
  ]);
  const bad = launchFromForm({ compute: "databricks", nodeType: "m5d.xlarge|0", emails: "nope" });
  assertStringIncludes(bad.problems.nodeType, "has no GPU");
  assertStringIncludes(bad.problems.runtime, "ML GPU runtime");
  assertEquals(bad.problems.emails, "not an email address: nope");
  assertEquals(bad.request, undefined);
  assertEquals(
    launchFromForm({ compute: "local", config: "det@3", maxSteps: "0" }).problems,
    { maxSteps: "must be a whole number of at least 1" },
  );
});

Deno.test("[training/form] preferences are the compute defaults where this workspace offers them", () => {
  const dbx: ComputeInfo = {
    kind: "databricks",
    nodeTypes: [
      { id: "m5d.xlarge", gpus: 0, memoryMb: 16384 },
      { id: "g5.12xlarge", gpus: 4, memoryMb: 196608 },
    ],
  };
  assertEquals(
    computeDefaults({ compute: "databricks", nodeType: "g5.12xlarge" }, ["databricks"], dbx),
    { compute: "databricks", nodeType: "g5.12xlarge|4" },
  );
  // A preferred compute the app cannot launch on gives way to the one it can.
  assertEquals(
    computeDefaults({ compute: "databricks", nodeType: "g5.12xlarge" }, ["local"], {
      kind: "local",
      cpus: 4,
    }),
    { compute: "local" },
  );
  // A node type the workspace does not offer, or one without a GPU, is not preselected.
  for (const nodeType of ["p9.huge", "m5d.xlarge", ""]) {
    assertEquals(computeDefaults({ compute: "databricks", nodeType }, ["databricks"], dbx), {
      compute: "databricks",
    });
  }
  // Compute options that could not be read leave the node type to the person.
  assertEquals(
    computeDefaults({ compute: "local", nodeType: "g5.12xlarge" }, ["databricks"], null),
    { compute: "databricks" },
  );
});
