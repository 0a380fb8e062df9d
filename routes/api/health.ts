import type { Handlers } from "@/lib/web/types.ts";

/** Liveness: the process answers. */
export const handler: Handlers = {
  GET() {
    return Response.json({ ok: true });
  },
};
