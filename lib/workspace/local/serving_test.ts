/**
 * The local endpoint end to end on real exported ONNX models: registered into a temp local
 * workspace, served by the engine in-process, invoked through the route as API clients do.
 */
import jpeg from "jpeg-js";
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import type { HttpError } from "@/lib/errors.ts";
import { encodePng } from "@/lib/image/png.ts";
import { craftedPng } from "@/lib/image/testing.ts";
import { base64 } from "@/lib/inference/contract.ts";
import { importModel, type RegistryContext } from "@/lib/registry/register.ts";
import { createApp } from "@/lib/web/app.ts";
import { LocalServing, type LocalServingOptions } from "@/lib/workspace/local/serving.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import type { Endpoint, InvocationInfo } from "@/lib/workspace/types.ts";
import { ROOT, testApp } from "@/tests/helpers.ts";

const FIX = new URL("../../../tests/fixtures/onnx/", import.meta.url);
const read = (p: string) => Deno.readFile(new URL(p, FIX));
const readText = (p: string) => Deno.readTextFile(new URL(p, FIX));
const CLS = {
  onnx: await read("tiny_classifier/model.onnx"),
  json: await readText("tiny_classifier/model.json"),
};
const SEG = {
  onnx: await read("tiny_segmenter/model.onnx"),
  json: await readText("tiny_segmenter/model.json"),
};
const EXPECTED = JSON.parse(await readText("tiny_classifier/expected.json"));

/** generate.py's test_image: RGBA (7x + 3y, xy, 255 − 5x) mod 256, opaque. */
function testImage(w: number, h: number) {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const mod = (v: number) => ((v % 256) + 256) % 256;
      data.set([mod(7 * x + 3 * y), mod(x * y), mod(255 - 5 * x), 255], 4 * (y * w + x));
    }
  }
  return { width: w, height: h, data };
}
const IMG = testImage(EXPECTED.image.width, EXPECTED.image.height);
const PNG_B64 = base64(encodePng({ ...IMG, channels: 4 }));
const JPEG = jpeg.encode({ ...IMG, data: IMG.data }, 90).data as Uint8Array;

