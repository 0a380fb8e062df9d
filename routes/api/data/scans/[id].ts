import { NotFoundError } from "@/lib/errors.ts";
import { scans } from "@/lib/data/registry.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** GET: progress, then the result (`?result=0` leaves it out). DELETE: cancel a running scan. */
export const handler: Handlers = {
  GET(_req, ctx) {
    const rec = scans.get(ctx.params.id, ctx.url.searchParams.get("result") !== "0");
    if (!rec) throw new NotFoundError(`scan ${ctx.params.id} not found (scans are kept in memory)`);
    return Response.json(rec);
  },
  DELETE(_req, ctx) {
    if (!scans.get(ctx.params.id, false)) {
      throw new NotFoundError(`scan ${ctx.params.id} not found`);
    }
    return Response.json({ cancelled: scans.cancel(ctx.params.id) });
  },
};
