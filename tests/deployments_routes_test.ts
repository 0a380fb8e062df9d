/**
 * The Deployment pages and JSON API on the local workspace with the real local endpoint
 * (onnxruntime-node): review shows the exact request before anything is sent → create → READY →
 * smoke test answers as the fixture expects → a 50/50 update in place reaches both versions →
 * delete only with the typed name; every action in the activity log; the cost-rates page.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@/tests/assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { importModel, type RegistryContext } from "@/lib/registry/register.ts";
import { listActivity } from "@/lib/store/activity.ts";
import { getRates } from "@/lib/store/rates.ts";
import { createApp } from "@/lib/web/app.ts";
import { LocalServing } from "@/lib/workspace/local/serving.ts";
import type { Endpoint } from "@/lib/workspace/types.ts";
import { formPost, jsonPost, ROOT, testApp } from "@/tests/helpers.ts";

const FIX = new URL("./fixtures/onnx/tiny_classifier/", import.meta.url);
const ONNX = await Deno.readFile(new URL("model.onnx", FIX));
const JSON_TEXT = await Deno.readTextFile(new URL("model.json", FIX));
const EXPECTED = JSON.parse(await Deno.readTextFile(new URL("expected.json", FIX)));
const M = "main.cv.tiny";

/** generate.py's test image (the fixture's expected.json was computed on it). */
function testPng(w: number, h: number): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  const mod = (v: number) => ((v % 256) + 256) % 256;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      data.set([mod(7 * x + 3 * y), mod(x * y), mod(255 - 5 * x), 255], 4 * (y * w + x));
    }
  }
  return encodePng({ width: w, height: h, channels: 4, data });
}

async function setup() {
  const t = await testApp();
  const ws = t.workspace;
  const serving = new LocalServing({
    workspace: () => ws,
    volume: t.settings.volume,
    serve: true,
    idleUnloadMinutes: 15,
    pollMs: 50,
  });
  ws.serving = serving;
  await serving.start();
  const app = await createApp({ settings: t.settings, workspace: ws, root: ROOT });
  const val = `${t.settings.volume}/datasets/pets/val`;
  const dir = `${t.dataDir}/volumes/${val.slice("/Volumes/".length)}/dog`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(
    `${dir}/a.png`,
    testPng(EXPECTED.image.width, EXPECTED.image.height),
  );
  const ctx: RegistryContext = { ws, volume: t.settings.volume, user: "tester" };
  await importModel(ctx, ONNX, JSON_TEXT, {
    name: M,
    aliases: ["champion"],
    tags: { "lakevision.val_dataset": val },
  });
  await importModel(ctx, ONNX, JSON_TEXT, { name: M });
  return {
    t,
    ws,
    req: (path: string, init?: RequestInit) => app.request(`http://localhost${path}`, init),
    close: async () => {
      await serving.close();
      await t.close();
    },
  };
}

