import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import {
  REPORT_FORMATS,
  REPORT_TYPES,
  reportCsv,
  reportJson,
  reportMarkdown,
} from "@/lib/evaluation/report.ts";
import { reportHtml } from "@/lib/evaluation/report_html.ts";
import { noteReport } from "@/lib/history/events.ts";
import type { Handlers } from "@/lib/web/types.ts";

const Query = z.object({
  runs: z.string().regex(/^[\w.:-]+(,[\w.:-]+){0,5}$/),
  format: z.enum(REPORT_FORMATS).default("html"),
});

/** A downloadable report of one run or a comparison (2–6 runs): JSON, CSV, Markdown or HTML. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const q = Query.safeParse(Object.fromEntries(ctx.url.searchParams));
    if (!q.success) {
      throw new BadRequestError(
        `runs must be 1–6 comma-separated run ids; format one of ${REPORT_FORMATS.join(", ")}.`,
      );
    }
    const ids = q.data.runs.split(",");
    const evals = [];
    for (const id of ids) evals.push((await evaluateRun(ctx.state.workspace, id)).evaluation);
    const f = q.data.format;
    const body = f === "json"
      ? reportJson(evals)
      : f === "csv"
      ? reportCsv(evals)
      : f === "md"
      ? reportMarkdown(evals)
      : reportHtml(evals);
    await noteReport(ctx.state.user.name, ids, f).catch(() => false);
    const name = `evaluation-${ids.length === 1 ? ids[0] : `compare-${ids.length}-runs`}`;
    return new Response(body, {
      headers: {
        "content-type": REPORT_TYPES[f].type,
        "content-disposition": `attachment; filename="${name}.${REPORT_TYPES[f].ext}"`,
      },
    });
  },
};
