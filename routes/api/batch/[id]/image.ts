import { getBatch } from "@/lib/serving/batch/records.ts";
import { batchImage } from "@/lib/serving/batch/results.ts";
import { batchContext } from "@/lib/serving/batch/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** One input image of the batch (`?path=`), only from its input folder. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const path = ctx.url.searchParams.get("path") ?? "";
    const img = await batchImage(batchContext(ctx.state).ws, await getBatch(ctx.params.id), path);
    return new Response(img.bytes as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": img.type, "cache-control": "private, max-age=300" },
    });
  },
};
