import { assertEquals } from "./assert.ts";
import { scans } from "@/lib/data/registry.ts";
import { queryActivity } from "@/lib/store/activity.ts";
import { jsonPost, testApp } from "./helpers.ts";

Deno.test({
  name: "[data scans] a scan is logged when it ends, as what happened: a failed scan as failed",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const app = await testApp();
    try {
      const V = app.settings.volume;
      await app.workspace.files.write(`${V}/flowers/rose/a.png`, "x");
      const scan = async (path: string) => {
        const res = await app.request("/api/data/scans", jsonPost({ path }));
        assertEquals(res.status, 202);
        const id = (await res.json()).id;
        await scans.wait(id);
        // the end is logged right after the record settles
        for (let i = 0; i < 50; i++) {
          const page = await queryActivity({ limit: 20 });
          const hit = page.items.find((a) => a.details?.scanId === id);
          if (hit) return hit;
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error(`no activity for scan ${id}`);
      };
      const bad = await scan(`${V}/no-such-folder`);
      assertEquals(bad.what, "scan failed");
      assertEquals(bad.subject, `dataset:${V}/no-such-folder`);
      const good = await scan(`${V}/flowers`);
      assertEquals(good.what, "scanned dataset");
    } finally {
      await app.close();
    }
  },
});
