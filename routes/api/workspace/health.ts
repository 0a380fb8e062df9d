import { hostPathHider } from "@/lib/errors.ts";
import type { Handlers } from "@/lib/web/types.ts";

/**
 * Health of each workspace area, checked now. Open to any caller, so each area says whether it
 * works and how long it took, with volume paths only: no server folders, interpreter paths or
 * versions (the adapters leave those out; any host path that slips into an error is hidden).
 */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const hide = hostPathHider(ctx.state.settings.dataDir);
    const areas = (await ctx.state.workspace.health()).map((a) => ({
      ...a,
      detail: hide(a.detail),
    }));
    return Response.json({ kind: ctx.state.workspace.kind, checkedAt: Date.now(), areas });
  },
};
