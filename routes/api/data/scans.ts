import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { KvScanCache } from "@/lib/data/cache.ts";
import { type ScanRecord, scans } from "@/lib/data/registry.ts";
import { getKv } from "@/lib/store/kv.ts";
import { logActivity } from "@/lib/store/activity.ts";
import { parseTableName, requireDeltaReader } from "@/lib/workspace/databricks/delta_reader.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

const VolumePath = z.string().min(1, "must not be empty").max(
  2000,
  "is longer than 2,000 characters",
)
  .startsWith("/Volumes/", "must be under /Volumes/");
const Column = z.string().trim().min(1, "must name a column").max(
  255,
  "is longer than 255 characters",
);

const Body = z.object({
  path: VolumePath.optional(),
  /** Named split paths (a config's train/val/test), scanned together. */
  splits: z.array(z.object({
    name: z.string().min(1, "must not be empty").max(64, "is longer than 64 characters"),
    path: VolumePath,
    images: VolumePath.optional(),
  })).min(1).max(8).optional(),
  format: z.enum(["auto", "coco", "coco-panoptic", "imagefolder", "masks"]).default("auto"),
  images: VolumePath.optional(),
  /** A Delta table with one row per image (Databricks mode). */
  delta: z.object({
    table: z.string().trim().min(1, "must name a table").max(800, "is longer than 800 characters"),
    imageColumn: Column,
    labelColumn: Column,
    splitColumn: Column.optional(),
  }).optional(),
}).refine(
  (b) => [b.path, b.splits, b.delta].filter((x) => x !== undefined).length === 1,
  "send a path, splits or a delta table",
);

/**
 * POST: start a scan of a volume path, of named split paths, or (Databricks mode) of a Delta
 * table `{delta: {table, imageColumn, labelColumn, splitColumn?}}`; answers at once (202).
 */
export const handler: Handlers = {
  async POST(req, ctx) {
    const body = Body.safeParse(await readJson(req));
    if (!body.success) {
      const i = body.error.issues[0];
      throw new BadRequestError(
        `The scan request is not valid: ${i.path.join(".") || "body"} ${
          i.message.replace(/^Invalid input: /, "")
        }.`,
      );
    }
    const { path, splits, format, images, delta } = body.data;
    if (delta) {
      const reader = requireDeltaReader(ctx.state.workspace);
      const t = parseTableName(delta.table);
      const spec = { ...delta, table: `${t.catalog}.${t.schema}.${t.table}` };
      const rec = scans.start(
        { delta: spec },
        ctx.state.workspace.files,
        undefined,
        reader,
        logEnd(ctx.state.user.name, `dataset:${spec.table}`, {}),
      );
      return Response.json(rec, { status: 202 });
    }
    const cache = new KvScanCache(await getKv());
    const rec = scans.start(
      { path, splits, format, images: images || undefined },
      ctx.state.workspace.files,
      cache,
      undefined,
      logEnd(ctx.state.user.name, `dataset:${path ?? splits!.map((s) => s.path).join(",")}`, {
        format,
      }),
    );
    return Response.json(rec, { status: 202 });
  },
};

/** Logs a scan when it ends, as what happened: scanned, failed (with why) or cancelled. */
function logEnd(who: string, subject: string, details: Record<string, unknown>) {
  return (rec: ScanRecord) =>
    logActivity({
      who,
      what: rec.status === "done"
        ? "scanned dataset"
        : rec.status === "cancelled"
        ? "cancelled scan"
        : "scan failed",
      subject,
      details: {
        ...details,
        scanId: rec.id,
        ...(rec.status === "failed" ? { error: rec.error?.slice(0, 300) } : {}),
      },
    });
}
