import { getRun } from "@/lib/training/records.ts";
import { readLogTail } from "@/lib/training/run_files.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** The tail of a run's output. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const run = await getRun(ctx.params.id);
    const max = Math.min(Number(ctx.url.searchParams.get("bytes")) || 16_384, 1_048_576);
    return Response.json({ text: await readLogTail(ctx.state.workspace, run, max) });
  },
};
