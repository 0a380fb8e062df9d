import type { Handlers } from "@/lib/web/types.ts";

/** Health of each workspace area, checked now. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const areas = await ctx.state.workspace.health();
    return Response.json({ kind: ctx.state.workspace.kind, checkedAt: Date.now(), areas });
  },
};
