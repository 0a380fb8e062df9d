import { BadRequestError } from "@/lib/errors.ts";
import { undoAliasMove } from "@/lib/registry/aliases.ts";
import { registryContext } from "@/lib/registry/service.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Undoes an alias move recorded in the activity log (from the model page or History). */
export const handler: Handlers = {
  async POST(req, ctx) {
    const form = await readForm(req);
    const id = String(form.get("activity") ?? "");
    if (!id) throw new BadRequestError("activity is missing: which move to undo.");
    const r = await undoAliasMove(registryContext(ctx.state), id);
    const notice = r.version
      ? `Undone: @${r.alias} points at version ${r.version} again.`
      : `Undone: @${r.alias} was removed again.`;
    return ctx.redirect(
      `/models/${encodeURIComponent(r.name)}?notice=${encodeURIComponent(notice)}`,
    );
  },
};
