import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { chooseGroundTruth, evaluateRun } from "@/lib/evaluation/evaluate.ts";
import { noteEvaluation } from "@/lib/history/events.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

const Query = z.object({
  refresh: z.enum(["0", "1"]).optional(),
});

const Choice = z.object({ gt: z.string().min(1).max(2000) });

/**
 * GET: a run's evaluation (computed once per content of its files, then from the cache).
 * POST {gt}: choose the run's ground-truth file (checked, then remembered) and evaluate with it.
 */
export const handler: Handlers = {
  async GET(_req, ctx) {
    if (ctx.url.searchParams.has("gt")) {
      throw new BadRequestError(
        'A GET does not change a run\'s ground truth: POST {"gt": "/Volumes/..."} to choose it.',
      );
    }
    const q = Query.safeParse(Object.fromEntries(ctx.url.searchParams));
    if (!q.success) throw new BadRequestError("refresh must be 0 or 1.");
    const ev = await evaluateRun(ctx.state.workspace, ctx.params.runId, {
      force: q.data.refresh === "1",
    });
    await noteEvaluation(ctx.state.user.name, ctx.params.runId).catch(() => false);
    return Response.json(ev.evaluation);
  },
  async POST(req, ctx) {
    const { gt } = await readJson(req, Choice);
    const ev = await chooseGroundTruth(ctx.state.workspace, ctx.params.runId, gt);
    return Response.json(ev.evaluation);
  },
};
