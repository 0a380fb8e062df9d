/**
 * The evaluation readers over an EvalSource other than the disk: files read ahead and finishing
 * in any order give exactly the disk's numbers (segment IoUs are float sums, so images must be
 * added in a fixed order), at most `readAhead` images are in flight and never more decoded
 * bytes than the source's budget, and the first failing file in order is the one reported
 * whichever read failed first.
 */
import { assert, assertEquals, assertRejects } from "@/tests/assert.ts";
import * as posix from "node:path/posix";
import { encodePng } from "../image/png.ts";
import { decodeClassMap, decodePanopticMap } from "../image/label_maps.ts";
import {
  ByteBudget,
  type EvalSource,
  evaluatePanopticFiles,
  evaluateSemsegFiles,
} from "./eval_files.ts";
import { MetricsInputError } from "./input_error.ts";
import { HttpError } from "../errors.ts";

const R = "/Volumes/c/s/v";

function rng(seed: number) {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** A Map source whose reads take `delay(path)` ms; counts reads in flight. */
function mapSource(
  files: Map<string, Uint8Array>,
  readAhead: number,
  delay: (p: string) => number,
) {
  const stats = { inFlight: 0, maxInFlight: 0, order: [] as string[] };
  const src: EvalSource = {
    async readBytes(path) {
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      await new Promise((r) => setTimeout(r, delay(path)));
      stats.inFlight--;
      stats.order.push(path);
      const b = files.get(path);
      if (!b) throw new MetricsInputError(path, "", "file not found");
      return b;
    },
    stat(path) {
      if (files.has(path)) return Promise.resolve({ isDirectory: false });
      if ([...files.keys()].some((k) => k.startsWith(path + "/"))) {
        return Promise.resolve({ isDirectory: true });
      }
      return Promise.reject(new MetricsInputError(path, "", "file not found"));
    },
    listPngs(dir) {
      return Promise.resolve(
        [...files.keys()].filter((k) => posix.dirname(k) === dir && k.endsWith(".png"))
          .map((k) => posix.basename(k)).sort(),
      );
    },
    classMap: (bytes) => Promise.resolve(decodeClassMap(bytes)),
    panopticMap: (bytes) => Promise.resolve(decodePanopticMap(bytes)),
    path: posix,
    readAhead,
  };
  return { src, stats };
}

/** 12 panoptic images with boxes of random sizes (uneven IoUs), 2 of them not predicted. */
function panopticFiles() {
  const r = rng(99);
  const W = 24, H = 16;
  const files = new Map<string, Uint8Array>();
  const rgb = (ids: number[]) => {
    const out = new Uint8Array(W * H * 3);
    ids.forEach((id, k) => out.set([id & 255, (id >> 8) & 255, id >> 16], k * 3));
    return out;
  };
  const inBox = (k: number, x0: number, y0: number, w: number, h: number) => {
    const x = k % W, y = Math.floor(k / W);
    return x >= x0 && x < x0 + w && y >= y0 && y < y0 + h;
  };
  const anns = [], preds = [];
  for (let i = 1; i <= 12; i++) {
    const x = Math.floor(r() * 8), y = Math.floor(r() * 6), w = 6 + Math.floor(r() * 8);
    const dx = Math.floor(r() * 5) - 2, dw = Math.floor(r() * 5) - 2;
    const g = [], p = [];
    for (let k = 0; k < W * H; k++) {
      g.push(inBox(k, x, y, w, 7) ? 300 : k < W * 2 ? 1 : 0);
      p.push(inBox(k, x + dx, y, w + dw, 7) ? 40 : k < W * (2 + (i % 2)) ? 2 : 0);
    }
    files.set(`${R}/gt/${i}.png`, encodePng({ width: W, height: H, channels: 3, data: rgb(g) }));
    anns.push({
      image_id: i,
      file_name: `${i}.png`,
      segments_info: [{ id: 300, category_id: 1 }, { id: 1, category_id: 2 }],
    });
    if (i % 6 === 0) continue;
    files.set(
      `${R}/run/predictions/val/${i}.png`,
      encodePng({ width: W, height: H, channels: 3, data: rgb(p) }),
    );
    preds.push({
      image_id: i,
      png: `val/${i}.png`,
      segments_info: [{ id: 40, category_id: 1 }, { id: 2, category_id: 2 }],
    });
  }
  const enc = new TextEncoder();
  files.set(
    `${R}/gt.json`,
    enc.encode(JSON.stringify({
      annotations: anns,
      categories: [{ id: 1, name: "car", isthing: 1 }, { id: 2, name: "sky", isthing: 0 }],
    })),
  );
  files.set(`${R}/run/predictions/val.json`, enc.encode(JSON.stringify(preds)));
  return files;
}

const pan = (src: EvalSource) =>
  evaluatePanopticFiles(`${R}/gt.json`, `${R}/gt`, `${R}/run/predictions/val.json`, undefined, src);

/** Later files finish first: the reverse of the order they are asked for. */
const reverse = (p: string) => 20 - Number(posix.basename(p, ".png")) || 1;

Deno.test("[eval files/source] reads finishing out of order give the in-order numbers exactly", async () => {
  const files = panopticFiles();
  const one = mapSource(files, 1, () => 0);
  const ahead = mapSource(files, 4, reverse);
  const want = await pan(one.src);
  assertEquals(want.missing, 2);
  assert(want.all.pq > 0 && want.all.pq < 1, `PQ ${want.all.pq}`);
  assertEquals(await pan(ahead.src), want);
  // reads overlapped (2 files per image), never more than 4 images' worth
  assert(ahead.stats.maxInFlight > 2, `in flight ${ahead.stats.maxInFlight}`);
  assert(ahead.stats.maxInFlight <= 8, `in flight ${ahead.stats.maxInFlight}`);
  assertEquals(one.stats.maxInFlight, 2, "one image: its prediction and ground truth");
  const order = ahead.stats.order.filter((p) => p.endsWith(".png"));
  assert(
    order.join() !== one.stats.order.filter((p) => p.endsWith(".png")).join(),
    "the reads really did finish in another order",
  );
});

Deno.test("[eval files/source] semseg over a read-ahead source equals the one-at-a-time one", async () => {
  const r = rng(3);
  const W = 16, H = 12;
  const files = new Map<string, Uint8Array>();
  const rows = [];
  for (let i = 1; i <= 9; i++) {
    const g = new Uint8Array(W * H).map((_, k) => (k % W) < 8 ? 0 : r() < 0.1 ? 255 : 1);
    const p = g.map((v) => (r() < 0.25 ? (v + 1) % 2 : v === 255 ? 0 : v));
    files.set(`${R}/masks/m${i}.png`, encodePng({ width: W, height: H, channels: 1, data: g }));
    if (i === 4) continue;
    files.set(`${R}/pred/val/${i}.png`, encodePng({ width: W, height: H, channels: 1, data: p }));
    rows.push({ file_name: `m${i}.jpg`, mask_png: `val/${i}.png` });
  }
  files.set(`${R}/pred/val.json`, new TextEncoder().encode(JSON.stringify(rows)));
  const run = (src: EvalSource) =>
    evaluateSemsegFiles(`${R}/pred/val.json`, `${R}/masks`, { numClasses: 2 }, src);
  const want = await run(mapSource(files, 1, () => 0).src);
  assertEquals([want.images, want.missing], [9, 1]);
  assertEquals(await run(mapSource(files, 4, reverse).src), want);
});

Deno.test("[eval files/source] the first missing file in order is reported, not the first to fail", async () => {
  const files = panopticFiles();
  files.delete(`${R}/run/predictions/val/2.png`);
  files.delete(`${R}/run/predictions/val/4.png`);
  // 4.png fails long before 2.png does
  const { src } = mapSource(files, 4, (p) => (p.endsWith("/2.png") ? 30 : 1));
  await assertRejects(
    () => pan(src),
    MetricsInputError,
    `${R}/run/predictions/val/2.png: file not found`,
  );
});

Deno.test("[eval files/source] a decode error names the file; a stopped decoder is not a file's fault", async () => {
  const files = panopticFiles();
  files.set(`${R}/gt/3.png`, new TextEncoder().encode("not a png"));
  const { src } = mapSource(files, 4, () => 0);
  await assertRejects(() => pan(src), MetricsInputError, `${R}/gt/3.png: not a PNG file`);
  const stopped: EvalSource = {
    ...src,
    panopticMap: () => Promise.reject(new HttpError(503, "Image decoding was stopped.")),
  };
  const e = await assertRejects(() => pan(stopped), HttpError, "Image decoding was stopped.");
  assert(!(e instanceof MetricsInputError), "a 503, not a 400");
});

/**
 * `src` with the maps it makes counted: a map's bytes are held from the moment it exists at
 * least until both maps of its image have been handed over (an image cannot be scored before),
 * so the bytes of images whose maps are not all handed over are a floor under what the
 * evaluation holds. A map is handed over 2 ms after it is made, long enough for overlaps to be
 * seen. Images are told apart by file stem (a prediction and its ground truth share it).
 */
function countingMaps(src: EvalSource, files: Map<string, Uint8Array>) {
  const pathOf = new Map([...files].map(([p, b]) => [b, p]));
  const images = new Map<string, { bytes: number; making: number }>();
  const count = { floor: 0, peak: 0 };
  const counted = <M extends { data: ArrayBufferView }>(
    decode: (b: Uint8Array) => Promise<M>,
  ) =>
  async (bytes: Uint8Array) => {
    const m = await decode(bytes);
    const stem = posix.basename(pathOf.get(bytes)!, ".png");
    const im = images.get(stem) ?? { bytes: 0, making: 0 };
    images.set(stem, im);
    im.bytes += m.data.byteLength;
    im.making++;
    count.floor += m.data.byteLength;
    count.peak = Math.max(count.peak, count.floor);
    await new Promise((r) => setTimeout(r, 2));
    if (--im.making === 0) {
      count.floor -= im.bytes;
      im.bytes = 0;
    }
    return m;
  };
  const out: EvalSource = {
    ...src,
    classMap: counted(src.classMap),
    panopticMap: counted(src.panopticMap),
  };
  return { src: out, count };
}

Deno.test("[eval files/source] a run of large masks never holds more than the byte budget", async () => {
  const files = panopticFiles();
  const want = await pan(mapSource(files, 1, () => 0).src);
  const pair = 2 * 24 * 16 * 4; // two 24×16 panoptic maps of 4 bytes a pixel
  const sameLatency = () => 3; // reads come back together, as many as are asked for
  // without a byte bound, four images are read ahead and decoded at once
  const loose = countingMaps({ ...mapSource(files, 4, sameLatency).src }, files);
  loose.src.memory = new ByteBudget(100 * pair);
  assertEquals(await pan(loose.src), want);
  assert(loose.count.peak >= 4 * pair, `unbounded: ${loose.count.peak / pair} images at once`);
  // a budget of two and a half images: two at a time, never more
  const tight = countingMaps({ ...mapSource(files, 4, sameLatency).src }, files);
  tight.src.memory = new ByteBudget(2.5 * pair);
  assertEquals(await pan(tight.src), want);
  assert(tight.count.peak <= 2.5 * pair, `held ${tight.count.peak / pair} images' maps`);
  assertEquals(tight.count.peak, 2 * pair, "two images still overlapped");
  assertEquals(tight.src.memory.held, 0, "every byte given back");
  // a budget smaller than one image: one at a time, still evaluated
  const one = countingMaps({ ...mapSource(files, 4, sameLatency).src }, files);
  one.src.memory = new ByteBudget(pair / 4);
  assertEquals(await pan(one.src), want);
  assertEquals(one.count.peak, pair);
});

Deno.test("[eval files/source] a PNG that is not a label map of its kind names that file", async () => {
  const files = panopticFiles();
  const grey = encodePng({ width: 24, height: 16, channels: 1, data: new Uint8Array(24 * 16) });
  files.set(`${R}/gt/2.png`, grey); // the ground truth, not the prediction, is wrong
  const { src } = mapSource(files, 4, () => 0);
  await assertRejects(
    () => pan(src),
    MetricsInputError,
    `${R}/gt/2.png: expected an RGB panoptic PNG (id = R + 256*G + 65536*B)`,
  );
  const masks = new Map<string, Uint8Array>();
  const colour = encodePng({ width: 2, height: 1, channels: 3, data: [1, 1, 1, 4, 5, 6] });
  masks.set(`${R}/masks/a.png`, encodePng({ width: 2, height: 1, channels: 1, data: [0, 1] }));
  masks.set(`${R}/pred/a.png`, colour);
  await assertRejects(
    () =>
      evaluateSemsegFiles(
        `${R}/pred`,
        `${R}/masks`,
        { numClasses: 2 },
        mapSource(masks, 4, () => 0).src,
      ),
    MetricsInputError,
    `${R}/pred/a.png: colour pixel (4, 5, 6) at x=1, y=0: expected a class-index (greyscale or palette) PNG`,
  );
});
