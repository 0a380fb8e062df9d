/**
 * `POST /serving-endpoints/<name>/invocations`: the Model Serving invocation path, answered by the
 * workspace (local: the app's own onnxruntime endpoint). API clients send no Origin and are
 * allowed; browsers on other sites are refused by the same-origin middleware. The served entity
 * comes back in `served-model-name` (as Databricks sends it) and a reload after scale to zero in
 * `x-cold-start: true`; a full queue is a 503 with `Retry-After`.
 */
import { hostPathHider, HttpError, ServiceUnavailableError } from "@/lib/errors.ts";
import { checkEndpointName } from "@/lib/serving/endpoint_config.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers, State } from "@/lib/web/types.ts";
import type { InvocationInfo } from "@/lib/workspace/types.ts";

export const handler: Handlers = {
  async POST(req, ctx) {
    const info: InvocationInfo = {};
    try {
      const name = checkEndpointName(ctx.params.name);
      const body = await readJson(req);
      const result = await ctx.state.workspace.serving.invoke(name, body, info);
      return Response.json(result, { headers: servedHeaders(info) });
    } catch (e) {
      // API clients rarely send Accept: the error is JSON here whatever they accept.
      if (e instanceof HttpError) return errorResponse(e, ctx.state, info);
      throw e; // unknown: the error mapper logs it with the request id
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
function errorResponse(e: HttpError, state: State, info: InvocationInfo): Response {
  const headers = servedHeaders(info);
  if (e instanceof ServiceUnavailableError) {
    headers.set("retry-after", String(Math.max(1, Math.ceil(e.retryAfterSeconds))));
  }
  // Server folders never reach the client (as the error mapper does for every other route).
  const message = hostPathHider(state.settings.dataDir)(e.message);
  return Response.json({
    error: {
      message,
      status: e.status,
      requestId: state.requestId,
      ...(e.details !== undefined ? { details: e.details } : {}),
    },
  }, { status: e.status, headers });
}
