import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import { HttpError } from "@/lib/errors.ts";
import { ImageTooLargeError } from "./budget.ts";
import {
  classCountsOffThread,
  classMapOffThread,
  closeDecodePool,
  colorizeMaskOffThread,
  decodeImageOffThread,
  decodePngOffThread,
  decodePoolStats,
  panopticMapOffThread,
  segmentAreasOffThread,
  setDecodeTimeoutMs,
  setInlineMaxPixels,
  thumbnailOffThread,
} from "./decode_pool.ts";
import { classRgb } from "@/lib/data/colors.ts";
import {
  colorizeMask,
  decodeClassCounts,
  decodeClassMap,
  decodePanopticMap,
  decodeSegmentAreas,
} from "./label_maps.ts";
import { decodePng, encodePng } from "./png.ts";
import { decodeRgba, thumbnailJpeg } from "./rgba.ts";
import { craftedPng, patternPng } from "./testing.ts";

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

Deno.test("[decode_pool] label maps and pixel counts come back from a worker as in-thread, errors too", async () => {
  await offThread(async () => {
    const W = 40, H = 30;
    const mask = patternPng(W, H, 1, (i) => (i >> 4) % 6);
    const ids = Array.from({ length: W * H }, (_, i) => [0, 300, 70000][(i >> 5) % 3]);
    const rgb = new Uint8Array(W * H * 3);
    ids.forEach((id, k) => rgb.set([id & 255, (id >> 8) & 255, id >> 16], k * 3));
    const pan = encodePng({ width: W, height: H, channels: 3, data: rgb });
    assertEquals(await classMapOffThread(mask, "m.png"), decodeClassMap(mask));
    assertEquals(await panopticMapOffThread(pan, "p.png"), decodePanopticMap(pan));
    assertEquals(await classCountsOffThread(mask, "m.png"), decodeClassCounts(mask));
    assertEquals(await segmentAreasOffThread(pan, "p.png"), decodeSegmentAreas(pan));
    assertEquals((await classCountsOffThread(pan, "p.png")).counts, null);
    assert(decodePoolStats().workers >= 1, "a worker ran them");
    // the map is its own buffer, moved across whole
    const m = await panopticMapOffThread(pan, "p.png");
    assertEquals([m.data.byteLength, m.data.buffer.byteLength], [W * H * 4, W * H * 4]);
    await assertRejects(
      () => classMapOffThread(pan, "p.png"),
      Error,
      "colour pixel (44, 1, 0) at x=32, y=0: expected a class-index (greyscale or palette) PNG",
    );
    await assertRejects(
      () => panopticMapOffThread(mask, "m.png"),
      Error,
      "expected an RGB panoptic PNG (id = R + 256*G + 65536*B)",
    );
  });
});

Deno.test("[decode_pool] a worker decode past its deadline is a 422 and its worker is stopped", async () => {
  await offThread(async () => {
    const w = 2000, h = 2000;
    const big = patternPng(w, h, 1, (i) => (i >> 7) % 5, {}, { filter: "none" });
    await classMapOffThread(encodePng({ width: 1, height: 1, channels: 1, data: [1] }), "w");
    assertEquals(decodePoolStats().workers, 1);
    const old = setDecodeTimeoutMs(1);
    try {
      const e = await assertRejects(
        () => classMapOffThread(big, "big.png"),
        HttpError,
        "big.png took longer than 0.001 s to decode.",
      );
      assertEquals(e.status, 422);
      assertEquals(decodePoolStats().workers, 0, "the worker was terminated");
    } finally {
      setDecodeTimeoutMs(old);
    }
    assertEquals((await classMapOffThread(big, "big.png")).data.length, w * h, "a new worker");
  });
});
