import { HttpError } from "@/lib/errors.ts";
import { getBatch } from "@/lib/serving/batch/records.ts";
import { batchContext } from "@/lib/serving/batch/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** The result file as written (JSONL or Parquet), as a download. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const rec = await getBatch(ctx.params.id);
    if (rec.output.kind !== "file") {
      throw new HttpError(404, `The results are in the Delta table ${rec.output.table}.`);
    }
    const { ws } = batchContext(ctx.state);
    const path = rec.output.path;
    const body = await ws.files.read(path);
    const name = `${rec.id}-${path.split("/").pop()}`;
    return new Response(body, {
      headers: {
        "content-type": path.endsWith(".jsonl")
          ? "application/x-ndjson"
          : "application/octet-stream",
        "content-disposition": `attachment; filename="${name.replace(/[^\w.-]/g, "_")}"`,
      },
    });
  },
};
