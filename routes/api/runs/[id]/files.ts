/**
 * A run's outputs: GET lists the files in its run folder (two levels deep, for predictions/ and
 * the like) and whether the run has ended; GET `?path=<relative path>` downloads one of them.
 */
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import { getRun } from "@/lib/training/records.ts";
import { TERMINAL } from "@/lib/training/types.ts";
import type { Handlers } from "@/lib/web/types.ts";
import { listOutputs } from "@/lib/training/outputs.ts";

export const handler: Handlers = {
  async GET(_req, ctx) {
    const run = await getRun(ctx.params.id);
    const files = ctx.state.workspace.files;
    const rel = ctx.url.searchParams.get("path");
    if (rel === null) {
      return Response.json({
        files: await listOutputs(files, run.runDir),
        ended: TERMINAL.has(run.status),
      });
    }
    if (!rel || rel.startsWith("/") || rel.split("/").some((s) => s === ".." || s === "")) {
      throw new BadRequestError("path must be a file path inside the run folder");
    }
    const full = `${run.runDir.replace(/\/+$/, "")}/${rel}`;
    const st = await files.stat(full);
    if (!st || st.isDirectory) throw new NotFoundError(`The run has no output file ${rel}.`);
    const name = rel.split("/").pop()!.replace(/["\\\r\n]/g, "_");
    return new Response(await files.read(full), {
      headers: {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename="${name}"`,
        ...(st.size !== undefined ? { "content-length": String(st.size) } : {}),
      },
    });
  },
};
