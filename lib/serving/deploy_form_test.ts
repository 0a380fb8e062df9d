/**
 * The Deploy form: what it starts from (the champion, a free endpoint name made from its model,
 * scale to zero where the app serves the endpoint), its fields as the deploy input and back, and
 * every refusal as a readable sentence placed beside its field.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "@/tests/assert.ts";
import { BadRequestError, HttpError } from "@/lib/errors.ts";
import { setKv } from "@/lib/store/kv.ts";
import {
  deployFieldErrors,
  deployInputFromForm,
  formFromEndpoint,
  newEndpointForm,
  scaleToZeroByDefault,
  suggestEndpointName,
  type VersionChoice,
} from "./deploy_form.ts";
import { deploy, type DeployInput, DeployInputSchema, endpointNameProblems } from "./service.ts";
import { fakeServing, fakeWorkspace } from "./testing.ts";

const M = "main.cv.tiny";

/** The field errors of what `fn` throws (a 4xx with details). */
function fieldsOf(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (e) {
    assert(e instanceof HttpError && e.status < 500, String(e));
    return deployFieldErrors(e.details as { path: string; message: string }[]);
  }
  throw new Error("nothing was thrown");
}

Deno.test("[deploy form] the form's fields become the deploy input and back", () => {
  const f = {
    name: " tiny-ep ",
    ref: `${M}@1`,
    ref2: `${M}@2`,
    traffic: "70",
    size: "Medium",
    workload_type: "GPU_SMALL",
    scale_to_zero: "on",
  };
  const i = deployInputFromForm(f);
  assertEquals(i.name, "tiny-ep");
  assertEquals(i.entities.map((e) => [e.version, e.trafficPercent]), [["1", 70], ["2", 30]]);
  assertEquals([i.workloadSize, i.workloadType, i.scaleToZero, i.inferenceTables], [
    "Medium",
    "GPU_SMALL",
    true,
    false,
  ]);
  assertEquals(deployInputFromForm({ name: "x", ref: `${M}@4` }).entities, [
    { model: M, version: "4", trafficPercent: 100 },
  ]);
  const back = formFromEndpoint({
    name: "tiny-ep",
    state: "READY",
    entities: [
      { model: M, version: "1", trafficPercent: 70, workloadSize: "Medium", scaleToZero: true },
      { model: M, version: "2", trafficPercent: 30 },
    ],
  });
  assertEquals(back.ref2, `${M}@2`);
  assertEquals(back.traffic, "70");
  assertEquals(back.scale_to_zero, "on");
});

Deno.test("[deploy form] a refused field reads as a sentence and is placed beside its field", () => {
  assertEquals(fieldsOf(() => deployInputFromForm({ name: "x", ref: "" })), {
    ref: "Choose the version to serve (model@version).",
  });
  assertEquals(
    fieldsOf(() => deployInputFromForm({ name: "x", ref: `${M}@1`, ref2: "nope" })),
    { ref2: "Choose the second version (model@version)." },
  );
  assertEquals(
    fieldsOf(() =>
      deployInputFromForm({ name: "x", ref: `${M}@1`, ref2: `${M}@2`, traffic: "150" })
    ),
    {
      traffic:
        'The first version\'s share of the traffic must be a whole percent from 0 to 100, got "150".',
    },
  );
  assertEquals(fieldsOf(() => deployInputFromForm({ name: "x", ref: `${M}@1`, size: "Huge" })), {
    size: 'workload size must be one of Small, Medium, Large, got "Huge"',
  });
  assertThrows(
    () => deployInputFromForm({ name: "x".repeat(300), ref: `${M}@1` }),
    BadRequestError,
    "endpoint name is 300 characters long; at most 200",
  );
  // The JSON API's body: each problem names its field and what was given, never zod's wording.
  const p = DeployInputSchema.safeParse({
    name: "e",
    entities: [{ model: M, version: "v1", trafficPercent: 120 }],
    scaleToZero: "yes",
  });
  assert(!p.success);
  const messages = p.error.issues.map((i) => i.message);
  assertEquals(messages, [
    'version must be a version number such as 3, got "v1"',
    "traffic percent must be a whole number from 0 to 100, got 120",
    'scale to zero must be true or false, got "yes"',
  ]);
  assert(messages.every((m) => !/Too big|Too small|Invalid|expected/.test(m)), messages.join());
});

