/**
 * Smoke tests: the body is the contract's dataframe_split with the base64 image and the
 * version's recommended threshold, the sample comes from the validation data, answers become
 * what the page draws (boxes, top-k, mask file), failures are kept with their message.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@/tests/assert.ts";
import { BadRequestError, WorkspaceError } from "@/lib/errors.ts";
import { craftedPng } from "@/lib/image/testing.ts";
import { base64 } from "@/lib/inference/contract.ts";
import { versionDir } from "@/lib/registry/files.ts";
import { listActivity } from "@/lib/store/activity.ts";
import { setKv } from "@/lib/store/kv.ts";
import { deploy, type ServingContext } from "./service.ts";
import {
  getSmokeResult,
  invocationBody,
  latestSmokeResult,
  readAnswer,
  runSmokeTest,
  sampleImage,
} from "./smoke.ts";
import { fakeServing, fakeWorkspace } from "./testing.ts";

const M = "main.cv.tiny";
const VOL = "/Volumes/main/lakevision/data";
const VAL = `${VOL}/datasets/shapes/val`;

async function setup() {
  setKv(await Deno.openKv(":memory:"));
  const serving = fakeServing();
  const ws = fakeWorkspace([
    { name: M, version: "1", tags: { "lakevision.val_dataset": VAL } },
    { name: M, version: "2" },
  ], serving);
  const ctx: ServingContext = { ws, volume: VOL, user: "ada" };
  const png = craftedPng(48, 32);
  ws.fileMap.set(`${VAL}/square/b.png`, png);
  ws.fileMap.set(`${VAL}/circle/a.png`, png);
  ws.fileMap.set(`${VAL}/circle/notes.txt`, new Uint8Array(3));
  await deploy(ctx, {
    name: "ep",
    entities: [{ model: M, version: "1", trafficPercent: 100 }],
    workloadSize: "Small",
    workloadType: "CPU",
    scaleToZero: false,
    inferenceTables: false,
  });
  return { serving, ws, ctx, png };
}

Deno.test("[serving smoke] the body is dataframe_split with the base64 image and params", () => {
  const b = invocationBody([new Uint8Array([1, 2, 3])], { confidence_threshold: 0.4 });
  assertEquals(b, {
    dataframe_split: { columns: ["image"], data: [["AQID"]] },
    params: { confidence_threshold: 0.4 },
  });
  assertEquals("params" in invocationBody([new Uint8Array(1)]), false);
});

Deno.test("[serving smoke] the sample is the first validation image (sorted), or a reason", async () => {
  const { ws } = await setup();
  assertEquals(await sampleImage(ws, M, "1"), { path: `${VAL}/circle/a.png` });
  const none = await sampleImage(ws, M, "2");
  assert("missing" in none);
  assertStringIncludes(none.missing, "records no validation data");
});

Deno.test("[serving smoke] a smoke test sends the sample with the recommended threshold and keeps the answer", async () => {
  const { serving, ws, ctx, png } = await setup();
  ws.fileMap.set(
    `${versionDir(VOL, M, "1")}/metrics.json`,
    new TextEncoder().encode(
      JSON.stringify({ threshold: { threshold: 0.35, f1: 0.8, precision: 0.8, recall: 0.8 } }),
    ),
  );
  const r = await runSmokeTest(ctx, "ep");
  assert(r.ok, r.error);
  const call = serving.calls.find((c) => c.op === "invoke")!;
  assertEquals(call.body, {
    dataframe_split: { columns: ["image"], data: [[base64(png)]] },
    params: { confidence_threshold: 0.35 },
  });
  assertEquals([r.image.width, r.image.height, r.image.source], [48, 32, `${VAL}/circle/a.png`]);
  assertEquals(r.servedEntity, "tiny-1");
  assertEquals(r.overlay?.kind, "classification");
  assertEquals(r.overlay?.topK, [{ label: "dog", score: 0.9 }]);
  assert(r.latencyMs >= 0);
  assertEquals(ws.fileMap.get(r.image.path), png);
  assertEquals((await getSmokeResult(ctx, "ep", r.id)).latencyMs, r.latencyMs);
  assertEquals((await latestSmokeResult(ctx, "ep"))?.id, r.id);
  const a = (await listActivity()).find((x) => x.what === "ran smoke test")!;
  assertEquals([a.subject, a.details.ok], ["endpoint:ep", true]);
});

Deno.test("[serving smoke] a failing endpoint is recorded with its message, not thrown", async () => {
  const { serving, ctx } = await setup();
  serving.invoke = () => Promise.reject(new WorkspaceError("model crashed", "INTERNAL_ERROR"));
  const r = await runSmokeTest(ctx, "ep");
  assertEquals([r.ok, r.error], [false, "model crashed"]);
  const a = (await listActivity()).find((x) => x.what === "ran smoke test")!;
  assertEquals(a.details.error, "model crashed");
});

Deno.test("[serving smoke] an upload that is not an image is refused by name", async () => {
  const { ctx } = await setup();
  await assertRejects(
    () => runSmokeTest(ctx, "ep", { bytes: new TextEncoder().encode("hello"), fileName: "x.txt" }),
    BadRequestError,
    "x.txt is not an image",
  );
  const none = await setup();
  await none.ctx.ws.serving.update({
    name: "ep",
    entities: [{ model: M, version: "2", trafficPercent: 100 }],
  });
  await assertRejects(() => runSmokeTest(none.ctx, "ep"), BadRequestError, "Upload an image");
});

Deno.test("[serving smoke] answers become boxes (x1,y1,x2,y2 → x,y,w,h), top-k or a mask", () => {
  const det = readAnswer({
    predictions: [{
      boxes: [[10, 20, 40, 60]],
      scores: [0.8],
      labels: [1],
      label_names: ["cat"],
    }],
  });
  assertEquals(det.overlay.boxes, [{ x: 10, y: 20, w: 30, h: 40, label: "cat", score: 0.8 }]);
  const mask = new Uint8Array(120).map((_, i) => i);
  const seg = readAnswer({
    predictions: [{
      mask_png: base64(mask),
      classes: [0, 2],
      width: 4,
      height: 2,
    }],
  });
  assertEquals(seg.overlay.kind, "segmentation");
  assertEquals(seg.overlay.classes, [0, 2]);
  assertEquals(seg.mask, mask);
  assertStringIncludes(JSON.stringify(seg.shown), "chars)");
  assertEquals(readAnswer({ nope: 1 }).overlay.kind, "unknown");
});
