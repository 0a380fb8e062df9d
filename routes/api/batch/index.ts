import { batchContext, listFresh, startBatch } from "@/lib/serving/batch/service.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Batch inference jobs (newest first) and starting one. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const limit = Math.min(Number(ctx.url.searchParams.get("limit")) || 100, 500);
    return Response.json({ batches: await listFresh(batchContext(ctx.state), limit) });
  },
  async POST(req, ctx) {
    const { batch, existing } = await startBatch(batchContext(ctx.state), await readJson(req));
    return Response.json({ batch, existing }, { status: existing ? 200 : 201 });
  },
};
