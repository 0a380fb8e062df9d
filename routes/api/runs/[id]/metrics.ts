import { BadRequestError } from "@/lib/errors.ts";
import { getRun } from "@/lib/training/records.ts";
import { readMetrics } from "@/lib/training/run_files.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Metric points of a run; `?from=N` returns only those after the first N (append-only). */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const run = await getRun(ctx.params.id);
    const from = Number(ctx.url.searchParams.get("from") ?? 0);
    if (!Number.isInteger(from) || from < 0) {
      throw new BadRequestError("from must be a whole number of points already received.");
    }
    const points = await readMetrics(ctx.state.workspace, run);
    return Response.json({ from, total: points.length, points: points.slice(from) });
  },
};
