import { listEvalRuns } from "@/lib/evaluation/sources.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Runs that can be evaluated: the app's runs and the tracking server's. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    return Response.json(await listEvalRuns(ctx.state.workspace));
  },
};
