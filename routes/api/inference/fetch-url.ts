import { z } from "zod";
import { checkImageBytes } from "@/lib/image/budget.ts";
import { fetchImageUrl } from "@/lib/inference/url_fetch.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

const Body = z.object({ url: z.string().min(1, "give the image URL").max(4096) });

/**
 * Fetches an image URL for the Playground (the browser may not reach it under the page's CSP):
 * SSRF-guarded by lib/inference/url_fetch.ts, and the header checked against the pixel budget
 * before the bytes go back to be decoded.
 */
export const handler: Handlers = {
  async POST(req) {
    const { url } = await readJson(req, Body);
    const img = await fetchImageUrl(url);
    checkImageBytes(img.bytes, "The image at that URL");
    return new Response(img.bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": img.contentType,
        "cache-control": "no-store",
        "x-lakevision-final-url": encodeURI(img.finalUrl).slice(0, 2000),
      },
    });
  },
};
