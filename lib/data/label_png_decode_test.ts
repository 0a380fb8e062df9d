/**
 * Mask and panoptic scans decode label PNGs through the decode pool: a mask whose header is over
 * the pixel budget is a problem of that file and the scan goes on; undecodable ones keep their
 * message; decodes on a worker count the same pixels as in-thread ones.
 */
import { assert, assertEquals } from "@/tests/assert.ts";
import { crc32, encodePng } from "@/lib/image/png.ts";
import { closeDecodePool, decodePoolStats, setInlineMaxPixels } from "@/lib/image/decode_pool.ts";
import { MemoryFiles } from "./testing.ts";
import { scanMasks } from "./masks.ts";
import { scanPanoptic } from "./panoptic.ts";
import { ProblemSink } from "./problems.ts";

const D = "/Volumes/main/cv/data/seg";
const W = 12, H = 8;

/** A PNG whose header declares `w`×`h` grey pixels (the budget is checked from the header). */
function pngDeclaring(w: number, h: number): Uint8Array {
  const png = encodePng({ width: 1, height: 1, channels: 1, data: [0] });
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  dv.setUint32(16, w);
  dv.setUint32(20, h);
  dv.setUint32(29, crc32(png.subarray(12, 29)));
  return png;
}

const photo = () =>
  encodePng({ width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3).fill(90) });
const mask = (cls: number) =>
  encodePng({ width: W, height: H, channels: 1, data: new Uint8Array(W * H).fill(cls) });

function maskFiles() {
  const f = new MemoryFiles();
  for (const n of ["a", "b", "c", "d"]) f.put(`${D}/images/${n}.png`, photo());
  f.put(`${D}/masks/a.png`, mask(1));
  f.put(`${D}/masks/b.png`, pngDeclaring(9000, 9000));
  f.put(`${D}/masks/c.png`, new TextEncoder().encode("not a png"));
  f.put(`${D}/masks/d.png`, mask(2));
  return f;
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "[data/masks] a mask over the pixel budget is that file's problem; the scan goes on",
  ...opts,
  async fn() {
    const sink = new ProblemSink("val");
    const r = await scanMasks(maskFiles(), `${D}/images`, `${D}/masks`, sink, {
      classNames: ["bg", "road", "car"],
    });
    const big = sink.list.filter((p) => p.code === "mask_too_large");
    assertEquals(big.length, 1);
    assertEquals(big[0].file, `${D}/masks/b.png`);
    assertEquals(big[0].severity, "error");
    assert(
      big[0].message.startsWith(`${D}/masks/b.png is 9000×9000 (81 megapixels)`),
      big[0].message,
    );
    const bad = sink.list.filter((p) => p.code === "mask_unreadable");
    assertEquals(bad.map((p) => p.file), [`${D}/masks/c.png`]);
    assert(bad[0].message.startsWith(`${D}/masks/c.png cannot be decoded: not a PNG`));
    // a and d were still read: each of their classes is in one mask, half the labelled pixels
    assertEquals(
      r.stats.classes.map((c) => [c.name, c.images, c.pixelShare]),
      [["bg", 0, 0], ["road", 1, 0.5], ["car", 1, 0.5]],
    );
  },
});

Deno.test({
  name: "[data/masks] masks decoded on a worker count the same pixels as in-thread",
  ...opts,
  async fn() {
    const scan = async () => {
      const sink = new ProblemSink("val");
      const r = await scanMasks(maskFiles(), `${D}/images`, `${D}/masks`, sink, {
        classNames: ["bg", "road", "car"],
      });
      return { stats: r.stats, problems: sink.list };
    };
    const inThread = await scan();
    const old = setInlineMaxPixels(0);
    try {
      assertEquals(await scan(), inThread);
      assert(decodePoolStats().workers > 0, "the masks were decoded on workers");
    } finally {
      setInlineMaxPixels(old);
      closeDecodePool();
    }
  },
});

