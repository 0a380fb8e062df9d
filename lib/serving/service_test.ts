/**
 * The Deployment service against an in-memory ServingApi: name rules, traffic adding to 100,
 * only READY versions, plan before send, create vs update in place (never delete + create),
 * delete with the typed name, waiting for READY, and an activity entry for every action.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@/tests/assert.ts";
import { BadRequestError, ConflictError } from "@/lib/errors.ts";
import { listActivity } from "@/lib/store/activity.ts";
import { setKv } from "@/lib/store/kv.ts";
import {
  deleteEndpoint,
  deploy,
  type DeployInput,
  describeChanges,
  endpointDetail,
  endpointNameProblems,
  planDeploy,
  type ServingContext,
  waitForEndpoint,
} from "./service.ts";
import { fakeServing, fakeWorkspace } from "./testing.ts";

const M = "main.cv.tiny";

async function setup() {
  setKv(await Deno.openKv(":memory:"));
  const serving = fakeServing();
  const ws = fakeWorkspace([
    { name: M, version: "1", tags: { "lakevision.run_id": "run-1" } },
    { name: M, version: "2" },
    { name: M, version: "3", status: "PENDING_REGISTRATION" },
  ], serving);
  const ctx: ServingContext = { ws, volume: "/Volumes/main/lakevision/data", user: "ada" };
  return { serving, ctx };
}

function input(over: Partial<DeployInput> = {}): DeployInput {
  return {
    name: "tiny-ep",
    entities: [{ model: M, version: "1", trafficPercent: 100 }],
    workloadSize: "Small",
    workloadType: "CPU",
    scaleToZero: false,
    inferenceTables: false,
    ...over,
  };
}

Deno.test("[serving service] endpoint names follow Model Serving's rules", () => {
  assertEquals(endpointNameProblems("tiny-ep_2"), []);
  assertEquals(endpointNameProblems("A1"), []);
  assertStringIncludes(endpointNameProblems("")[0], "empty");
  assertStringIncludes(endpointNameProblems("x".repeat(64))[0], "64 characters; the limit is 63");
  assertEquals(endpointNameProblems("x".repeat(63)), []);
  assertStringIncludes(endpointNameProblems("my endpoint")[0], "only letters, digits, - and _");
  assertStringIncludes(endpointNameProblems("-lead")[0], "must start with a letter or digit");
  assertStringIncludes(endpointNameProblems("a.b")[0], "only letters");
  assertStringIncludes(endpointNameProblems("databricks-x")[0], "reserved");
});

Deno.test("[serving service] plan shows the create request and sends nothing", async () => {
  const { serving, ctx } = await setup();
  const plan = await planDeploy(ctx, input());
  assertEquals(plan.mode, "create");
  assertEquals(plan.request.method, "POST");
  assertEquals(plan.request.path, "/serving-endpoints");
  assertEquals(plan.spec.entities[0].name, "tiny-1");
  assertEquals(plan.spec.createdBy, "ada");
  assertEquals(serving.endpoints.size, 0);
  assertEquals(serving.calls.map((c) => c.op), ["plan"]);
  assertEquals(plan.changes, [`${M} v1: 100%`]);
});

Deno.test("[serving service] deploy creates, a second deploy updates in place with a 50/50 split", async () => {
  const { serving, ctx } = await setup();
  const first = await deploy(ctx, input());
  assertEquals(first.mode, "create");
  const split = input({
    entities: [
      { model: M, version: "1", trafficPercent: 50 },
      { model: M, version: "2", trafficPercent: 50 },
    ],
  });
  const plan = await planDeploy(ctx, split);
  assertEquals(plan.mode, "update");
  assertEquals(plan.request.method, "PUT");
  assertEquals(plan.request.path, "/serving-endpoints/tiny-ep/config");
  assertEquals(plan.changes, [
    `${M} v1: traffic 100% → 50%`,
    `${M} v2: added with 50% of the traffic`,
  ]);
  const second = await deploy(ctx, split, { digest: plan.digest });
  assertEquals(second.mode, "update");
  const ops = serving.calls.map((c) => c.op).filter((o) => o !== "plan");
  assertEquals(ops, ["create", "update"], "an update must never delete and recreate");
  const ep = serving.endpoints.get("tiny-ep")!;
  assertEquals(ep.entities.map((e) => [e.name, e.trafficPercent]), [["tiny-1", 50], [
    "tiny-2",
    50,
  ]]);
  const log = await listActivity({ subjectPrefix: "endpoint:tiny-ep" });
  assertEquals(log.map((a) => a.what).sort(), ["created endpoint", "updated endpoint"]);
  const upd = log.find((a) => a.what === "updated endpoint")!;
  assertEquals(upd.who, "ada");
  assertEquals(upd.details.entities, `${M} v1 50%, ${M} v2 50%`);
  assertStringIncludes(String(upd.details.changes), "traffic 100% → 50%");
});

Deno.test("[serving service] traffic must add up to 100 and versions must be READY and distinct", async () => {
  const { serving, ctx } = await setup();
  await assertRejects(
    () =>
      deploy(
        ctx,
        input({
          entities: [
            { model: M, version: "1", trafficPercent: 60 },
            { model: M, version: "2", trafficPercent: 30 },
          ],
        }),
      ),
    BadRequestError,
    "adds up to 90%",
  );
  await assertRejects(
    () => deploy(ctx, input({ entities: [{ model: M, version: "3", trafficPercent: 100 }] })),
    BadRequestError,
    "is PENDING_REGISTRATION; only READY versions can be served",
  );
  await assertRejects(
    () => deploy(ctx, input({ entities: [{ model: M, version: "9", trafficPercent: 100 }] })),
    BadRequestError,
    "has no version 9",
  );
  await assertRejects(
    () =>
      deploy(
        ctx,
        input({
          entities: [
            { model: M, version: "1", trafficPercent: 50 },
            { model: M, version: "1", trafficPercent: 50 },
          ],
        }),
      ),
    BadRequestError,
    "listed twice",
  );
  await assertRejects(
    () => deploy(ctx, input({ name: "bad name" })),
    BadRequestError,
    "Endpoint name",
  );
  await assertRejects(
    () => deploy(ctx, input({ entities: [{ model: "tiny", version: "1", trafficPercent: 100 }] })),
    BadRequestError,
    "catalog.schema.model",
  );
  assertEquals(serving.calls.filter((c) => c.op !== "plan").length, 0, "nothing was sent");
  assertEquals((await listActivity()).length, 0);
});

Deno.test("[serving service] a request that changed since review is refused with 409", async () => {
  const { serving, ctx } = await setup();
  const plan = await planDeploy(ctx, input());
  await deploy(ctx, input({ name: "tiny-ep" }));
  // Now it exists: the reviewed create is no longer what would be sent.
  await assertRejects(
    () => deploy(ctx, input(), { digest: plan.digest }),
    ConflictError,
    "changed since you reviewed it",
  );
  assertEquals(serving.calls.filter((c) => c.op === "update").length, 0);
});

Deno.test("[serving service] create that races another create falls back to update", async () => {
  const { serving, ctx } = await setup();
  const realGet = serving.get;
  let hide = true;
  serving.get = (n) =>
    hide
      ? Promise.reject(
        new (class extends Error {
          status = 404;
        })("gone"),
      )
      : realGet(n);
  await serving.create({ name: "tiny-ep", entities: [{ model: M, version: "1" }] });
  const r = await deploy(ctx, input());
  hide = false;
  assertEquals(r.mode, "update");
  assertEquals((await listActivity()).map((a) => a.what), ["updated endpoint"]);
});

Deno.test("[serving service] delete needs the endpoint's name typed exactly; logged", async () => {
  const { serving, ctx } = await setup();
  await deploy(ctx, input());
  await assertRejects(
    () => deleteEndpoint(ctx, "tiny-ep", "tiny"),
    BadRequestError,
    "Type the endpoint's name, tiny-ep, to confirm",
  );
  assert(serving.endpoints.has("tiny-ep"));
  await deleteEndpoint(ctx, "tiny-ep", "tiny-ep");
  assert(!serving.endpoints.has("tiny-ep"));
  const a = (await listActivity()).find((x) => x.what === "deleted endpoint")!;
  assertEquals([a.subject, a.details.entities], ["endpoint:tiny-ep", `${M} v1`]);
});

Deno.test("[serving service] waiting follows NOT_READY to READY and reports each change", async () => {
  const { serving, ctx } = await setup();
  serving.readsToReady = 3;
  await deploy(ctx, input());
  const seen: string[] = [];
  const e = await waitForEndpoint(ctx, "tiny-ep", {
    intervalMs: 1,
    onUpdate: (x) => seen.push(x.state),
  });
  assertEquals(e.state, "READY");
  assertEquals(seen, ["NOT_READY", "READY"]);
});

Deno.test("[serving service] changes name removed versions and switched options", () => {
  const lines = describeChanges(
    {
      name: "e",
      state: "READY",
      entities: [{ model: M, version: "1", trafficPercent: 100, workloadType: "CPU" }],
    },
    {
      name: "e",
      inferenceTables: true,
      entities: [{
        model: M,
        version: "2",
        trafficPercent: 100,
        workloadSize: "Small",
        workloadType: "CPU",
      }],
    },
  );
  assertEquals(lines, [
    `${M} v2: added with 100% of the traffic`,
    `${M} v1: removed`,
    "inference tables on",
  ]);
});

Deno.test("[serving service] the detail says plainly when logs and metrics are not kept", async () => {
  const { ctx } = await setup();
  await deploy(ctx, input());
  const d = await endpointDetail(ctx, "tiny-ep");
  assertEquals(d.logs, [{ entity: "tiny-1", build: null, server: null }]);
  assertEquals(d.metrics, { unavailable: "The fake keeps no metrics." });
  assertEquals(d.lineage, [{ model: M, version: "1", runId: "run-1", status: "READY" }]);
  assertEquals(d.cost.kind, "money");
});
