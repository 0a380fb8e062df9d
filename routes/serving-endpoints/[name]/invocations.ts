/**
 * `POST /serving-endpoints/<name>/invocations`: the Model Serving invocation path, answered by the
 * workspace (local: the app's own onnxruntime endpoint). API clients send no Origin and are
 * allowed; browsers on other sites are refused by the same-origin middleware. The served entity
 * comes back in `served-model-name` (as Databricks sends it) and a reload after scale to zero in
 * `x-cold-start: true`. Errors are Model Serving's JSON (`{"error_code", "message"}`, from
 * ../_middleware.ts) whatever the client accepts, and a full queue is a 503 with `Retry-After`.
 */
import { checkEndpointName } from "@/lib/serving/endpoint_config.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";
import type { InvocationInfo } from "@/lib/workspace/types.ts";

export const handler: Handlers = {
  async POST(req, ctx) {
    const info: InvocationInfo = {};
    const name = checkEndpointName(ctx.params.name);
    const body = await readJson(req);
    const result = await ctx.state.workspace.serving.invoke(name, body, info);
    const headers = new Headers({ "cache-control": "no-store" });
    if (info.servedEntity) {
      headers.set("served-model-name", info.servedEntity);
      headers.set("x-served-entity", info.servedEntity);
    }
    if (info.coldStart) headers.set("x-cold-start", "true");
    return Response.json(result, { headers });
  },
};
