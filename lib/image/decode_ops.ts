/**
 * The decodes the pool runs, as plain functions: the worker (decode_worker.ts) calls them off the
 * request thread and the pool calls them in-thread for small images, so both do the same work.
 */
import { classRgb } from "@/lib/data/colors.ts";
import { colorizeMask } from "./label_maps.ts";
import { type DecodedPng, decodePng } from "./png.ts";
import { decodeRgba, type RgbaImage, thumbnailJpeg } from "./rgba.ts";

/** One decode: the encoded bytes, a name for errors, and what to make of them. */
export type DecodeRequest =
  /** RGBA pixels of a JPEG or PNG photo. */
  | { op: "rgba"; bytes: Uint8Array; what: string }
  /** Sample-exact PNG decode (label maps, 16-bit and palette masks). */
  | { op: "png"; bytes: Uint8Array; what: string }
  /** A class-id mask PNG as a translucent class-coloured RGBA PNG. */
  | { op: "colorize"; bytes: Uint8Array; what: string }
  /** A JPEG thumbnail whose longer side is at most `size`. */
  | { op: "thumbnail"; bytes: Uint8Array; what: string; size: number };

/** What each op resolves to. */
export interface DecodeResults {
  rgba: RgbaImage;
  png: DecodedPng;
  colorize: Uint8Array;
  thumbnail: Uint8Array;
}

/** Runs one decode synchronously. */
export function runDecode(req: DecodeRequest): DecodeResults[DecodeRequest["op"]] {
  switch (req.op) {
    case "rgba":
      return decodeRgba(req.bytes, req.what);
    case "png":
      return decodePng(req.bytes, req.what);
    case "colorize":
      return colorizeMask(req.bytes, classRgb, req.what);
    case "thumbnail":
      return thumbnailJpeg(req.bytes, req.size, req.what);
  }
}

/** The buffer a result holds, to transfer it instead of copying it between threads. */
export function resultBuffer(v: DecodeResults[DecodeRequest["op"]]): ArrayBuffer {
  const view = v instanceof Uint8Array ? v : v.data;
  return view.buffer as ArrayBuffer;
}
