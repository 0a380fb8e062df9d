/**
 * The launch form's "What will run" names the config file of the version picked (the file the
 * launch hands to train.py), not a `<name>/v<N>` placeholder.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { stopMonitor } from "@/lib/training/refresh.ts";
import { jsonPost, testApp } from "./helpers.ts";
import { tinyConfig, VOLUME } from "./training_testing.ts";

Deno.test({
  name: "[launch form] What will run shows the chosen version's config file, which exists",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const app = await testApp();
    try {
      for (const lr of [0.001, 0.002]) {
        const doc = tinyConfig(VOLUME);
        (doc.model as Record<string, unknown>).learning_rate = lr;
        const res = await app.request("/api/configs", jsonPost({ name: "shapes", doc }));
        assertEquals(res.status, 201);
        await res.body?.cancel();
      }
      for (const [query, version] of [["?config=shapes@1", 1], ["", 2]] as const) {
        const html = await (await app.request(`/training/new${query}`)).text();
        const cmd = html.match(/data-testid="command"[^>]*>([^<]*)</)?.[1] ?? "";
        const path = `${VOLUME}/configs/shapes/v${version}.yaml`;
        assertStringIncludes(cmd, `--config ${path} `, query);
        assert(!cmd.includes("&lt;name&gt;"), cmd);
        // the file the preview names is the one the saved version was written to
        assert(await app.workspace.files.stat(path), path);
      }
    } finally {
      stopMonitor();
      await app.close();
    }
  },
});