Deno.test({
  name: "[data/panoptic] a panoptic PNG over the pixel budget is that image's problem",
  ...opts,
  async fn() {
    const J = `${D}/panoptic_val.json`;
    const f = new MemoryFiles();
    const rgb = new Uint8Array(W * H * 3);
    for (let k = 0; k < W * H; k++) rgb.set([k < W * 4 ? 5 : 0, 0, 0], k * 3);
    f.put(`${D}/panoptic_val/1.png`, encodePng({ width: W, height: H, channels: 3, data: rgb }));
    f.put(`${D}/panoptic_val/2.png`, pngDeclaring(20000, 20000));
    const seg = [{ id: 5, category_id: 1, area: W * 4, bbox: [0, 0, W, 4], iscrowd: 0 }];
    const doc = {
      images: [1, 2].map((id) => ({ id, file_name: `${id}.jpg`, width: W, height: H })),
      annotations: [1, 2].map((id) => ({
        image_id: id,
        file_name: `${id}.png`,
        segments_info: seg,
      })),
      categories: [{ id: 1, name: "sky" }],
    };
    const sink = new ProblemSink("val");
    const r = await scanPanoptic(f, J, JSON.stringify(doc), sink, {});
    const big = sink.list.filter((p) => p.code === "mask_too_large");
    assertEquals(big.map((p) => [p.file, p.image_id]), [[`${D}/panoptic_val/2.png`, 2]]);
    assert(big[0].message.includes("20000×20000 (400 megapixels)"), big[0].message);
    // image 1 was still read: its pixels are the class's
    assertEquals(r.stats.classes[0].pixelShare, 1);
    assertEquals(sink.list.filter((p) => p.severity === "error").length, 1);
  },
});

Deno.test({
  name:
    "[data/panoptic] segment pixels counted on a worker give the in-thread stats and problems, in order",
  ...opts,
  async fn() {
    const J = `${D}/panoptic_val.json`;
    const f = new MemoryFiles();
    // ids in bands: 5 and 9 are listed, 7 and 300 are not; problems come in order of appearance
    const ids = (k: number) => [5, 7, 9, 300, 0][Math.floor(k / 17) % 5];
    const rgb = new Uint8Array(W * H * 3);
    for (let k = 0; k < W * H; k++) rgb.set([ids(k) & 255, ids(k) >> 8, 0], k * 3);
    f.put(`${D}/panoptic_val/1.png`, encodePng({ width: W, height: H, channels: 3, data: rgb }));
    f.put(`${D}/panoptic_val/2.png`, mask(1)); // grey: not a panoptic PNG
    const doc = {
      images: [1, 2].map((id) => ({ id, file_name: `${id}.jpg`, width: W, height: H })),
      annotations: [1, 2].map((id) => ({
        image_id: id,
        file_name: `${id}.png`,
        segments_info: [
          { id: 5, category_id: 1, area: 3, bbox: [0, 0, 1, 1], iscrowd: 0 },
          { id: 9, category_id: 2, bbox: [0, 0, 1, 1], iscrowd: 0 },
          { id: 11, category_id: 2, bbox: [0, 0, 1, 1], iscrowd: 0 },
        ],
      })),
      categories: [{ id: 1, name: "sky" }, { id: 2, name: "car" }],
    };
    const scan = async () => {
      const sink = new ProblemSink("val");
      const r = await scanPanoptic(f, J, JSON.stringify(doc), sink, {});
      return { stats: r.stats, problems: sink.list };
    };
    const inThread = await scan();
    const codes = inThread.problems.map((p) => p.code);
    assertEquals(codes, [
      "area_inconsistent",
      "panoptic_unknown_segment",
      "panoptic_unknown_segment",
      "panoptic_segment_missing",
      "mask_not_rgb",
    ]);
    const msg = inThread.problems.map((p) => p.message);
    assert(msg[1].includes("pixels of segment id 7,"), msg[1]);
    assert(msg[2].includes("pixels of segment id 300,"), msg[2]);
    const old = setInlineMaxPixels(0);
    try {
      assertEquals(await scan(), inThread);
      assert(decodePoolStats().workers > 0, "the PNGs were read on workers");
    } finally {
      setInlineMaxPixels(old);
      closeDecodePool();
    }
  },
});
