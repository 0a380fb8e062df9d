import { NotFoundError } from "@/lib/errors.ts";
import { getRecommendedThreshold } from "@/lib/evaluation/threshold.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** The run's recommended confidence threshold (the deployment default), once evaluated. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const rec = await getRecommendedThreshold(ctx.params.runId);
    if (!rec) {
      throw new NotFoundError(
        `Run ${ctx.params.runId} has no recommended threshold yet: open its evaluation first.`,
      );
    }
    return Response.json(rec);
  },
};
