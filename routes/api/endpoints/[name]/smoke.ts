import { registryContext } from "@/lib/registry/service.ts";
import { runSmokeTest } from "@/lib/serving/smoke.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Runs a smoke test with a validation image of the main served version; answers the result. */
export const handler: Handlers = {
  async POST(_req, ctx) {
    const result = await runSmokeTest(registryContext(ctx.state), ctx.params.name);
    return Response.json({ result }, { status: result.ok ? 200 : 502 });
  },
};
