import { registryContext } from "@/lib/registry/service.ts";
import { deleteEndpoint, endpointDetail } from "@/lib/serving/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** GET: one endpoint with logs, metrics, lineage and cost. DELETE `?confirm=<name>`: deletes it. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    return Response.json(await endpointDetail(registryContext(ctx.state), ctx.params.name));
  },
  async DELETE(_req, ctx) {
    const name = ctx.params.name;
    await deleteEndpoint(
      registryContext(ctx.state),
      name,
      ctx.url.searchParams.get("confirm") ?? "",
    );
    return Response.json({ name, deleted: true });
  },
};
