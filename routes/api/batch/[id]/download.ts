import { getBatch } from "@/lib/serving/batch/records.ts";
import { batchDownload } from "@/lib/serving/batch/results.ts";
import { batchContext } from "@/lib/serving/batch/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/**
 * The result file as written (JSONL, or Parquet once the batch succeeded), as a download;
 * `?so_far=1` gives a Parquet batch's rows written so far, as JSONL.
 */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const rec = await getBatch(ctx.params.id);
    const dl = batchDownload(rec, ctx.url.searchParams.get("so_far") === "1");
    const { ws } = batchContext(ctx.state);
    const body = await ws.files.read(dl.path);
    return new Response(body, {
      headers: {
        "content-type": dl.contentType,
        "content-disposition": `attachment; filename="${dl.filename}"`,
      },
    });
  },
};
