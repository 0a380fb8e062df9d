import { cancelRun } from "@/lib/training/launch.ts";
import { trainingContext } from "@/lib/training/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Asks the run to stop. */
export const handler: Handlers = {
  async POST(_req, ctx) {
    const run = await cancelRun(await trainingContext(ctx.state), ctx.params.id);
    return Response.json({ run });
  },
};
