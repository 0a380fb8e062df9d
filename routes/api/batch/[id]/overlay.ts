import { HttpError } from "@/lib/errors.ts";
import { getBatch } from "@/lib/serving/batch/records.ts";
import { batchImage, imageSize, overlaySvg, readResults } from "@/lib/serving/batch/results.ts";
import { batchContext } from "@/lib/serving/batch/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** The image of one result row with its prediction drawn on it, as SVG (`?path=`). */
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
    const href = `/api/batch/${encodeURIComponent(rec.id)}/image?path=${encodeURIComponent(path)}`;
    return new Response(overlaySvg(row, href, size), {
      headers: { "content-type": "image/svg+xml", "cache-control": "private, max-age=60" },
    });
  },
};