Deno.test("[deploy form] problems the registry finds are placed beside their version or the traffic", async () => {
  setKv(await Deno.openKv(":memory:"));
  const ws = fakeWorkspace([
    { name: M, version: "1" },
    { name: M, version: "3", status: "PENDING_REGISTRATION" },
  ], fakeServing());
  const ctx = { ws, volume: "/Volumes/main/lakevision/data", user: "ada" };
  const input = (over: Partial<DeployInput>): DeployInput => ({
    name: "tiny-ep",
    entities: [{ model: M, version: "1", trafficPercent: 100 }],
    workloadSize: "Small",
    workloadType: "CPU",
    scaleToZero: false,
    inferenceTables: false,
    ...over,
  });
  const fields = async (over: Partial<DeployInput>) => {
    const e = await assertRejects(() => deploy(ctx, input(over)), BadRequestError);
    return Object.keys(deployFieldErrors((e as BadRequestError).details as never));
  };
  assertEquals(await fields({ name: "bad name" }), ["name"]);
  assertEquals(
    await fields({
      entities: [
        { model: M, version: "1", trafficPercent: 60 },
        { model: M, version: "9", trafficPercent: 30 },
      ],
    }),
    ["traffic"],
  );
  assertEquals(
    await fields({
      entities: [
        { model: M, version: "1", trafficPercent: 50 },
        { model: M, version: "9", trafficPercent: 50 },
      ],
    }),
    ["ref2"],
  );
  assertEquals(
    await fields({ entities: [{ model: M, version: "3", trafficPercent: 100 }] }),
    ["ref"],
  );
});

Deno.test("[deploy form] the endpoint name is suggested from the model and never taken", () => {
  assertEquals(
    suggestEndpointName("demo.cv.resnet_classification", []),
    "resnet_classification-ep",
  );
  assertEquals(suggestEndpointName(M, ["tiny-ep"]), "tiny-ep-2");
  assertEquals(suggestEndpointName(M, ["Tiny-EP", "tiny-ep-2"]), "tiny-ep-3");
  assertEquals(suggestEndpointName("a.b.`Odd Name!`", []), "odd-name-ep");
  assertEquals(suggestEndpointName("c.s.databricks", []), "lv-databricks-ep");
  const long = suggestEndpointName(`c.s.${"x".repeat(80)}`, [`${"x".repeat(60)}-ep`]);
  assertEquals([long.length, long.endsWith("-ep-2")], [63, true]);
  for (const n of ["resnet_classification-ep", "odd-name-ep", long]) {
    assertEquals(endpointNameProblems(n), [], n);
  }
});

Deno.test("[deploy form] a new endpoint starts at the champion, named after its model, scale to zero where the app serves it", () => {
  const choices: VersionChoice[] = [
    { model: "demo.cv.det", versions: [{ version: "2", status: "READY", aliases: [] }] },
    {
      model: M,
      versions: [
        { version: "2", status: "READY", aliases: [] },
        { version: "1", status: "READY", aliases: ["champion"] },
      ],
      champion: "1",
    },
  ];
  assertEquals(newEndpointForm(choices, { existing: ["tiny-ep"], scaleToZero: true }), {
    ref: `${M}@1`,
    name: "tiny-ep-2",
    scale_to_zero: "on",
  });
  assertEquals(
    newEndpointForm(choices, { existing: [], model: "demo.cv.det", scaleToZero: false }),
    { ref: "demo.cv.det@2", name: "det-ep" },
  );
  assertEquals(newEndpointForm([], { existing: [], scaleToZero: true }), {
    ref: "",
    scale_to_zero: "on",
  });
  assertEquals(scaleToZeroByDefault({ jobsRunHere: true }), true);
  assertEquals(scaleToZeroByDefault({ jobsRunHere: false }), false);
});
