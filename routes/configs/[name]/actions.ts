import { BadRequestError } from "@/lib/errors.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";
import { authorOf } from "@/lib/config/author.ts";

/** Activate, restore, or save-as-template a version, then back to the config page (PRG). */
export const handler: Handlers = {
  async POST(req, ctx) {
    const form = await readForm(req);
    const name = ctx.params.name;
    const version = Number(form.get("version"));
    if (!Number.isInteger(version) || version < 1) {
      throw new BadRequestError("version must be a version number.");
    }
    const store = await configStoreFor(ctx.state);
    const who = authorOf(ctx.state);
    const back = (query: string) => ctx.redirect(`/configs/${encodeURIComponent(name)}?${query}`);
    switch (form.get("action")) {
      case "activate":
        await store.activate(name, version, who);
        return back(
          `v=${version}&notice=${
            encodeURIComponent(`Version ${version} is now the active config.`)
          }`,
        );
      case "restore": {
        const r = await store.restore(name, version, who);
        return back(`saved=${r.version.version}`);
      }
      case "template": {
        const title = String(form.get("title") ?? "");
        const t = await store.saveAsTemplate(name, version, { title, author: who });
        return back(`v=${version}&notice=${encodeURIComponent(`Saved as template “${t.name}”.`)}`);
      }
      default:
        throw new BadRequestError('action must be "activate", "restore" or "template".');
    }
  },
};
