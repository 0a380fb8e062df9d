import { assert, assertEquals } from "@/tests/assert.ts";
import { ComputeChoiceSchema } from "./compute_choice.ts";
import { LaunchRequestSchema, RunRecordSchema } from "./schemas.ts";
import { computeFromForm } from "./form.ts";

/** `path: message` of each issue, or the parsed value. */
function problems(input: unknown): string[] {
  const r = ComputeChoiceSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

Deno.test("[training/compute choice] defaults fill what a person leaves out", () => {
  assertEquals(ComputeChoiceSchema.parse({ kind: "local" }), { kind: "local", device: "auto" });
  assertEquals(ComputeChoiceSchema.parse({ kind: "databricks", nodeType: "g5.xlarge" }), {
    kind: "databricks",
    nodeType: "g5.xlarge",
    gpusPerNode: 1,
    nodes: 1,
    spot: false,
    timeoutMinutes: 0,
    distribution: "auto",
    emails: [],
  });
});

Deno.test("[training/compute choice] every problem says what is wrong and what was given", () => {
  assertEquals(problems({ kind: "local", device: "tpu" }), [
    `device: must be one of auto, cpu, cuda, got "tpu"`,
  ]);
  assertEquals(
    problems({
      kind: "databricks",
      nodeType: "x".repeat(101),
      gpusPerNode: 1.5,
      nodes: 0,
      spot: "yes",
      timeoutMinutes: 7 * 24 * 60 + 1,
      distribution: "ring",
      emails: ["a@example.com", "nope"],
    }),
    [
      "nodeType: must be at most 100 characters",
      "gpusPerNode: must be a whole number of at least 0, got 1.5",
      "nodes: must be a whole number of at least 1, got 0",
      `spot: must be true or false, got "yes"`,
      "timeoutMinutes: must be at most 10080, got 10081",
      `distribution: must be one of auto, single, torchrun, distributor, got "ring"`,
      "emails.1: not an email address: nope",
    ],
  );
  assertEquals(problems({ kind: "databricks", nodes: "2" }), [
    `nodes: must be a whole number of at least 1, got "2"`,
  ]);
  assertEquals(problems({ kind: "databricks", emails: Array(11).fill("a@example.com") }), [
    "emails: at most 10 addresses, got 11",
  ]);
  assertEquals(problems({ kind: "gpu" }), [`kind: must be local or databricks, got "gpu"`]);
  assertEquals(problems({}), ["kind: must be local or databricks, got nothing"]);
  assertEquals(problems("local"), [
    `: must be a mapping with kind local or databricks, got "local"`,
  ]);
  // No message is zod's generic fallback.
  for (const p of problems({ kind: "databricks", nodes: null, emails: "a@example.com" })) {
    assert(!/invalid input/i.test(p), p);
  }
});

Deno.test("[training/compute choice] the launch request, the run record and the form check it the same way", () => {
  const bad = { kind: "databricks", nodes: 0 };
  const request = LaunchRequestSchema.safeParse({ compute: bad });
  assert(!request.success);
  assertEquals(
    request.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    ["compute.nodes: must be a whole number of at least 1, got 0"],
  );
  const record = RunRecordSchema.shape.compute.safeParse(bad);
  assert(!record.success);
  assertEquals(record.error.issues[0].message, "must be a whole number of at least 1, got 0");
  const form = computeFromForm({
    compute: "databricks",
    existingClusterId: "0101-abc",
    nodes: "0",
    emails: "a@example.com, nope",
  });
  assertEquals(form.problems, {
    nodes: "must be a whole number of at least 1, got 0",
    emails: "not an email address: nope",
  });
  // A good request keeps the defaults the compute schema fills in.
  const ok = LaunchRequestSchema.parse({ compute: { kind: "databricks", nodeType: "g5.xlarge" } });
  assertEquals(ok.compute.kind === "databricks" && ok.compute.distribution, "auto");
});
