import { HttpError } from "@/lib/errors.ts";
import { getBatch } from "@/lib/serving/batch/records.ts";
import { batchImage, imageSize, overlaySvg, readResults } from "@/lib/serving/batch/results.ts";
import { batchContext } from "@/lib/serving/batch/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/**
 * The prediction of one result row (`?path=`) as a transparent SVG of the image's size, laid over
 * the photo (`./image`) by the page.
 */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const path = ctx.url.searchParams.get("path") ?? "";
    const { ws } = batchContext(ctx.state);
    const rec = await getBatch(ctx.params.id);
    const { rows } = await readResults(ws, rec, { limit: 500, offset: 0, path });
    const row = rows.find((r) => r.path === path);
    if (!row) throw new HttpError(404, `${path} has no result in batch ${rec.id}.`);
    const img = await batchImage(ws, rec, path).catch(() => null);
    const size = (img && imageSize(img.bytes)) ?? { width: 320, height: 240 };
    return new Response(overlaySvg(row, size), {
      headers: { "content-type": "image/svg+xml", "cache-control": "private, max-age=60" },
    });
  },
};
