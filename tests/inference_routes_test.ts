/**
 * The Playground's page and API routes in memory: the model list and deep links, what the browser
 * learns before downloading (size, checksum, model.json, threshold), run exports, the URL
 * fetcher behind its SSRF guard (a 127.0.0.1 server refused; allowed only through the test
 * hook), and the endpoint proxy's validation and pixel budget.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { urlFetchTestHook } from "@/lib/inference/url_fetch.ts";
import { importModel } from "@/lib/registry/register.ts";
import { sha256Hex } from "@/lib/workspace/local/registry.ts";
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
