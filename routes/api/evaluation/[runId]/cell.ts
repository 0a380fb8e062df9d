import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import { cellImageIds, imageDetails } from "@/lib/evaluation/images.ts";
import type { Handlers } from "@/lib/web/types.ts";

const Query = z.object({
  row: z.coerce.number().int().min(0),
  col: z.coerce.number().int().min(0),
  limit: z.coerce.number().int().min(1).max(60).default(12),
});

/** The images behind one confusion-matrix cell, with ground truth and predictions to draw. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const q = Query.safeParse(Object.fromEntries(ctx.url.searchParams));
    if (!q.success) throw new BadRequestError("row and col must be cell indices (integers ≥ 0).");
    const ws = ctx.state.workspace;
    const ev = await evaluateRun(ws, ctx.params.runId);
    const ids = cellImageIds(ev, q.data.row, q.data.col);
    const conf = ev.evaluation.detection!.report.confusion;
    const images = await imageDetails(ws, ctx.params.runId, ids.slice(0, q.data.limit), {
      minScore: conf.confidence,
      cached: ev,
    });
    return Response.json({
      row: conf.rowLabels?.[q.data.row] ?? conf.labels[q.data.row],
      col: conf.labels[q.data.col],
      count: conf.matrix[q.data.row][q.data.col],
      total: ids.length,
      confidence: conf.confidence,
      images,
    });
  },
};
