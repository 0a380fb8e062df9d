import { BadRequestError } from "@/lib/errors.ts";
import { modelInfo } from "@/lib/inference/playground_models.ts";
import { registryContext } from "@/lib/registry/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/**
 * What the Playground needs about one model before downloading or calling it:
 * `?key=version:<name>:<n>`, `run:<id>` or `endpoint:<name>`.
 */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const key = ctx.url.searchParams.get("key") ?? "";
    if (!key || key.length > 600) {
      throw new BadRequestError(
        "Give the model as ?key=version:<name>:<n>, run:<id> or endpoint:<name>.",
      );
    }
    const info = await modelInfo(registryContext(ctx.state), key);
    return Response.json(info, { headers: { "cache-control": "no-store" } });
  },
};