async function ready(ws: { serving: { get(n: string): Promise<Endpoint> } }, name: string, n = 1) {
  const until = Date.now() + 20_000;
  while (true) {
    const e = await ws.serving.get(name);
    if (e.state === "READY" && e.configUpdate !== "IN_PROGRESS" && e.entities.length === n) {
      return e;
    }
    if (Date.now() > until) throw new Error(`not READY: ${JSON.stringify(e)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const FORM = {
  name: "tiny-ep",
  ref: `${M}@1`,
  size: "Small",
  workload_type: "CPU",
};

Deno.test("[deployments routes] review → create → smoke → 50/50 update in place → delete with the typed name", async () => {
  const x = await setup();
  try {
    let res = await x.req("/deployments");
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type"), "text/html; charset=utf-8");
    let html = await res.text();
    assertStringIncludes(html, "No serving endpoints yet");
    assertMatch(html, /<option value="main\.cv\.tiny@1" selected[^>]*>main\.cv\.tiny v1 @champion/);
    // It starts with a free name made from the model, and scale to zero on (this app serves it).
    assertMatch(html, /id="ep-name"[^>]*value="tiny-ep"/);
    assertMatch(html, /name="scale_to_zero" checked/);

    // A bad name re-renders the form with what was sent and the message beside the field.
    res = await x.req("/deployments", formPost({ ...FORM, name: "bad name", action: "review" }));
    assertEquals(res.status, 400);
    html = await res.text();
    assertMatch(
      html,
      /data-field-error="name"[^>]*>Endpoint name: &quot;bad name&quot; may hold only letters/,
    );
    assertMatch(html, /id="ep-name"[^>]*aria-invalid="true"/);
    assertStringIncludes(html, 'value="bad name"');
    res = await x.req(
      "/deployments",
      formPost({ ...FORM, ref2: `${M}@2`, traffic: "500", action: "review" }),
    );
    assertEquals(res.status, 400);
    assertMatch(
      await res.text(),
      /data-field-error="traffic"[^>]*>The first version.{1,6}s share of the traffic must be a whole percent from 0 to 100, got .{1,6}500/,
    );

    // Review: the exact request, nothing sent.
    res = await x.req("/deployments", formPost({ ...FORM, action: "review" }));
    assertEquals(res.status, 200);
    html = await res.text();
    assertStringIncludes(html, "Review: create tiny-ep");
    assertStringIncludes(html, "POST /api/2.0/serving-endpoints");
    assertStringIncludes(html, "&quot;entity_version&quot;: &quot;1&quot;");
    assertEquals((await x.ws.serving.list()).length, 0, "review must not create anything");
    const digest = /name="digest" value="([0-9a-f]+)"/.exec(html)![1];

    res = await x.req("/deployments", formPost({ ...FORM, action: "deploy", digest }));
    assertEquals(res.status, 303);
    assertStringIncludes(res.headers.get("location")!, "/deployments/tiny-ep?notice=Created");
    await ready(x.ws, "tiny-ep");

    res = await x.req("/deployments/tiny-ep");
    assertEquals(res.status, 200);
    html = await res.text();
    assertStringIncludes(html, 'data-state="READY"');
    assertStringIncludes(html, "data-runtime");
    assertMatch(html, /data-provider[^>]*>cpu</);
    assertMatch(html, /Warm-up<\/dt><dd[^>]*>\d+ ms</);
    assertStringIncludes(html, "No money: this app serves it.");
    assertStringIncludes(html, "/serving-endpoints/tiny-ep/invocations");
    assertStringIncludes(html, "none recorded (imported)");
    // No traffic yet: said in words, not drawn as empty charts.
    assertStringIncludes(html, 'data-metrics="no-traffic"');
    assert(!html.includes('data-chart="endpoint-requests"'), "no empty charts");

    // Smoke test with the validation image: the fixture's expected top class and score.
    res = await x.req("/deployments/tiny-ep/smoke", {
      ...formPost({}),
      headers: { origin: "http://localhost", "sec-fetch-site": "same-origin" },
      body: new FormData(),
    });
    assertEquals(res.status, 303);
    const loc = res.headers.get("location")!;
    assertMatch(loc, /\/deployments\/tiny-ep\?smoke=[0-9a-z]+-[0-9a-f]{6}#smoke$/);
    html = await (await x.req(loc.replace(/#.*/, ""))).text();
    const top = EXPECTED.prediction.top_k[0];
    assertStringIncludes(html, `top class ${top.label_name} (${(top.score * 100).toFixed(1)}%)`);
    assertStringIncludes(html, 'data-overlay="classification"');
    assertStringIncludes(html, 'data-ok="true"');
    assertMatch(html, /data-latency[^>]*>\d+\.\d ms</);

    // A/B: update in place with a 50/50 split.
    res = await x.req(
      "/deployments",
      formPost({ ...FORM, ref2: `${M}@2`, traffic: "50", action: "review" }),
    );
    html = await res.text();
    assertStringIncludes(html, "Review: update tiny-ep in place");
    assertStringIncludes(html, "PUT /api/2.0/serving-endpoints/tiny-ep/config");
    assertStringIncludes(html, `${M} v1: traffic 100% → 50%`);
    const digest2 = /name="digest" value="([0-9a-f]+)"/.exec(html)![1];
    res = await x.req(
      "/deployments",
      formPost({ ...FORM, ref2: `${M}@2`, traffic: "50", action: "deploy", digest: digest2 }),
    );
    assertEquals(res.status, 303);
    const e = await ready(x.ws, "tiny-ep", 2);
    assertEquals(e.entities.map((s) => [s.name, s.trafficPercent]), [["tiny-1", 50], [
      "tiny-2",
      50,
    ]]);

    // Through the proxy (as the Playground calls it): both versions answer.
    const png = await Deno.readFile(
      `${x.t.dataDir}/volumes/main/lakevision/data/datasets/pets/val/dog/a.png`,
    );
    let b64 = "";
    for (const c of png) b64 += String.fromCharCode(c);
    const body = { dataframe_split: { columns: ["image"], data: [[btoa(b64)]] } };
    const served = new Set<string>();
    for (let i = 0; i < 40 && served.size < 2; i++) {
      res = await x.req("/api/endpoints/tiny-ep/invoke", jsonPost(body));
      assertEquals(res.status, 200);
      assertMatch(res.headers.get("server-timing") ?? "", /^invoke;dur=\d+/);
      served.add(res.headers.get("x-served-entity") ?? "?");
      assertEquals((await res.json()).predictions[0].top_k[0].label_name, top.label_name);
    }
    assertEquals([...served].sort(), ["tiny-1", "tiny-2"]);

    // Delete: a wrong name keeps the endpoint; the right one deletes it.
    res = await x.req("/deployments/tiny-ep/delete");
    assertStringIncludes(await res.text(), 'Type <strong class="font-mono">tiny-ep</strong>');
    res = await x.req("/deployments/tiny-ep/delete", formPost({ confirm: "tiny" }));
    assertEquals(res.status, 400);
    assertStringIncludes(await res.text(), "does not match");
    assertEquals((await x.ws.serving.list()).length, 1);
    res = await x.req("/deployments/tiny-ep/delete", formPost({ confirm: "tiny-ep" }));
    assertEquals(res.status, 303);
    assertEquals((await x.ws.serving.list()).length, 0);

    const log = await listActivity({ subjectPrefix: "endpoint:tiny-ep" });
    const whats = new Set(log.map((a) => a.what));
    for (
      const w of ["created endpoint", "updated endpoint", "ran smoke test", "deleted endpoint"]
    ) {
      assert(whats.has(w), `activity has "${w}": ${[...whats]}`);
    }
  } finally {
    await x.close();
  }
});

Deno.test("[deployments routes] JSON API: plan, traffic that does not add up, 404s, delete needs confirm", async () => {
  const x = await setup();
  try {
    const input = {
      name: "api-ep",
      entities: [{ model: M, version: "1", trafficPercent: 100 }],
    };
    let res = await x.req("/api/endpoints?plan=1", jsonPost(input));
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type"), "application/json");
    const { plan } = await res.json();
    assertEquals([plan.mode, plan.request.method], ["create", "POST"]);

    res = await x.req(
      "/api/endpoints",
      jsonPost({
        ...input,
        entities: [
          { model: M, version: "1", trafficPercent: 70 },
          { model: M, version: "2", trafficPercent: 20 },
        ],
      }),
    );
    assertEquals(res.status, 400);
    assertStringIncludes((await res.json()).error.message, "adds up to 90%");

    res = await x.req("/api/endpoints", jsonPost(input));
    assertEquals(res.status, 201);
    assertEquals((await res.json()).mode, "create");
    // An update while the first config is still being applied is a 409, as on Databricks: a
    // client waits for READY first (on a loaded machine the load can take a while).
    await ready(x.ws, "api-ep");
    res = await x.req("/api/endpoints", jsonPost(input));
    assertEquals(res.status, 200);
    assertEquals((await res.json()).mode, "update");

    res = await x.req("/api/endpoints");
    const list = await res.json();
    assertEquals(list.endpoints.map((r: { endpoint: Endpoint }) => r.endpoint.name), ["api-ep"]);
    assertEquals(list.endpoints[0].cost.kind, "cpu");

    res = await x.req("/api/endpoints/nope");
    assertEquals(res.status, 404);
    res = await x.req("/deployments/nope");
    assertEquals(res.status, 404);
    res = await x.req("/api/endpoints/nope/metrics");
    assertEquals(res.status, 404);

    res = await x.req("/api/endpoints/api-ep", { ...jsonPost({}), method: "DELETE", body: null });
    assertEquals(res.status, 400);
    res = await x.req("/api/endpoints/api-ep?confirm=api-ep", {
      ...jsonPost({}),
      method: "DELETE",
      body: null,
    });
    assertEquals(res.status, 200);
    assertEquals(await res.json(), { name: "api-ep", deleted: true });
  } finally {
    await x.close();
  }
});

Deno.test("[deployments routes] cost rates: defaults labelled as estimates, a bad figure stays in the form, a save is used", async () => {
  const x = await setup();
  try {
    let res = await x.req("/settings/rates");
    assertEquals(res.status, 200);
    let html = await res.text();
    assertStringIncludes(html, "editable estimates, not your contract prices");
    assertMatch(html, /name="dbu\.GPU_SMALL\.Small"[^>]*value="10\.48"/);
    const form: Record<string, string> = { currency: "EUR", price_per_dbu: "0.09" };
    for (const m of html.matchAll(/name="(dbu\.[A-Z_]+\.[A-Za-z]+)"[^>]*value="([^"]+)"/g)) {
      form[m[1]] = m[2];
    }
    assertEquals(Object.keys(form).length, 14);
    res = await x.req("/settings/rates", formPost({ ...form, "dbu.CPU.Small": "-2" }));
    assertEquals(res.status, 400);
    html = await res.text();
    assertStringIncludes(html, 'value="-2"');
    assertStringIncludes(html, "see the marked fields");
    res = await x.req("/settings/rates", formPost({ ...form, "dbu.CPU.Small": "3" }));
    assertEquals(res.status, 303);
    const r = await getRates();
    assertEquals([r.currency, r.pricePerDbu, r.dbuPerHour.CPU.Small, r.isDefault], [
      "EUR",
      0.09,
      3,
      false,
    ]);
    res = await x.req("/settings/rates", formPost({ action: "reset" }));
    assertEquals(res.status, 303);
    assertEquals((await getRates()).isDefault, true);
    const a = await listActivity({ subjectPrefix: "settings:serving_rates" });
    assertEquals(a.map((e) => e.what).sort(), ["edited cost rates", "reset cost rates"]);
  } finally {
    await x.close();
  }
});

Deno.test("[deployments routes] a segmentation smoke test lays the returned mask over the uploaded image", async () => {
  const x = await setup();
  try {
    const seg = new URL("./fixtures/onnx/tiny_segmenter/", import.meta.url);
    await importModel(
      { ws: x.ws, volume: x.t.settings.volume, user: "tester" },
      await Deno.readFile(new URL("model.onnx", seg)),
      await Deno.readTextFile(new URL("model.json", seg)),
      { name: "main.cv.seg" },
    );
    let res = await x.req(
      "/api/endpoints",
      jsonPost({
        name: "seg-ep",
        entities: [{ model: "main.cv.seg", version: "1", trafficPercent: 100 }],
      }),
    );
    assertEquals(res.status, 201);
    await ready(x.ws, "seg-ep");
    // No validation data recorded: the page asks for an image, and a click without one says why.
    let html = await (await x.req("/deployments/seg-ep")).text();
    assertStringIncludes(html, "Upload an image to test with.");
    const fd = new FormData();
    fd.set("image", new File([testPng(50, 37) as Uint8Array<ArrayBuffer>], "pic.png"));
    res = await x.req("/deployments/seg-ep/smoke", {
      method: "POST",
      headers: { origin: "http://localhost", "sec-fetch-site": "same-origin" },
      body: fd,
    });
    assertEquals(res.status, 303);
    html = await (await x.req(res.headers.get("location")!.replace(/#.*/, ""))).text();
    assertStringIncludes(html, 'data-overlay="segmentation"');
    assertStringIncludes(html, "pic.png (uploaded)");
    const mask = /href="(\/api\/data\/file\?path=[^"]+overlay=mask)"/.exec(html)?.[1];
    assert(mask, "mask overlay image");
    res = await x.req(mask.replaceAll("&amp;", "&"));
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type"), "image/png");
    assertEquals([...new Uint8Array(await res.arrayBuffer()).subarray(1, 4)], [80, 78, 71]);
    assertStringIncludes(html, "chars)"); // the raw JSON shows mask_png shortened
  } finally {
    await x.close();
  }
});
