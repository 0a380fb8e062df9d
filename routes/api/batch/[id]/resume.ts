import { batchContext, resumeBatch } from "@/lib/serving/batch/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Continues a cancelled or failed batch, skipping the images already written. */
export const handler: Handlers = {
  async POST(_req, ctx) {
    return Response.json({ batch: await resumeBatch(batchContext(ctx.state), ctx.params.id) });
  },
};
