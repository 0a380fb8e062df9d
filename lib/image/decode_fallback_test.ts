/**
 * Where no decode worker can start (a runtime without `Worker`, a constructor that throws, a
 * worker whose modules fail to load) decodes still succeed: in-thread, with one warning in the
 * log, the same results and errors, the pixel budget checked from the header first, the deadline
 * still applied, and the event loop given a turn between decodes.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@/tests/assert.ts";
import { HttpError } from "@/lib/errors.ts";
import { ImageTooLargeError } from "./budget.ts";
import {
  classMapOffThread,
  closeDecodePool,
  decodePoolStats,
  panopticMapOffThread,
  segmentAreasOffThread,
  setDecodeTimeoutMs,
  setInlineMaxPixels,
  setWorkerFactory,
} from "./decode_pool.ts";
import { decodeClassMap, decodePanopticMap, decodeSegmentAreas } from "./label_maps.ts";
import { craftedPng, patternPng } from "./testing.ts";

const W = 30, H = 20;
const mask = patternPng(W, H, 1, (i) => i % 4);
const pan = patternPng(W, H, 3, (i) => (i % 3 === 1 ? (i >> 6) & 3 : 7));

type Scope = { Worker?: typeof Worker };

/**
 * Runs `fn` with every decode sent to the pool, `Worker` replaced by `worker` (undefined: none
 * at all), the warnings it logs collected; everything is put back afterwards.
 */
async function withWorker(
  worker: typeof Worker | undefined,
  fn: (warnings: string[]) => Promise<void>,
) {
  const scope = globalThis as Scope;
  const real = scope.Worker;
  const realWarn = console.warn;
  const warnings: string[] = [];
  console.warn = (...a: unknown[]) => warnings.push(a.join(" "));
  const old = setInlineMaxPixels(0);
  setWorkerFactory(null); // the real factory, which reads globalThis.Worker when it is called
  if (worker) scope.Worker = worker;
  else delete scope.Worker;
  try {
    await fn(warnings);
  } finally {
    scope.Worker = real;
    console.warn = realWarn;
    setInlineMaxPixels(old);
    closeDecodePool();
    setWorkerFactory(null);
  }
}

/** Decodes that must give what an in-thread decode gives, with no worker running. */
async function decodesInThread(warnings: string[]) {
  assertEquals(await classMapOffThread(mask, "m.png"), decodeClassMap(mask));
  assertEquals(await panopticMapOffThread(pan, "p.png"), decodePanopticMap(pan));
  assertEquals(await segmentAreasOffThread(pan, "p.png"), decodeSegmentAreas(pan));
  await assertRejects(
    () => panopticMapOffThread(mask, "m.png"),
    Error,
    "expected an RGB panoptic PNG",
  );
  const e = await assertRejects(
    () => classMapOffThread(craftedPng(20000, 20000), "bomb.png"),
    ImageTooLargeError,
    "bomb.png is 20000×20000",
  );
  assertEquals(e.status, 422);
  const s = decodePoolStats();
  assertEquals([s.workers, s.inThread], [0, true]);
  assertEquals(warnings.length, 1, "one warning, however many decodes");
  assertStringIncludes(warnings[0], "a decode worker could not start");
}

Deno.test("[decode_pool/fallback] a Worker constructor that throws: decodes run in-thread", async () => {
  let tries = 0;
  class Refused {
    constructor() {
      tries++;
      throw new Error("workers are not offered here");
    }
  }
  await withWorker(Refused as unknown as typeof Worker, async (warnings) => {
    await decodesInThread(warnings);
    assertStringIncludes(warnings[0], "workers are not offered here");
    assertEquals(tries, 1, "not tried again for every decode");
  });
});

Deno.test("[decode_pool/fallback] a runtime without Worker: decodes run in-thread", async () => {
  await withWorker(undefined, async (warnings) => {
    await decodesInThread(warnings);
    assertStringIncludes(warnings[0], "no Worker");
  });
});

Deno.test("[decode_pool/fallback] a worker that fails while loading: its decode is redone in-thread", async () => {
  await withWorker(globalThis.Worker, async (warnings) => {
    setWorkerFactory(() =>
      new Worker("data:text/javascript,throw new Error('cannot load the decoder')", {
        type: "module",
      })
    );
    await decodesInThread(warnings);
    assertStringIncludes(warnings[0], "cannot load the decoder");
  });
});

Deno.test("[decode_pool/fallback] in-thread decodes keep the deadline and let timers run between them", async () => {
  await withWorker(undefined, async (warnings) => {
    const w = 1500, h = 1000;
    const big = patternPng(w, h, 1, (i) => (i >> 6) % 7, {}, { filter: "none" });
    let ticks = 0, done = false;
    const ticker = (async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, 1));
        ticks++;
      }
    })();
    const maps = await Promise.all([1, 2, 3].map((k) => classMapOffThread(big, `big${k}.png`)));
    done = true;
    await ticker;
    for (const m of maps) assertEquals(m, decodeClassMap(big));
    assert(ticks >= 2, `timers ran ${ticks} times among 3 queued decodes`);
    const old = setDecodeTimeoutMs(0);
    try {
      const e = await assertRejects(
        () => classMapOffThread(big, "big.png"),
        HttpError,
        "big.png took longer than 0 s to decode.",
      );
      assertEquals(e.status, 422);
    } finally {
      setDecodeTimeoutMs(old);
    }
    assertEquals(warnings.length, 1);
  });
});
