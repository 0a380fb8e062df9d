import { NotFoundError } from "@/lib/errors.ts";
import { listSamples, loadSample } from "@/lib/data/samples.ts";
import { deltaSample } from "@/lib/data/delta_scan.ts";
import { scans } from "@/lib/data/registry.ts";
import type { Handlers } from "@/lib/web/types.ts";

/**
 * GET `?split=&class=&problem=&offset=`: images of a split (filtered by class id / problem rule).
 * GET `?split=&image=`: one image with its annotations.
 */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const rec = scans.get(ctx.params.id);
    if (!rec?.result) throw new NotFoundError(`scan ${ctx.params.id} has no result (yet)`);
    const q = ctx.url.searchParams;
    const split = q.get("split") ?? rec.result.splits[0]?.name ?? "";
    const files = ctx.state.workspace.files;
    const image = q.get("image");
    if (image !== null && rec.result.format === "delta") {
      return Response.json(deltaSample(rec.result, split, image));
    }
    if (image !== null) return Response.json(await loadSample(files, rec.result, split, image));
    const cls = q.get("class");
    return Response.json(
      await listSamples(files, rec.result, split, {
        classId: cls === null || cls === "" ? undefined : Number(cls),
        problem: q.get("problem") || undefined,
        offset: Number(q.get("offset") ?? 0) || 0,
        limit: Number(q.get("limit") ?? 24) || 24,
      }),
    );
  },
};
