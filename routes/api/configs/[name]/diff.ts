import { BadRequestError } from "@/lib/errors.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** GET `?a=1&b=2`: field-level changes and aligned YAML lines between two versions. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const a = Number(ctx.url.searchParams.get("a")), b = Number(ctx.url.searchParams.get("b"));
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < 1) {
      throw new BadRequestError("a and b must be version numbers.");
    }
    const d = await (await configStoreFor(ctx.state)).diff(ctx.params.name, a, b);
    return Response.json({ a, b, fields: d.fields, lines: d.lines });
  },
};
