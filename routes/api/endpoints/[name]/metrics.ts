import type { Handlers } from "@/lib/web/types.ts";

/** Requests, errors and latency over time, or why the workspace has none (`unavailable`). */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const ws = ctx.state.workspace;
    await ws.serving.get(ctx.params.name); // 404 for an unknown endpoint
    return Response.json({ metrics: await ws.serving.metrics(ctx.params.name) });
  },
};
