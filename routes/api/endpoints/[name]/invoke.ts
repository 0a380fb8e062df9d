import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";
import type { InvocationInfo } from "@/lib/workspace/types.ts";

/**
 * The invocation proxy the Playground calls: the body (serving-contract JSON) goes to the
 * endpoint through the workspace, which holds the credentials, so no token reaches the browser.
 * The answer comes back as the endpoint gave it; headers say which served entity answered,
 * whether it was a cold start, and how long the call took (`Server-Timing`).
 */
export const handler: Handlers = {
  async POST(req, ctx) {
    const body = await readJson(req);
    const info: InvocationInfo = {};
    const t0 = performance.now();
    const answer = await ctx.state.workspace.serving.invoke(ctx.params.name, body, info);
    const ms = performance.now() - t0;
    const headers = new Headers({ "server-timing": `invoke;dur=${ms.toFixed(1)}` });
    if (info.servedEntity) {
      headers.set("served-model-name", info.servedEntity);
      headers.set("x-served-entity", info.servedEntity);
    }
    if (info.coldStart) headers.set("x-cold-start", "true");
    return Response.json(answer, { headers });
  },
};
