import { endpointHref } from "@/components/deployments/parts.tsx";
import { HttpError } from "@/lib/errors.ts";
import { registryContext } from "@/lib/registry/service.ts";
import { runSmokeTest } from "@/lib/serving/smoke.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Runs a smoke test (the uploaded image, else a validation image) and shows it (PRG). */
export const handler: Handlers = {
  async POST(req, ctx) {
    const name = ctx.params.name;
    const form = await readForm(req);
    const f = form.get("image");
    const upload = f instanceof File && f.size > 0
      ? { bytes: new Uint8Array(await f.arrayBuffer()), fileName: f.name.slice(0, 200) || "image" }
      : undefined;
    try {
      const r = await runSmokeTest(registryContext(ctx.state), name, upload);
      return ctx.redirect(endpointHref(name, `?smoke=${r.id}#smoke`));
    } catch (e) {
      if (!(e instanceof HttpError) || e.status === 404) throw e;
      return ctx.redirect(
        endpointHref(name, `?smoke_error=${encodeURIComponent(e.message)}#smoke`),
      );
    }
  },
};
