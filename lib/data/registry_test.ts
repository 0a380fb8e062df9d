import { assertEquals } from "@/tests/assert.ts";
import type { ScanCache } from "./cache.ts";
import { ScanRegistry } from "./registry.ts";
import { MemoryFiles } from "./testing.ts";
import type { ScanResult } from "./types.ts";

const COCO = JSON.stringify({
  images: [{ id: 1, file_name: "a.jpg", width: 10, height: 10 }],
  annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 2, 2], area: 4, iscrowd: 0 }],
  categories: [{ id: 1, name: "cat" }],
});

/** A cache whose `set` (the scan's very last step, after every abort check) waits for a go. */
class GatedCache implements ScanCache {
  reached = Promise.withResolvers<void>();
  release = Promise.withResolvers<void>();
  get(): Promise<ScanResult | null> {
    return Promise.resolve(null);
  }
  async set(): Promise<void> {
    this.reached.resolve();
    await this.release.promise;
  }
}

Deno.test("[scans] a scan cancelled at its last step is cancelled, not done", async () => {
  const files = new MemoryFiles({ "/Volumes/t/s/c/ann.json": COCO });
  const cache = new GatedCache();
  const scans = new ScanRegistry();
  const rec = scans.start({ path: "/Volumes/t/s/c/ann.json", format: "coco" }, files, cache);
  await cache.reached.promise;
  assertEquals(scans.cancel(rec.id), true);
  cache.release.resolve();
  const end = await scans.wait(rec.id, 5_000);
  assertEquals([end?.status, end?.result], ["cancelled", undefined]);
  await new Promise((r) => setTimeout(r, 20));
  assertEquals(scans.get(rec.id)?.status, "cancelled");
  assertEquals(scans.cancel(rec.id), false);
});
