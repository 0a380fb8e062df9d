/**
 * Names and ids too long for a Deno KV key ("Key too large") are a 400 naming the field and the
 * limit, and a save based on a stale version is a 409 naming both versions.
 */
import { assert, assertEquals } from "./assert.ts";
import { jsonPost, testApp } from "./helpers.ts";
import { stringifyConfig } from "@/lib/config/yaml_io.ts";
import { newConfig } from "@/lib/config/templates.ts";

const LONG = "a".repeat(3_000);

Deno.test("[kv keys] names and ids over the limit are a 400 naming the field, on pages and APIs", async () => {
  const app = await testApp();
  try {
    for (
      const [path, field] of [
        [`/api/configs/${LONG}`, "name"],
        [`/configs/${LONG}`, "name"],
        [`/api/configs/${LONG}/yaml?v=1`, "name"],
        [`/api/runs/${LONG}`, "run id"],
        [`/training/${LONG}`, "run id"],
      ]
    ) {
      const res = await app.request(path);
      const body = await res.text();
      assertEquals(res.status, 400, `${path.slice(0, 40)}: ${body.slice(0, 200)}`);
      assert(body.includes(`The ${field} is too long`), `${path.slice(0, 30)}: ${body}`);
    }
  } finally {
    await app.close();
  }
});

Deno.test("[kv keys] saving from a stale base version answers 409 naming both versions", async () => {
  const app = await testApp();
  try {
    const doc = newConfig("detection", "facebook/detr-resnet-50", {
      volume: app.settings.volume,
      email: "a@b.c",
    });
    const yaml = stringifyConfig(doc);
    for (const baseVersion of [undefined, 1]) {
      const res = await app.request("/api/configs", jsonPost({ name: "detr", yaml, baseVersion }));
      assertEquals(res.status, 201, await res.text());
    }
    const stale = await app.request(
      "/api/configs",
      jsonPost({ name: "detr", yaml, baseVersion: 1 }),
    );
    assertEquals(stale.status, 409);
    assert(stale.headers.get("content-type")?.includes("application/json"));
    const text = await stale.text();
    assert(text.includes("v1") && text.includes("v2"), text);
  } finally {
    await app.close();
  }
});
