/**
 * Images for the decode tests: real PNGs of a sample pattern, and crafted tiny files whose
 * headers claim huge sizes.
 */
import { zlibSync } from "fflate";
import { crc32, encodePng, type RawImage } from "./png.ts";

/**
 * A real PNG, `width`×`height` with `channels` samples a pixel, sample `i` being `sample(i)` (a
 * label map, a segment-id map, a test pattern); `extra` sets a 16-bit depth or a palette, `opts`
 * the encoder's filter.
 */
export function patternPng(
  width: number,
  height: number,
  channels: RawImage["channels"],
  sample: (i: number) => number,
  extra: Pick<RawImage, "bitDepth" | "palette"> = {},
  opts?: Parameters<typeof encodePng>[1],
): Uint8Array {
  const data = new (extra.bitDepth === 16 ? Uint16Array : Uint8Array)(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = sample(i);
  return encodePng({ width, height, channels, data, ...extra }, opts);
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/**
 * A valid-looking 8-bit grey PNG whose IHDR says `width`×`height` and whose IDAT inflates to
 * `rawBytes` zero bytes (default: one row), so the file stays a few hundred bytes.
 */
export function craftedPng(width: number, height: number, rawBytes = width + 1): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grey
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlibSync(new Uint8Array(rawBytes), { level: 9 })),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The start of a baseline JPEG whose SOF0 says `width`×`height` (no image data follows). */
export function craftedJpeg(width: number, height: number): Uint8Array {
  return new Uint8Array([
    0xff,
    0xd8, // SOI
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08, // SOF0, length 17, 8-bit
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x03,
    0x01,
    0x22,
    0x00,
    0x02,
    0x11,
    0x01,
    0x03,
    0x11,
    0x01,
    0xff,
    0xd9, // EOI
  ]);
}
