import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { HttpError } from "@/lib/errors.ts";
import { ImageTooLargeError } from "./budget.ts";
import {
  closeDecodePool,
  colorizeMaskOffThread,
  decodeImageOffThread,
  decodePngOffThread,
  decodePoolStats,
  setInlineMaxPixels,
  thumbnailOffThread,
} from "./decode_pool.ts";
import { classRgb } from "@/lib/data/colors.ts";
import { colorizeMask } from "./label_maps.ts";
import { decodePng, encodePng } from "./png.ts";
import { decodeRgba, thumbnailJpeg } from "./rgba.ts";
import { craftedPng } from "./testing.ts";

/** Runs `fn` with every decode sent to a worker, and stops the pool afterwards. */
async function offThread(fn: () => Promise<void>) {
  const old = setInlineMaxPixels(0);
  try {
    await fn();
  } finally {
    setInlineMaxPixels(old);
    closeDecodePool();
  }
}

Deno.test("[decode_pool] an image over the budget is refused on the calling thread; no worker starts", async () => {
  closeDecodePool();
  await offThread(async () => {
    const bomb = craftedPng(20000, 20000);
    for (const p of [colorizeMaskOffThread(bomb, "m.png"), decodeImageOffThread(bomb, "m.png")]) {
      const e = await assertRejects(() => p, ImageTooLargeError, "m.png is 20000×20000");
      assertEquals(e.status, 422);
    }
    assertEquals(decodePoolStats().workers, 0);
  });
});

Deno.test("[decode_pool] a worker gives the same results as an in-thread decode, and the same errors", async () => {
  await offThread(async () => {
    const rgb = Array.from({ length: 40 * 30 * 3 }, (_, i) => (i * 7) & 255);
    const photo = encodePng({ width: 40, height: 30, channels: 3, data: rgb });
    const mask = encodePng({ width: 6, height: 1, channels: 1, data: [0, 1, 2, 3, 255, 4] });
    assertEquals(await decodeImageOffThread(photo, "p.png"), decodeRgba(photo, "p.png"));
    assertEquals(await decodePngOffThread(mask, "m.png"), decodePng(mask));
    assertEquals(await colorizeMaskOffThread(mask, "m.png"), colorizeMask(mask, classRgb));
    assertEquals(await thumbnailOffThread(photo, 20, "p.png"), thumbnailJpeg(photo, 20, "p.png"));
    assert(decodePoolStats().workers >= 1, "a worker ran them");
    const e = await assertRejects(
      () => colorizeMaskOffThread(photo, "p.png"),
      HttpError,
      "p.png has 3 channels",
    );
    assertEquals(e.status, 422);
    const bad = new Uint8Array(photo);
    bad.fill(7, 40); // keep the header, break the image data
    await assertRejects(() => decodePngOffThread(bad, "b.png"), Error, "PNG");
  });
});

Deno.test("[decode_pool] the request thread keeps running while a big mask is decoded in a worker", async () => {
  await offThread(async () => {
    const w = 2000, h = 2000;
    const ids = new Uint8Array(w * h);
    for (let i = 0; i < ids.length; i++) ids[i] = (i >> 9) % 7;
    const mask = encodePng({ width: w, height: h, channels: 1, data: ids }, { filter: "none" });
    await colorizeMaskOffThread(encodePng({ width: 1, height: 1, channels: 1, data: [1] }), "w");
    let ticks = 0, done = false;
    const ticker = (async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, 1));
        ticks++;
      }
    })();
    const t0 = performance.now();
    const out = await colorizeMaskOffThread(mask, "big.png");
    const ms = performance.now() - t0;
    done = true;
    await ticker;
    const d = decodePng(out);
    assertEquals([d.width, d.height, d.channels], [w, h, 4]);
    assert(ticks >= Math.min(5, ms / 20), `the main thread ticked ${ticks} times in ${ms} ms`);
  });
});
