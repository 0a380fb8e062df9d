/**
 * Every error under `/serving-endpoints/` answers in Model Serving's shape
 * (`{"error_code", "message"}`, lib/serving/invocation_error.ts) with the app's status codes and
 * `Retry-After`; unknown errors are logged with the request id, as the app's error mapper does.
 */
import { hostPathHider, HttpError } from "@/lib/errors.ts";
import { modelServingErrorResponse } from "@/lib/serving/invocation_error.ts";
import { clientFault } from "@/lib/web/app.ts";
import { createLogger } from "@/lib/web/middleware.ts";
import type { MiddlewareHandler } from "@/lib/web/types.ts";

const hiders = new Map<string, (text: string) => string>();

export const handler: MiddlewareHandler = async (req, ctx) => {
  try {
    return await ctx.next();
  } catch (thrown) {
    const { settings, requestId } = ctx.state;
    const err = clientFault(thrown);
    if (!(err instanceof HttpError)) {
      createLogger(settings.logLevel)("error", "unhandled error", {
        requestId,
        path: ctx.url.pathname,
        method: req.method,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    let hide = hiders.get(settings.dataDir);
    if (!hide) hiders.set(settings.dataDir, hide = hostPathHider(settings.dataDir));
    return modelServingErrorResponse(err, { requestId, hide });
  }
};
