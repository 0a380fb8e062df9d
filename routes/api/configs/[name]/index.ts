import { configStoreFor } from "@/lib/store/configs.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** GET one config with its full history (newest first). */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const store = await configStoreFor(ctx.state);
    const config = await store.get(ctx.params.name);
    return Response.json({ config, history: await store.history(ctx.params.name) });
  },
};
