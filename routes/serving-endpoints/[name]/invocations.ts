/**
 * `POST /serving-endpoints/<name>/invocations`: the Model Serving invocation path, answered by the
 * workspace (local: the app's own onnxruntime endpoint). API clients send no Origin and are
 * allowed; browsers on other sites are refused by the same-origin middleware. The served entity
 * comes back in `served-model-name` (as Databricks sends it) and a reload after scale to zero in
 * `x-cold-start: true`; a full queue is a 503 with `Retry-After`.
 */
import { ServiceUnavailableError } from "@/lib/errors.ts";
import { checkEndpointName } from "@/lib/serving/endpoint_config.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";
import type { InvocationInfo } from "@/lib/workspace/types.ts";

export const handler: Handlers = {
  async POST(req, ctx) {
    const name = checkEndpointName(ctx.params.name);
    const body = await readJson(req);
    const info: InvocationInfo = {};
    try {
      const result = await ctx.state.workspace.serving.invoke(name, body, info);
      return Response.json(result, { headers: servedHeaders(info) });
    } catch (e) {
      if (e instanceof ServiceUnavailableError) return busy(e, ctx.state.requestId, info);
      throw e;
    }
  },
};

function servedHeaders(info: InvocationInfo): Headers {
  const h = new Headers({ "cache-control": "no-store" });
  if (info.servedEntity) {
    h.set("served-model-name", info.servedEntity);
    h.set("x-served-entity", info.servedEntity);
  }
  if (info.coldStart) h.set("x-cold-start", "true");
  return h;
}

/** The app's JSON error shape, with the `Retry-After` the error mapper does not set. */
function busy(e: ServiceUnavailableError, requestId: string, info: InvocationInfo): Response {
  const headers = servedHeaders(info);
  headers.set("retry-after", String(Math.max(1, Math.ceil(e.retryAfterSeconds))));
  return Response.json({ error: { message: e.message, status: 503, requestId } }, {
    status: 503,
    headers,
  });
}
