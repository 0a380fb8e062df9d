import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import { problemsToCsv, problemsToJson } from "@/lib/data/problems.ts";
import { scans } from "@/lib/data/registry.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** GET `?format=csv|json`: the scan's problem list as a download. */
export const handler: Handlers = {
  GET(_req, ctx) {
    const rec = scans.get(ctx.params.id);
    if (!rec?.result) throw new NotFoundError(`scan ${ctx.params.id} has no result (yet)`);
    const format = ctx.url.searchParams.get("format") ?? "csv";
    if (format !== "csv" && format !== "json") {
      throw new BadRequestError("format must be csv or json");
    }
    const body = format === "csv"
      ? problemsToCsv(rec.result.problems)
      : problemsToJson(rec.result.problems);
    return new Response(body, {
      headers: {
        "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json",
        "content-disposition": `attachment; filename="problems-${
          rec.result.key.slice(0, 8)
        }.${format}"`,
      },
    });
  },
};
