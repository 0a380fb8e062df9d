import { getPreferences } from "@/lib/store/preferences.ts";
import type { MiddlewareHandler } from "@/lib/web/types.ts";

/** Puts the acting person's theme on the request state for `_app.tsx` (one KV read). */
export const handler: MiddlewareHandler = async (_req, ctx) => {
  ctx.state.theme = (await getPreferences(ctx.state.user.name).catch(() => null))?.theme ??
    "light";
  return await ctx.next();
};
