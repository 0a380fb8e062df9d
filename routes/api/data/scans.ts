import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { KvScanCache } from "@/lib/data/cache.ts";
import { scans } from "@/lib/data/registry.ts";
import { getKv } from "@/lib/store/kv.ts";
import type { Handlers } from "@/lib/web/types.ts";

const VolumePath = z.string().min(1).max(2000).startsWith("/Volumes/", "must be under /Volumes/");

const Body = z.object({
  path: VolumePath.optional(),
  /** Named split paths (a config's train/val/test), scanned together. */
  splits: z.array(z.object({
    name: z.string().min(1).max(64),
    path: VolumePath,
    images: VolumePath.optional(),
  })).min(1).max(8).optional(),
  format: z.enum(["auto", "coco", "coco-panoptic", "imagefolder", "masks"]).default("auto"),
  images: z.string().max(2000).startsWith("/Volumes/").optional(),
}).refine((b) => (b.path === undefined) !== (b.splits === undefined), "send a path or splits");

/** POST: start a scan of a volume path (or of named split paths); answers at once (202). */
export const handler: Handlers = {
  async POST(req, ctx) {
    const body = Body.safeParse(await req.json().catch(() => null));
    if (!body.success) {
      throw new BadRequestError(
        `Bad request: ${body.error.issues[0].path.join(".")} ${body.error.issues[0].message}`,
      );
    }
    const { path, splits, format, images } = body.data;
    const cache = new KvScanCache(await getKv());
    const rec = scans.start(
      { path, splits, format, images: images || undefined },
      ctx.state.workspace.files,
      cache,
    );
    return Response.json(rec, { status: 202 });
  },
};
