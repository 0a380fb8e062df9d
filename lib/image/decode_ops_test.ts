/**
 * Every decode op's result can be posted back from the worker with its buffers transferred: the
 * transfer list holds each buffer the result uses, once, so the post moves them (the sender's
 * copies are detached) and the receiver gets the same result.
 */
import { assert, assertEquals } from "@/tests/assert.ts";
import { type DecodeRequest, type DecodeResults, resultBuffers, runDecode } from "./decode_ops.ts";
import { patternPng } from "./testing.ts";

const W = 9, H = 6;
const mask = patternPng(W, H, 1, (i) => i % 5);
const panoptic = patternPng(W, H, 3, (i) => (i % 3 === 0 ? Math.floor(i / 12) : 1));

/** Every typed array in a result, however deep. */
const views = (v: unknown): ArrayBufferView[] =>
  ArrayBuffer.isView(v) ? [v] : v && typeof v === "object" ? Object.values(v).flatMap(views) : [];

const requests: DecodeRequest[] = [
  { op: "rgba", bytes: panoptic, what: "p.png" },
  { op: "png", bytes: mask, what: "m.png" },
  { op: "classMap", bytes: mask, what: "m.png" },
  { op: "panopticMap", bytes: panoptic, what: "p.png" },
  { op: "classCounts", bytes: mask, what: "m.png" },
  { op: "classCounts", bytes: panoptic, what: "p.png" }, // not single-channel: no counts
  { op: "segmentAreas", bytes: panoptic, what: "p.png" },
  { op: "segmentAreas", bytes: mask, what: "m.png" }, // not RGB: no areas
  { op: "colorize", bytes: mask, what: "m.png" },
  { op: "thumbnail", bytes: panoptic, what: "p.png", size: 4 },
];

Deno.test("[decode_ops] each result's buffers are transferred whole, none copied or left out", () => {
  for (const req of requests) {
    const value: DecodeResults[DecodeRequest["op"]] = runDecode(req);
    const buffers = resultBuffers(value);
    const all = views(value);
    for (const v of all) assert(buffers.includes(v.buffer as ArrayBuffer), `${req.op} lists it`);
    assertEquals(new Set(buffers).size, buffers.length, "each buffer once");
    const moved = structuredClone(value, { transfer: buffers });
    assertEquals(moved, runDecode(req), req.op);
    for (const b of buffers) {
      assertEquals(b.byteLength, 0, `${req.op}: the sender's copy is detached`);
    }
  }
});
