/**
 * The Model Registry pages on the local workspace: import through the form, browse, card edit
 * (rendered safely), downloads, alias confirmation, move, undo, and errors that keep the form.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { formPost, testApp } from "@/tests/helpers.ts";

const FIX = new URL("./fixtures/onnx/tiny_classifier/", import.meta.url);
const onnx = await Deno.readFile(new URL("model.onnx", FIX));
const modelJson = await Deno.readTextFile(new URL("model.json", FIX));

function importPost(fields: Record<string, string>, onnxBytes = onnx, json = modelJson) {
  const fd = new FormData();
  fd.set("action", "import");
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  fd.set("onnx", new File([onnxBytes as Uint8Array<ArrayBuffer>], "model.onnx"));
  fd.set("model_json", new File([json], "model.json"));
  return {
    method: "POST",
    headers: { origin: "http://localhost", "sec-fetch-site": "same-origin" },
    body: fd,
  };
}

Deno.test("[registry routes] import → version page → card edit → download → alias move → undo", async () => {
  const t = await testApp();
  try {
    let res = await t.request("/models");
    assertEquals(res.status, 200);
    assertStringIncludes(await res.text(), "No registered models yet");

    res = await t.request(
      "/models",
      importPost({ name: "main.cv.tiny", aliases: "champion", description: "v1" }),
    );
    assertEquals(res.status, 303);
    assertEquals(res.headers.get("location")?.startsWith("/models/main.cv.tiny/1?notice="), true);
    await t.request("/models", importPost({ name: "main.cv.tiny", description: "v2" }));

    res = await t.request("/models");
    let html = await res.text();
    assertStringIncludes(html, "main.cv.tiny");
    assertStringIncludes(html, "champion → v1");

    res = await t.request("/models/main.cv.tiny");
    html = await res.text();
    assertEquals(res.status, 200);
    assertStringIncludes(html, "v2");
    assertStringIncludes(html, "Compare versions");

    res = await t.request("/models/main.cv.tiny/2");
    html = await res.text();
    assertEquals(res.status, 200);
    assertStringIncludes(html, "Classes (4): cat, dog, bird, fish");
    assertStringIncludes(html, "/models/main.cv.tiny/2/files/model.onnx");

    res = await t.request(
      "/models/main.cv.tiny/2",
      formPost({ card: "# Mine\n\n<script>alert(1)</script> **bold**" }),
    );
    assertEquals(res.status, 303);
    html = await (await t.request("/models/main.cv.tiny/2")).text();
    assertStringIncludes(html, "&lt;script&gt;alert(1)&lt;/script&gt; <strong>bold</strong>");
    assert(!html.includes("<script>alert(1)"), "raw script rendered");

    res = await t.request("/models/main.cv.tiny/2/files/model.onnx");
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type"), "application/octet-stream");
    assertEquals(new Uint8Array(await res.arrayBuffer()), onnx);
    res = await t.request("/models/main.cv.tiny/2/files/passwd");
    assertEquals(res.status, 404);

    res = await t.request("/models/main.cv.tiny/alias?alias=champion&version=2");
    html = await res.text();
    assertEquals(res.status, 200);
    assertStringIncludes(
      html,
      "moves from <strong>version 1</strong> to <strong>version 2</strong>",
    );

    // A stale confirmation (someone else moved it) is refused.
    res = await t.request(
      "/models/main.cv.tiny/alias",
      formPost({ alias: "champion", version: "2", from: "" }),
    );
    assertEquals(res.status, 409);

    res = await t.request(
      "/models/main.cv.tiny/alias",
      formPost({ alias: "champion", version: "2", from: "1" }),
    );
    assertEquals(res.status, 303);
    const loc = new URL(res.headers.get("location")!, "http://localhost");
    const undo = loc.searchParams.get("undo")!;
    assert(undo, "undo id in redirect");
    assertEquals((await t.workspace.registry.getByAlias("main.cv.tiny", "champion")).version, "2");

    html = await (await t.request("/history")).text();
    assertStringIncludes(html, `name="activity" value="${undo}"`);
    html = await (await t.request(`${loc.pathname}${loc.search}`)).text();
    assertStringIncludes(html, "Undo this move");
    res = await t.request("/models/undo", formPost({ activity: undo }));
    assertEquals(res.status, 303);
    assertEquals((await t.workspace.registry.getByAlias("main.cv.tiny", "champion")).version, "1");

    res = await t.request("/models/main.cv.tiny/compare?a=1&b=2");
    assertEquals(res.status, 200);
    assertStringIncludes(await res.text(), "One of the versions has no config lineage");

    // An alias move shows up in History with an Undo button.
    html = await (await t.request("/history")).text();
    assertStringIncludes(html, "moved alias");
    assertStringIncludes(html, "undone");
  } finally {
    await t.close();
  }
});

Deno.test("[registry routes] a refused import keeps the form and says why", async () => {
  const t = await testApp();
  try {
    const res = await t.request(
      "/models",
      importPost({ name: "bad name", description: "keep me" }),
    );
    assertEquals(res.status, 400);
    const html = await res.text();
    assertStringIncludes(html, "Model name:");
    assertStringIncludes(html, "keep me");
    const res2 = await t.request(
      "/models",
      importPost({ name: "main.cv.x" }, onnx.slice(0, 50)),
    );
    assertEquals(res2.status, 400);
    assertStringIncludes(await res2.text(), "not a valid ONNX model");
    const res3 = await t.request("/models/main.cv.nothing");
    assertEquals(res3.status, 404);
    const res4 = await t.request("/models/main.cv.nothing/1/files/model.onnx");
    assertEquals(res4.status, 404);
  } finally {
    await t.close();
  }
});
