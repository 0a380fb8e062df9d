import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { KvScanCache } from "@/lib/data/cache.ts";
import { scans } from "@/lib/data/registry.ts";
import { getKv } from "@/lib/store/kv.ts";
import type { Handlers } from "@/lib/web/types.ts";

const Body = z.object({
  path: z.string().min(1).max(2000).startsWith("/Volumes/", "the dataset must be under /Volumes/"),
  format: z.enum(["auto", "coco", "coco-panoptic", "imagefolder", "masks"]).default("auto"),
  images: z.string().max(2000).startsWith("/Volumes/").optional(),
});

/** POST: start a scan of a volume path; answers at once with the scan id (202). */
export const handler: Handlers = {
  async POST(req, ctx) {
    const body = Body.safeParse(await req.json().catch(() => null));
    if (!body.success) {
      throw new BadRequestError(
        `Bad request: ${body.error.issues[0].path.join(".")} ${body.error.issues[0].message}`,
      );
    }
    const { path, format, images } = body.data;
    const cache = new KvScanCache(await getKv());
    const rec = scans.start(
      { path, format, images: images || undefined },
      ctx.state.workspace.files,
      cache,
    );
    return Response.json(rec, { status: 202 });
  },
};
