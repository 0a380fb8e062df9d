import { batchContext, cancelBatch } from "@/lib/serving/batch/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Asks the batch to stop; the rows written so far stay, and resume continues. */
export const handler: Handlers = {
  async POST(_req, ctx) {
    return Response.json({ batch: await cancelBatch(batchContext(ctx.state), ctx.params.id) });
  },
};
