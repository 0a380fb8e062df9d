/**
 * The Playground's page and API routes in memory: the model list and deep links, what the browser
 * learns before downloading (size, checksum, model.json, threshold), run exports, the URL
 * fetcher behind its SSRF guard (a 127.0.0.1 server refused; allowed only through the test
 * hook), the endpoint proxy's validation and pixel budget, and in-browser sessions logged to
 * History (only for models offered here, once per half hour, 4xx naming the field otherwise).
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { resetSessions } from "@/lib/history/events.ts";
import { subjectHref } from "@/lib/history/timeline.ts";
import { urlFetchTestHook } from "@/lib/inference/url_fetch.ts";
import { importModel } from "@/lib/registry/register.ts";
import { sha256Hex } from "@/lib/workspace/local/registry.ts";
import { queryActivity } from "@/lib/store/activity.ts";
import { createRun } from "@/lib/training/records.ts";
import type { RunRecord } from "@/lib/training/types.ts";
import { jsonPost, testApp } from "@/tests/helpers.ts";

const FIX = new URL("./fixtures/onnx/tiny_classifier/", import.meta.url);
const onnx = await Deno.readFile(new URL("model.onnx", FIX));
const modelJson = await Deno.readTextFile(new URL("model.json", FIX));
const PNG = encodePng({ width: 4, height: 3, channels: 3, data: new Uint8Array(36).fill(90) });

async function withModel() {
  const t = await testApp();
  await importModel(
    { ws: t.workspace, volume: t.settings.volume, user: "tester" },
    onnx,
    modelJson,
    { name: "main.cv.tiny", aliases: ["champion"] },
  );
  return t;
}

function serveLoopback(body: Uint8Array, type: string) {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    seen.push(new URL(req.url).pathname);
    return new Response(body as Uint8Array<ArrayBuffer>, { headers: { "content-type": type } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

Deno.test("[playground routes] /inference lists the registered version and honours a deep link", async () => {
  const t = await withModel();
  try {
    const res = await t.request("/inference?model=main.cv.tiny&version=1&backend=webgpu");
    assertEquals(res.status, 200);
    assertStringIncludes(res.headers.get("content-type") ?? "", "text/html");
    const html = await res.text();
    assert(!html.includes("This stage is not built yet"), "the placeholder is gone");
    for (const island of ["PlaygroundModel", "PlaygroundInputs", "PlaygroundResults"]) {
      assertStringIncludes(html, `data-island="${island}"`);
    }
    assertStringIncludes(html, "main.cv.tiny v1 @champion");
    assertStringIncludes(html, 'type="file"');
    const props = /data-island="PlaygroundModel"[^>]*data-props="([^"]*)"/.exec(html)?.[1] ?? "";
    const parsed = JSON.parse(props.replaceAll("&quot;", '"').replaceAll("&amp;", "&"));
    assertEquals(parsed.initial, { key: "version:main.cv.tiny:1", backend: "webgpu" });
    const missing = await (await t.request("/inference?model=main.cv.nope&version=3")).text();
    assertStringIncludes(missing, "main.cv.nope version 3, which has no version");
  } finally {
    await t.close();
  }
});

Deno.test("[playground routes] model info gives size, checksum, parsed model.json; the file it names verifies", async () => {
  const t = await withModel();
  try {
    const res = await t.request("/api/inference/model?key=version:main.cv.tiny:1");
    assertEquals(res.status, 200);
    assertStringIncludes(res.headers.get("content-type") ?? "", "application/json");
    const info = await res.json();
    assertEquals(info.bytes, onnx.byteLength);
    assertEquals(info.sha256, await sha256Hex(onnx));
    assertEquals(info.cacheKey, `sha256:${info.sha256}`);
    assertEquals(info.task, "classification");
    assertEquals(info.labels, ["cat", "dog", "bird", "fish"]);
    assertEquals(info.meta.input.name, "images");
    assertEquals(info.defaults, { confidence_threshold: 0.5, max_detections: 100, top_k: 4 });
    const file = await t.request(info.onnxUrl);
    assertEquals(file.status, 200);
    assertEquals(new Uint8Array(await file.arrayBuffer()), onnx);
    assertEquals((await t.request("/api/inference/model?key=version:main.cv.tiny:9")).status, 404);
    assertEquals((await t.request("/api/inference/model?key=nonsense")).status, 404);
    assertEquals((await t.request("/api/inference/model")).status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("[playground routes] a succeeded run's exported model is listed and served; others are 404", async () => {
  const t = await testApp();
  try {
    const runDir = `${t.settings.volume}/runs/run-pg-1`;
    await t.workspace.files.write(`${runDir}/model.onnx`, onnx);
    await t.workspace.files.write(`${runDir}/model.json`, modelJson);
    const now = Date.now();
    const rec: RunRecord = {
      id: "run-pg-1",
      name: "tiny cls",
      createdAt: now,
      createdBy: "tester",
      config: { name: "tiny", version: 1, task: "classification", model: "torchvision/resnet18" },
      compute: { kind: "local", device: "cpu" },
      distribution: "local",
      status: "succeeded",
      phase: "succeeded",
      runDir,
      configPath: `${t.settings.volume}/configs/tiny/v1.yaml`,
      command: ["python", "jobs/train.py"],
      idempotencyToken: "tok-pg-1",
      updatedAt: now,
      progress: null,
      lastMetrics: {},
    };
    await createRun(rec);
    const html = await (await t.request("/inference?run=run-pg-1")).text();
    assertStringIncludes(html, "tiny cls (run run-pg-1");
    const info = await (await t.request("/api/inference/model?key=run:run-pg-1")).json();
    assertEquals(info.bytes, onnx.byteLength);
    assertEquals(info.onnxUrl, "/api/inference/runs/run-pg-1/model.onnx");
    const file = await t.request(info.onnxUrl);
    assertEquals(file.status, 200);
    assertEquals(file.headers.get("content-type"), "application/octet-stream");
    assertEquals(new Uint8Array(await file.arrayBuffer()), onnx);
    assertEquals((await t.request("/api/inference/runs/run-pg-1/status.json")).status, 404);
    assertEquals((await t.request("/api/inference/runs/no-such-run/model.onnx")).status, 404);
    // Running it in the browser is a session in History.
    resetSessions();
    const logged = await t.request(
      "/api/inference/sessions",
      jsonPost({ model: "run:run-pg-1", backend: "wasm" }),
    );
    assertEquals(await logged.json(), { logged: true, model: "run:run-pg-1", backend: "wasm" });
    const [a] = (await queryActivity({ type: "inference" })).items;
    assertEquals(a.subject, "inference:run:run-pg-1");
  } finally {
    await t.close();
  }
});

Deno.test("[playground routes] the URL fetcher refuses a 127.0.0.1 server, and fetches it only through the test hook", async () => {
  const t = await testApp();
  const srv = serveLoopback(PNG, "image/png");
  try {
    const refused = await t.request(
      "/api/inference/fetch-url",
      jsonPost({ url: `${srv.url}/a.png` }),
    );
    assertEquals(refused.status, 403);
    assertStringIncludes((await refused.json()).error.message, "loopback");
    assertEquals(srv.seen, [], "the refused server saw no request");
    const scheme = await t.request(
      "/api/inference/fetch-url",
      jsonPost({ url: "file:///etc/passwd" }),
    );
    assertEquals(scheme.status, 400);
    assertEquals((await t.request("/api/inference/fetch-url", jsonPost({ nope: 1 }))).status, 422);

    urlFetchTestHook.allowAddress = (a) => a === "127.0.0.1";
    const ok = await t.request("/api/inference/fetch-url", jsonPost({ url: `${srv.url}/a.png` }));
    assertEquals(ok.status, 200);
    assertEquals(ok.headers.get("content-type"), "image/png");
    assertEquals(new Uint8Array(await ok.arrayBuffer()), PNG);
  } finally {
    urlFetchTestHook.allowAddress = null;
    await srv.close();
    await t.close();
  }
});

Deno.test("[playground routes] an image URL declaring more pixels than the budget is a 422", async () => {
  const t = await testApp();
  // A valid PNG header declaring 20000×20000 (the IDAT is never inflated).
  const huge = PNG.slice();
  new DataView(huge.buffer).setUint32(16, 20000);
  new DataView(huge.buffer).setUint32(20, 20000);
  const srv = serveLoopback(huge, "image/png");
  urlFetchTestHook.allowAddress = (a) => a === "127.0.0.1";
  try {
    const res = await t.request(
      "/api/inference/fetch-url",
      jsonPost({ url: `${srv.url}/big.png` }),
    );
    assertEquals(res.status, 422);
    assertStringIncludes((await res.json()).error.message, "20000×20000");
  } finally {
    urlFetchTestHook.allowAddress = null;
    await srv.close();
    await t.close();
  }
});

Deno.test("[playground routes] the endpoint proxy validates the request and the pixel budget before calling", async () => {
  const t = await testApp();
  try {
    const b64 = btoa(String.fromCharCode(...PNG));
    const body = { dataframe_split: { columns: ["image"], data: [[b64]] } };
    assertEquals(
      (await t.request("/api/inference/invoke?endpoint=bad%20name", jsonPost(body))).status,
      400,
    );
    const noImage = { dataframe_split: { columns: ["x"], data: [[1]] } };
    assertEquals(
      (await t.request("/api/inference/invoke?endpoint=e1", jsonPost(noImage))).status,
      422,
    );
    const huge = PNG.slice();
    new DataView(huge.buffer).setUint32(16, 30000);
    new DataView(huge.buffer).setUint32(20, 30000);
    const big = {
      dataframe_split: { columns: ["image"], data: [[btoa(String.fromCharCode(...huge))]] },
    };
    assertEquals((await t.request("/api/inference/invoke?endpoint=e1", jsonPost(big))).status, 422);
    // The local workspace has no such endpoint: a clear error, never a 500.
    const res = await t.request("/api/inference/invoke?endpoint=e1", jsonPost(body));
    assert(res.status >= 400 && res.status < 500 || res.status === 501, `status ${res.status}`);
    assert((await res.json()).error.message.length > 0);
  } finally {
    await t.close();
  }
});

Deno.test("[playground routes] an in-browser session is logged to History once, with its backend; the History link reopens it", async () => {
  const t = await withModel();
  try {
    resetSessions();
    const key = "version:main.cv.tiny:1";
    const post = (body: unknown) => t.request("/api/inference/sessions", jsonPost(body));
    let res = await post({ model: key, backend: "wasm" });
    assertEquals(res.status, 200);
    assertEquals(await res.json(), { logged: true, model: key, backend: "wasm" });
    // The same model again in the half hour, even on another backend: no second event.
    res = await post({ model: key, backend: "webgpu" });
    assertEquals((await res.json()).logged, false);
    const page = await queryActivity({ type: "inference" });
    assertEquals(page.items.length, 1);
    const [a] = page.items;
    assertEquals([a.what, a.subject, a.details], [
      "started inference session",
      `inference:${key}`,
      { backend: "wasm" },
    ]);
    // History's link for it opens the Playground with the model chosen.
    const html = await (await t.request(subjectHref(a.subject)!)).text();
    const props = /data-island="PlaygroundModel"[^>]*data-props="([^"]*)"/.exec(html)?.[1] ?? "";
    const parsed = JSON.parse(props.replaceAll("&quot;", '"').replaceAll("&amp;", "&"));
    assertEquals(parsed.initial, { key });
    // Nothing is logged on a GET.
    res = await t.request(`/api/inference/sessions?model=${key}&backend=wasm`);
    assertEquals(res.status, 405);
    await res.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("[playground routes] a session for a model the Playground does not offer, or on no browser backend, is a 4xx naming the field", async () => {
  const t = await withModel();
  try {
    const post = (body: unknown) => t.request("/api/inference/sessions", jsonPost(body));
    const cases: [unknown, number, string, string][] = [
      [{ backend: "wasm" }, 422, "model", "Playground key"],
      [{ model: "", backend: "wasm" }, 422, "model", "Playground key"],
      [{ model: "version:main.cv.tiny:1" }, 422, "backend", '"wasm" or "webgpu"'],
      [{ model: "version:main.cv.tiny:1", backend: "endpoint" }, 422, "backend", "webgpu"],
      [{ model: "version:main.cv.tiny:9", backend: "wasm" }, 422, "model", "no version 9"],
      [{ model: "version:main.cv.nope:1", backend: "wasm" }, 422, "model", "main.cv.nope"],
      [{ model: "run:no-such-run", backend: "wasm" }, 422, "model", "no-such-run"],
      [{ model: "endpoint:e1", backend: "webgpu" }, 422, "model", "serving endpoint"],
      [{ model: "nonsense", backend: "wasm" }, 422, "model", "names no model"],
    ];
    for (const [body, status, field, words] of cases) {
      const res = await post(body);
      const what = JSON.stringify(body);
      assertEquals(res.status, status, what);
      const err = (await res.json()).error;
      assertStringIncludes(err.message, `${field}: `, what);
      assertStringIncludes(err.message, words, what);
    }
    assertEquals((await queryActivity({ type: "inference" })).items, [], "nothing was logged");
    const notJson = await t.request("/api/inference/sessions", {
      ...jsonPost({}),
      body: "model=x",
      headers: { ...jsonPost({}).headers, "content-type": "text/plain" },
    });
    assertEquals(notJson.status, 415);
    await notJson.body?.cancel();
  } finally {
    await t.close();
  }
});
