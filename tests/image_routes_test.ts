import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { testApp } from "./helpers.ts";
import { craftedJpeg, craftedPng } from "@/lib/image/testing.ts";
import { encodePng } from "@/lib/image/png.ts";
import { closeDecodePool } from "@/lib/image/decode_pool.ts";

const VOL = "/Volumes/main/cv/data";
const fileUrl = (p: string, q: string) =>
  `/api/data/file?path=${encodeURIComponent(`${VOL}/${p}`)}&${q}`;

async function withApp(fn: (app: Awaited<ReturnType<typeof testApp>>) => Promise<void>) {
  const app = await testApp();
  try {
    await Deno.mkdir(`${app.dataDir}/volumes/main/cv/data/img`, { recursive: true });
    await fn(app);
  } finally {
    closeDecodePool();
    await app.close();
  }
}

Deno.test("[image routes] a 20000×20000 PNG mask overlay is a fast 422 naming the file and its size", async () => {
  await withApp(async (app) => {
    const bomb = craftedPng(20000, 20000);
    await Deno.writeFile(`${app.dataDir}/volumes/main/cv/data/img/bomb.png`, bomb);
    const rss0 = Deno.memoryUsage().rss;
    const t0 = performance.now();
    const res = await app.request(fileUrl("img/bomb.png", "overlay=mask"), {
      headers: { accept: "application/json" },
    });
    const ms = performance.now() - t0;
    assertEquals(res.status, 422);
    assertStringIncludes(res.headers.get("content-type") ?? "", "application/json");
    const body = await res.json();
    assertStringIncludes(body.error.message, `${VOL}/img/bomb.png is 20000×20000 (400 megapixels)`);
    assert(ms < 2000, `answered in ${ms.toFixed(0)} ms`);
    const grew = (Deno.memoryUsage().rss - rss0) / 1e6;
    assert(grew < 200, `no 400 MB allocation (RSS grew ${grew.toFixed(0)} MB)`);
  });
});

Deno.test("[image routes] overlay=mask on a non-PNG is a 4xx naming the problem", async () => {
  await withApp(async (app) => {
    const dir = `${app.dataDir}/volumes/main/cv/data/img`;
    await Deno.writeFile(`${dir}/photo.jpg`, craftedJpeg(10, 10));
    await Deno.writeFile(`${dir}/fake.png`, craftedJpeg(10, 10));
    await Deno.writeFile(
      `${dir}/rgb.png`,
      encodePng({ width: 1, height: 1, channels: 3, data: [1, 2, 3] }),
    );
    const json = { headers: { accept: "application/json" } };
    const jpg = await app.request(fileUrl("img/photo.jpg", "overlay=mask"), json);
    assertEquals(jpg.status, 400);
    assertStringIncludes((await jpg.json()).error.message, "photo.jpg is not a PNG");
    const fake = await app.request(fileUrl("img/fake.png", "overlay=mask"), json);
    assertEquals(fake.status, 422);
    assertStringIncludes(
      (await fake.json()).error.message,
      `${VOL}/img/fake.png cannot be shown as a mask overlay: not a PNG file`,
    );
    const rgb = await app.request(fileUrl("img/rgb.png", "overlay=mask"), json);
    assertEquals(rgb.status, 422);
    assertStringIncludes((await rgb.json()).error.message, "has 3 channels");
  });
});

Deno.test("[image routes] a thumbnail of an image over the budget serves the original, undecoded", async () => {
  await withApp(async (app) => {
    const bomb = craftedPng(20000, 20000);
    await Deno.writeFile(`${app.dataDir}/volumes/main/cv/data/img/bomb.png`, bomb);
    const res = await app.request(fileUrl("img/bomb.png", "thumb=192"));
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type"), "image/png");
    assertEquals(new Uint8Array(await res.arrayBuffer()), bomb);
  });
});
