import { registryContext } from "@/lib/registry/service.ts";
import { deploy, DeployInputSchema, listEndpoints, planDeploy } from "@/lib/serving/service.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

/**
 * GET: every endpoint with its cost estimate. POST: create, or update in place when the name
 * exists (body: DeployInputSchema); `?plan=1` answers the exact request without sending it.
 */
export const handler: Handlers = {
  async GET(_req, ctx) {
    return Response.json({ endpoints: await listEndpoints(registryContext(ctx.state)) });
  },
  async POST(req, ctx) {
    const input = await readJson(req, DeployInputSchema);
    const sc = registryContext(ctx.state);
    if (ctx.url.searchParams.get("plan") === "1") {
      return Response.json({ plan: await planDeploy(sc, input) });
    }
    const digest = ctx.url.searchParams.get("digest") ?? undefined;
    const { endpoint, mode } = await deploy(sc, input, { digest });
    return Response.json({ endpoint, mode }, { status: mode === "create" ? 201 : 200 });
  },
};
