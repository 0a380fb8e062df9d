import { getBatch } from "@/lib/serving/batch/records.ts";
import { readResults } from "@/lib/serving/batch/results.ts";
import { batchContext } from "@/lib/serving/batch/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** A page of result rows: `?offset=0&limit=50&errors=1` (errors only). */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const q = ctx.url.searchParams;
    const page = await readResults(batchContext(ctx.state).ws, await getBatch(ctx.params.id), {
      offset: Number(q.get("offset")) || 0,
      limit: Number(q.get("limit")) || 50,
      errorsOnly: q.get("errors") === "1",
    });
    return Response.json(page);
  },
};
