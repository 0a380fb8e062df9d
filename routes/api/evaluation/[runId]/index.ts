import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import type { Handlers } from "@/lib/web/types.ts";

const Query = z.object({
  gt: z.string().startsWith("/Volumes/").optional(),
  refresh: z.enum(["0", "1"]).optional(),
});

/** A run's evaluation (computed once per content of its files, then from the cache). */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const q = Query.safeParse(Object.fromEntries(ctx.url.searchParams));
    if (!q.success) {
      throw new BadRequestError("gt must be a /Volumes/ path; refresh must be 0 or 1.");
    }
    const ev = await evaluateRun(ctx.state.workspace, ctx.params.runId, {
      gt: q.data.gt,
      force: q.data.refresh === "1",
    });
    return Response.json(ev.evaluation);
  },
};
