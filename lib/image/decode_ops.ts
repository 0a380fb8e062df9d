/**
 * The decodes the pool runs, as plain functions: the worker (decode_worker.ts) calls them off the
 * request thread and the pool calls them in-thread for small images (or where no worker can
 * start), so both do the same work and throw the same errors.
 */
import { classRgb } from "@/lib/data/colors.ts";
import {
  type ClassCounts,
  type ClassMap,
  colorizeMask,
  decodeClassCounts,
  decodeClassMap,
  decodePanopticMap,
  decodeSegmentAreas,
  type PanopticMap,
  type SegmentAreas,
} from "./label_maps.ts";
import { type DecodedPng, decodePng } from "./png.ts";
import { decodeRgba, type RgbaImage, thumbnailJpeg } from "./rgba.ts";

/** One decode: the encoded bytes, a name for errors, and what to make of them. */
export type DecodeRequest =
  /** RGBA pixels of a JPEG or PNG photo. */
  | { op: "rgba"; bytes: Uint8Array; what: string }
  /** Sample-exact PNG decode (label maps, 16-bit and palette masks). */
  | { op: "png"; bytes: Uint8Array; what: string }
  /** A class-index PNG as one class id per pixel (Uint16Array). */
  | { op: "classMap"; bytes: Uint8Array; what: string }
  /** A COCO panoptic PNG as one segment id per pixel (Uint32Array). */
  | { op: "panopticMap"; bytes: Uint8Array; what: string }
  /** A class-id mask PNG's pixel count per value. */
  | { op: "classCounts"; bytes: Uint8Array; what: string }
  /** A COCO panoptic PNG's pixel count per segment id. */
  | { op: "segmentAreas"; bytes: Uint8Array; what: string }
  /** A class-id mask PNG as a translucent class-coloured RGBA PNG. */
  | { op: "colorize"; bytes: Uint8Array; what: string }
  /** A JPEG thumbnail whose longer side is at most `size`. */
  | { op: "thumbnail"; bytes: Uint8Array; what: string; size: number };

/** What each op resolves to. */
export interface DecodeResults {
  rgba: RgbaImage;
  png: DecodedPng;
  classMap: ClassMap;
  panopticMap: PanopticMap;
  classCounts: ClassCounts;
  segmentAreas: SegmentAreas;
  colorize: Uint8Array;
  thumbnail: Uint8Array;
}

type Op = DecodeRequest["op"];

/** Runs one decode synchronously. */
export function runDecode(req: DecodeRequest): DecodeResults[Op] {
  switch (req.op) {
    case "rgba":
      return decodeRgba(req.bytes, req.what);
    case "png":
      return decodePng(req.bytes, req.what);
    case "classMap":
      return decodeClassMap(req.bytes, req.what);
    case "panopticMap":
      return decodePanopticMap(req.bytes, req.what);
    case "classCounts":
      return decodeClassCounts(req.bytes, req.what);
    case "segmentAreas":
      return decodeSegmentAreas(req.bytes, req.what);
    case "colorize":
      return colorizeMask(req.bytes, classRgb, req.what);
    case "thumbnail":
      return thumbnailJpeg(req.bytes, req.size, req.what);
  }
}

/**
 * The buffers a result holds, each once: the worker transfers them instead of copying them
 * between threads (a buffer listed twice, or one that is not the result's, would fail the post).
 */
export function resultBuffers(v: DecodeResults[Op]): ArrayBuffer[] {
  const views: ArrayBufferView[] = [];
  if (ArrayBuffer.isView(v)) views.push(v);
  else if ("data" in v) views.push(v.data);
  else if ("counts" in v) {
    if (v.counts) views.push(v.counts);
  } else if (v.areas) views.push(v.areas.ids, v.areas.pixels);
  return [...new Set(views.map((x) => x.buffer as ArrayBuffer))];
}
