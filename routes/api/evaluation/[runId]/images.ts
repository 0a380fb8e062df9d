import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { imageDetails } from "@/lib/evaluation/images.ts";
import type { Handlers } from "@/lib/web/types.ts";

const Query = z.object({
  ids: z.string().regex(/^\d+(,\d+){0,59}$/),
  minScore: z.coerce.number().min(0).max(1).default(0),
});

/** Some images of a detection run with their ground truth and predictions (galleries, compare). */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const q = Query.safeParse(Object.fromEntries(ctx.url.searchParams));
    if (!q.success) {
      throw new BadRequestError("ids must be up to 60 comma-separated image ids; minScore 0–1.");
    }
    const images = await imageDetails(
      ctx.state.workspace,
      ctx.params.runId,
      q.data.ids.split(",").map(Number),
      { minScore: q.data.minScore },
    );
    return Response.json({ images });
  },
};
