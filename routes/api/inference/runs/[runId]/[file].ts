import { NotFoundError } from "@/lib/errors.ts";
import { getRun } from "@/lib/training/records.ts";
import type { Handlers } from "@/lib/web/types.ts";

const FILES: Record<string, string> = {
  "model.onnx": "application/octet-stream",
  "model.json": "application/json",
};

/** A succeeded run's exported model.onnx or model.json, streamed from its run folder. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const { runId, file } = ctx.params;
    const type = FILES[file];
    if (!type) throw new NotFoundError(`A run exports model.onnx and model.json, not "${file}".`);
    const run = await getRun(runId);
    if (run.status !== "succeeded") {
      throw new NotFoundError(`Run ${runId} is ${run.status}; only succeeded runs export a model.`);
    }
    const path = `${run.runDir}/${file}`;
    const st = await ctx.state.workspace.files.stat(path);
    if (!st || st.isDirectory) throw new NotFoundError(`Run ${runId} has no ${file}.`);
    const body = await ctx.state.workspace.files.read(path);
    return new Response(body, {
      headers: {
        "content-type": type,
        ...(st.size !== undefined ? { "content-length": String(st.size) } : {}),
        "content-disposition": `attachment; filename="${runId.replace(/[^\w.-]/g, "_")}-${file}"`,
        "cache-control": "no-store",
      },
    });
  },
};
