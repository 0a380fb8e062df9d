import { BadRequestError } from "@/lib/errors.ts";
import { parseTableName, requireDeltaReader } from "@/lib/workspace/databricks/delta_reader.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** GET `?table=catalog.schema.table`: the table's columns and types, for the column pickers. */
export const handler: Handlers = {
  async GET(req, ctx) {
    const reader = requireDeltaReader(ctx.state.workspace);
    const table = ctx.url.searchParams.get("table") ?? "";
    if (!table.trim()) throw new BadRequestError("give ?table=catalog.schema.table");
    const t = parseTableName(table);
    const name = `${t.catalog}.${t.schema}.${t.table}`;
    const columns = await reader.columns(name, { signal: req.signal });
    return Response.json({ table: name, columns });
  },
};
