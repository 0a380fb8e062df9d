import { getRun } from "@/lib/training/records.ts";
import { refreshRun } from "@/lib/training/refresh.ts";
import { trainingContext } from "@/lib/training/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** One run, refreshed from the workspace (the polling fallback of the live page). */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const t = await trainingContext(ctx.state);
    const run = await getRun(ctx.params.id);
    return Response.json({ run: await refreshRun(t.workspace, run).catch(() => run) });
  },
};