/** A seeded uniform generator (mulberry32). */
function seeded(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function setup(serving: Partial<LocalServingOptions> = {}) {
  const t = await testApp();
  const ws = createLocalWorkspace({ dataDir: t.dataDir, volume: t.settings.volume });
  const ctx: RegistryContext = { ws, volume: t.settings.volume, user: "tester" };
  await importModel(ctx, CLS.onnx, CLS.json, { name: "main.cv.tiny" });
  const make = (o: Partial<LocalServingOptions> = {}) =>
    new LocalServing({
      workspace: () => ws,
      volume: t.settings.volume,
      serve: true,
      idleUnloadMinutes: 15,
      pollMs: 50,
      engine: { random: seeded(7) },
      ...serving,
      ...o,
    });
  const s = make();
  ws.serving = s;
  await s.start();
  const app = await createApp({ settings: t.settings, workspace: ws, root: ROOT });
  const others: LocalServing[] = [];
  return {
    t,
    ws,
    ctx,
    s,
    make: (o: Partial<LocalServingOptions> = {}) => {
      const x = make(o);
      others.push(x);
      return x;
    },
    /** POST as an API client: JSON, no Origin. */
    invoke: (name: string, body: unknown) =>
      app.request(`http://localhost/serving-endpoints/${name}/invocations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    close: async () => {
      for (const o of others) await o.close();
      await s.close();
      await t.close();
    },
  };
}

async function waitFor(
  s: LocalServing,
  name: string,
  ok: (e: Endpoint) => boolean,
  ms = 10_000,
): Promise<Endpoint> {
  const until = Date.now() + ms;
  let e = await s.get(name);
  while (!ok(e)) {
    if (Date.now() > until) throw new Error(`timed out; last state ${JSON.stringify(e)}`);
    await new Promise((r) => setTimeout(r, 20));
    e = await s.get(name);
  }
  return e;
}

const one = (b64: string) => ({ dataframe_split: { columns: ["image"], data: [[b64]] } });
const spec = (name = "tiny-ep") => ({
  name,
  entities: [{ model: "main.cv.tiny", version: "1" }],
  createdBy: "tester",
});

Deno.test("[serving] an endpoint goes NOT_READY → READY after load and warm-up, and answers as jobs/ does", async () => {
  const x = await setup();
  try {
    const created = await x.s.create(spec());
    assertEquals(created.state, "NOT_READY");
    const e = await waitFor(x.s, "tiny-ep", (e) => e.state === "READY");
    assertEquals(e.runtime?.loaded, true);
    assertEquals(e.runtime?.provider, "cpu");
    assert((e.runtime?.loadMs ?? 0) > 0 && (e.runtime?.warmupMs ?? -1) >= 0);
    assertEquals(e.entities[0].name, "tiny-1");
    assertEquals(e.entities[0].state, "READY");
    const res = await x.invoke("tiny-ep", one(PNG_B64));
    assertEquals(res.status, 200);
    assertStringIncludes(res.headers.get("content-type") ?? "", "application/json");
    assertEquals(res.headers.get("served-model-name"), "tiny-1");
    assertEquals(res.headers.get("x-cold-start"), null);
    const body = await res.json();
    assertEquals(body.predictions.length, 1);
    const top = body.predictions[0].top_k;
    assertEquals(
      top.map((t: { label: number }) => t.label),
      EXPECTED.prediction.top_k.map((t: { label: number }) => t.label),
    );
    top.forEach((t: { score: number }, i: number) =>
      assert(Math.abs(t.score - EXPECTED.prediction.top_k[i].score) <= 2e-6)
    );
    // Every input format answers the same.
    for (
      const b of [
        { dataframe_records: [{ image: PNG_B64 }] },
        { instances: [{ b64: PNG_B64 }] },
        { instances: [PNG_B64] },
        { inputs: { image: [PNG_B64] } },
        { inputs: [{ image: `data:image/png;base64,${PNG_B64}` }], params: { top_k: 2 } },
      ]
    ) {
      const r = await x.invoke("tiny-ep", b);
      assertEquals(r.status, 200, JSON.stringify(b).slice(0, 80));
      const p = (await r.json()).predictions[0].top_k;
      assertEquals(p[0].label, EXPECTED.prediction.top_k[0].label);
      if ("params" in b) assertEquals(p.length, 2);
    }
    const logs = await x.s.logs("tiny-ep", "tiny-1", "server");
    assertStringIncludes(logs ?? "", "warm-up inference");
    assertEquals(await x.s.logs("tiny-ep", "tiny-1", "build"), null);
    const m = await x.s.metrics("tiny-ep");
    assertEquals(m.source, "measured by the app");
    assertEquals(m.points.reduce((a, p) => a + p.requests, 0), 6);
    assert(m.points.at(-1)!.p50Ms !== null);
  } finally {
    await x.close();
  }
});

Deno.test("[serving] bad bodies and images get 4xx naming what is wrong; one bad image in a batch is an {error} entry", async () => {
  const x = await setup();
  try {
    await x.s.create(spec());
    await waitFor(x.s, "tiny-ep", (e) => e.state === "READY");
    const cases: [unknown, number, string][] = [
      ["{not json", 400, "not valid JSON"],
      [{ foo: 1 }, 400, "needs one of dataframe_split"],
      [{ dataframe_split: { columns: ["image"], data: "x" } }, 400, "dataframe_split.data"],
      [{ dataframe_records: [{ picture: PNG_B64 }] }, 400, "no image column"],
      [one("not base64!!"), 400, "not valid base64"],
      [one(btoa("hello, this is text")), 400, "not an image"],
      [one(base64(JPEG.slice(0, Math.floor(JPEG.length / 2)))), 400, "the image"],
      [one(base64(craftedPng(10_000, 5_000))), 422, "50 megapixels"],
      [{ ...one(PNG_B64), params: { top_kk: 3 } }, 400, "Unknown param"],
      [{ instances: Array(65).fill(PNG_B64) }, 400, "at most 64"],
    ];
    for (const [body, status, text] of cases) {
      const r = await x.invoke("tiny-ep", body);
      const j = await r.json();
      assertEquals(r.status, status, `${JSON.stringify(body).slice(0, 60)}: ${j.message}`);
      assertStringIncludes(j.message, text);
      assertEquals(typeof j.error_code, "string");
    }
    const mixed = await x.invoke("tiny-ep", { instances: [PNG_B64, "%%%", base64(JPEG)] });
    assertEquals(mixed.status, 200);
    const p = (await mixed.json()).predictions;
    assertEquals(p.length, 3);
    assert(p[0].top_k && p[2].top_k);
    assertStringIncludes(p[1].error, "image 1 of 3 is not valid base64");
    const many = await x.invoke("tiny-ep", { instances: Array(64).fill(PNG_B64) });
    assertEquals(many.status, 200);
    assertEquals((await many.json()).predictions.length, 64);
    const missing = await x.invoke("no-such", one(PNG_B64));
    assertEquals(missing.status, 404);
  } finally {
    await x.close();
  }
});

Deno.test("[serving] concurrent requests all answer; a full queue is a 503 with Retry-After", async () => {
  // Deterministic: the endpoint is scaled to zero, and its reload is held at the model file, so
  // the first request occupies the only slot while the others arrive: two wait, the rest are
  // refused at once — however fast or loaded the machine is.
  let now = Date.now();
  const x = await setup({
    idleUnloadMinutes: 1,
    engine: { concurrency: 1, maxQueued: 2, random: seeded(1), now: () => now },
  });
  try {
    await x.s.create(spec());
    await waitFor(x.s, "tiny-ep", (e) => e.state === "READY");
    now += 61_000;
    x.s.sweep(now);
    assertEquals((await x.s.get("tiny-ep")).runtime?.loaded, false);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const held = new Promise<void>((r) => (reached = r));
    const readBytes = x.ws.files.readBytes.bind(x.ws.files);
    x.ws.files.readBytes = async (path: string) => {
      if (path.endsWith("/model.onnx")) {
        reached();
        await gate;
      }
      return await readBytes(path);
    };
    const body = { instances: Array(4).fill(base64(JPEG)) };
    const first = x.invoke("tiny-ep", body);
    await held; // the first request holds the slot, reloading the model
    // Which of the eleven reach the queue first is up to the scheduler; how many wait is not:
    // two, so nine are refused at once, before the reload is let go.
    let answered = 0;
    let nine!: () => void;
    const nineAnswered = new Promise<void>((r) => (nine = r));
    const rest = Array.from(
      { length: 11 },
      () =>
        Promise.resolve(x.invoke("tiny-ep", body)).then((r) => {
          if (++answered === 9) nine();
          return r;
        }),
    );
    await nineAnswered;
    release();
    const rs = [await first, ...(await Promise.all(rest))];
    const codes = rs.map((r) => r.status);
    assertEquals(codes[0], 200, "the first request, which held the slot");
    assertEquals([...codes].sort(), [...Array(3).fill(200), ...Array(9).fill(503)], codes.join());
    const busy = rs.filter((r) => r.status === 503);
    assertEquals(busy[0].headers.get("retry-after"), "1");
    assertStringIncludes((await busy[0].json()).message, "busy");
    for (const r of busy.slice(1)) await r.body?.cancel();
    for (const r of rs.filter((r) => r.status === 200)) {
      assertEquals((await r.json()).predictions.length, 4);
    }
    await x.s.flush();
    const m = await x.s.metrics("tiny-ep");
    assertEquals(m.points.reduce((a, p) => a + p.errors, 0), busy.length);
  } finally {
    await x.close();
  }
  const y = await setup();
  try {
    await y.s.create(spec());
    await waitFor(y.s, "tiny-ep", (e) => e.state === "READY");
    const rs = await Promise.all(
      Array.from({ length: 16 }, () => y.invoke("tiny-ep", one(PNG_B64))),
    );
    assertEquals(rs.map((r) => r.status), Array(16).fill(200));
    for (const r of rs) assertEquals((await r.json()).predictions.length, 1);
  } finally {
    await y.close();
  }
});

Deno.test("[serving] a model file changed after registration makes the endpoint FAILED with the checksum message", async () => {
  const x = await setup();
  try {
    const path = `${x.t.settings.volume}/models/main.cv.tiny/1/model.onnx`;
    const tampered = CLS.onnx.slice();
    tampered[tampered.length - 1] ^= 0xff;
    await x.ws.files.write(path, tampered, { overwrite: true });
    await x.s.create(spec());
    const e = await waitFor(x.s, "tiny-ep", (e) => e.state !== "NOT_READY");
    assertEquals(e.state, "FAILED");
    assertStringIncludes(e.message ?? "", "does not match its registered checksum");
    const r = await x.invoke("tiny-ep", one(PNG_B64));
    assertEquals(r.status, 503);
    assertStringIncludes((await r.json()).message, "failed to load");
  } finally {
    await x.close();
  }
});

Deno.test("[serving] names are checked, create conflicts, plan shows the Databricks bodies", async () => {
  const x = await setup();
  try {
    let err = await x.s.create(spec("-bad")).catch((e) => e);
    assertEquals(err.status, 400);
    assertStringIncludes(err.message, "not a valid endpoint name");
    err = await x.s.create({ name: "ok", entities: [{ model: "main.cv.nope", version: "1" }] })
      .catch((e) => e);
    assertEquals(err.status, 404);
    assertEquals(await x.s.plan(spec()), {
      method: "POST",
      path: "/api/2.0/serving-endpoints",
      body: {
        name: "tiny-ep",
        config: {
          served_entities: [{
            name: "tiny-1",
            entity_name: "main.cv.tiny",
            entity_version: "1",
            workload_size: "Small",
            scale_to_zero_enabled: true,
          }],
        },
      },
    });
    await x.s.create(spec());
    err = await x.s.create(spec()).catch((e) => e);
    assertEquals(err.status, 409);
    const p = await x.s.plan(spec());
    assertEquals(p.method, "PUT");
    assertEquals(p.path, "/api/2.0/serving-endpoints/tiny-ep/config");
  } finally {
    await x.close();
  }
});

Deno.test("[serving] an update loads v2 while v1 serves, then a 50/50 split reaches both versions", async () => {
  const x = await setup();
  try {
    await importModel(x.ctx, CLS.onnx, CLS.json, { name: "main.cv.tiny" });
    await x.s.create(spec());
    await waitFor(x.s, "tiny-ep", (e) => e.state === "READY");
    const u = await x.s.update({
      name: "tiny-ep",
      entities: [
        { model: "main.cv.tiny", version: "1", trafficPercent: 50 },
        { model: "main.cv.tiny", version: "2", trafficPercent: 50 },
      ],
    });
    assertEquals(u.state, "UPDATING");
    assertEquals(u.configUpdate, "IN_PROGRESS");
    // The old version answers while the new one loads.
    const during = await x.invoke("tiny-ep", one(PNG_B64));
    assertEquals(during.status, 200, await during.clone().text());
    const e = await waitFor(x.s, "tiny-ep", (e) => e.state === "READY");
    assertEquals(e.configUpdate, "NOT_UPDATING");
    assertEquals(e.entities.map((x) => [x.name, x.trafficPercent]), [["tiny-1", 50], [
      "tiny-2",
      50,
    ]]);
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await x.invoke("tiny-ep", one(PNG_B64));
      assertEquals(r.status, 200);
      const who = r.headers.get("served-model-name")!;
      seen.set(who, (seen.get(who) ?? 0) + 1);
      await r.body?.cancel();
    }
    assert(
      (seen.get("tiny-1") ?? 0) >= 8 && (seen.get("tiny-2") ?? 0) >= 8,
      JSON.stringify([...seen]),
    );
    // A failing update (v3's model.json broken after registration) keeps the old versions serving.
    await importModel(x.ctx, CLS.onnx, CLS.json, { name: "main.cv.tiny" });
    await x.ws.files.write(`${x.t.settings.volume}/models/main.cv.tiny/3/model.json`, "{}", {
      overwrite: true,
    });
    await x.s.update({ name: "tiny-ep", entities: [{ model: "main.cv.tiny", version: "3" }] });
    const f = await waitFor(x.s, "tiny-ep", (e) => e.configUpdate !== "IN_PROGRESS");
    assertEquals(f.state, "READY");
    assertEquals(f.configUpdate, "UPDATE_FAILED");
    assertStringIncludes(f.message ?? "", "previous versions keep serving");
    assertEquals((await x.invoke("tiny-ep", one(PNG_B64))).status, 200);
    await x.s.delete("tiny-ep");
    assertEquals((await x.invoke("tiny-ep", one(PNG_B64))).status, 404);
  } finally {
    await x.close();
  }
});

Deno.test("[serving] an idle endpoint unloads (scale to zero) and the next request is a cold start", async () => {
  let now = Date.now();
  const x = await setup({ idleUnloadMinutes: 1, engine: { now: () => now, random: seeded(3) } });
  try {
    await x.s.create(spec());
    await waitFor(x.s, "tiny-ep", (e) => e.state === "READY");
    x.s.sweep(now + 30_000);
    assertEquals((await x.s.get("tiny-ep")).runtime?.loaded, true);
    now += 61_000;
    x.s.sweep(now);
    const idle = await x.s.get("tiny-ep");
    assertEquals(idle.state, "READY");
    assertEquals(idle.runtime?.loaded, false);
    assertEquals(idle.entities[0].state, "SCALED_TO_ZERO");
    const cold = await x.invoke("tiny-ep", one(PNG_B64));
    assertEquals(cold.status, 200);
    assertEquals(cold.headers.get("x-cold-start"), "true");
    assertEquals((await cold.json()).predictions.length, 1);
    const warm = await x.invoke("tiny-ep", one(PNG_B64));
    assertEquals(warm.headers.get("x-cold-start"), null);
    await warm.body?.cancel();
    assertStringIncludes(await x.s.logs("tiny-ep", "tiny-1", "server") ?? "", "scale to zero");
  } finally {
    await x.close();
  }
});

Deno.test("[serving] endpoints come back after a restart, and one created by another process is served without one", async () => {
  const x = await setup();
  try {
    await x.s.create(spec());
    await waitFor(x.s, "tiny-ep", (e) => e.state === "READY");
    const info: InvocationInfo = {};
    await x.s.invoke("tiny-ep", one(PNG_B64), info);
    assertEquals(info.servedEntity, "tiny-1");
    await x.s.close(); // the app stops
    const next = x.make(); // and starts again on the same KV
    await next.start();
    await next.reconcile();
    const back = await next.get("tiny-ep");
    assertEquals(back.state, "READY");
    assertEquals(back.runtime?.loaded, true);
    const r = await next.invoke("tiny-ep", one(PNG_B64)) as { predictions: unknown[] };
    assertEquals(r.predictions.length, 1);
    // Metrics measured before the restart are still there.
    assertEquals((await next.metrics("tiny-ep")).points.reduce((a, p) => a + p.requests, 0), 2);
    // The CLI: a process that does not serve creates an endpoint; the app's poll picks it up.
    const cli = x.make({ serve: false });
    const c = await cli.create(spec("from-cli"));
    assertEquals(c.state, "NOT_READY");
    await waitFor(cli, "from-cli", (e) => e.state === "READY");
    const served = await next.invoke("from-cli", one(PNG_B64)) as { predictions: unknown[] };
    assertEquals(served.predictions.length, 1);
    // The CLI reads metrics from KV once the app has written them.
    await next.flush();
    assertEquals((await cli.metrics("from-cli")).points.reduce((a, p) => a + p.requests, 0), 1);
    // A non-serving process with no app URL cannot answer: it says to start the app.
    const err = await cli.invoke("from-cli", one(PNG_B64)).catch((e: Error) => e) as HttpError;
    assertEquals(err.status, 503);
    assertStringIncludes(err.message, "not running");
  } finally {
    await x.close();
  }
});

Deno.test("[serving] the segmenter answers a class-index PNG of the original size", async () => {
  const x = await setup();
  try {
    await importModel(x.ctx, SEG.onnx, SEG.json, { name: "main.cv.seg" });
    await x.s.create({ name: "seg", entities: [{ model: "main.cv.seg", version: "1" }] });
    await waitFor(x.s, "seg", (e) => e.state === "READY");
    const r = await x.invoke("seg", { dataframe_records: [{ image: base64(JPEG) }] });
    assertEquals(r.status, 200);
    const p = (await r.json()).predictions[0];
    assertEquals([p.width, p.height], [IMG.width, IMG.height]);
    assert(typeof p.mask_png === "string" && Array.isArray(p.classes));
  } finally {
    await x.close();
  }
});
