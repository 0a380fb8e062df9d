import { getBatch } from "@/lib/serving/batch/records.ts";
import { batchContext, refreshBatch } from "@/lib/serving/batch/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** One batch, brought up to date (progress, ETA, state). */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const { ws } = batchContext(ctx.state);
    return Response.json({ batch: await refreshBatch(ws, await getBatch(ctx.params.id)) });
  },
};
