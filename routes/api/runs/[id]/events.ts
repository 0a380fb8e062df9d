import { runEventStream, sseResponse } from "@/lib/training/events.ts";
import { getRun } from "@/lib/training/records.ts";
import { trainingContext } from "@/lib/training/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Server-sent events of one run: `run`, `metrics`, `log`, `warning`, `ping` (every 15 s). */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const t = await trainingContext(ctx.state);
    await getRun(ctx.params.id); // 404 before the stream starts
    return sseResponse(runEventStream(t.workspace, ctx.params.id));
  },
};
