import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { checkImageBytes } from "@/lib/image/budget.ts";
import { noteInferenceSession } from "@/lib/history/events.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** The Model Serving request the Playground sends: dataframe_split with a base64 image column. */
const InvokeBody = z.object({
  dataframe_split: z.object({
    columns: z.array(z.string()).min(1).refine((c) => c.includes("image"), {
      message: 'must include the "image" column',
    }),
    data: z.array(z.array(z.unknown())).min(1, "send at least one image").max(16),
  }),
  params: z.object({
    confidence_threshold: z.number().min(0).max(1).optional(),
    max_detections: z.number().int().positive().max(1000).optional(),
    top_k: z.number().int().positive().max(1000).optional(),
  }).optional(),
});

/**
 * Proxies a Playground call to a serving endpoint, `?endpoint=<name>`: the server holds the
 * credentials, so no token reaches the browser. Each image's header is checked against the
 * pixel budget first; the endpoint's own answer (or error) comes back with its time.
 */
export const handler: Handlers = {
  async POST(req, ctx) {
    const name = ctx.url.searchParams.get("endpoint") ?? "";
    if (!/^[\w-]{1,63}$/.test(name)) {
      throw new BadRequestError(
        "Give the endpoint as ?endpoint=<name> (letters, digits, - and _).",
      );
    }
    const body = await readJson(req, InvokeBody);
    const col = body.dataframe_split.columns.indexOf("image");
    body.dataframe_split.data.forEach((row, i) => {
      const b64 = row[col];
      if (typeof b64 !== "string") {
        throw new BadRequestError(`Row ${i}: image must be base64 text.`);
      }
      let bytes: Uint8Array;
      try {
        // The header is enough for the budget; 1 Mi base64 characters are 768 KB of image.
        bytes = Uint8Array.from(atob(b64.slice(0, 1 << 20)), (c) => c.charCodeAt(0));
      } catch {
        throw new BadRequestError(`Row ${i}: image is not valid base64.`);
      }
      checkImageBytes(bytes, `Image ${i + 1}`);
    });
    const t0 = performance.now();
    const answer = await ctx.state.workspace.serving.invoke(name, body);
    const ms = performance.now() - t0;
    await noteInferenceSession(ctx.state.user.name, `endpoint:${name}`, "endpoint")
      .catch(() => false);
    return Response.json(answer, {
      headers: { "server-timing": `invoke;dur=${ms.toFixed(1)}`, "cache-control": "no-store" },
    });
  },
};
