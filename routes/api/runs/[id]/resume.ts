import { resumeRun } from "@/lib/training/launch.ts";
import { trainingContext } from "@/lib/training/service.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Starts a new run from the last checkpoint of a cancelled or failed one. */
export const handler: Handlers = {
  async POST(req, ctx) {
    // The body is optional (a bare POST resumes without an idempotency token).
    const body = req.body ? await readJson<{ idempotencyToken?: unknown } | null>(req) : null;
    const token = typeof body?.idempotencyToken === "string" &&
        /^[A-Za-z0-9_-]{8,64}$/.test(body.idempotencyToken)
      ? body.idempotencyToken
      : undefined;
    const { run, existing } = await resumeRun(await trainingContext(ctx.state), ctx.params.id, {
      idempotencyToken: token,
    });
    return Response.json({ run, existing }, { status: existing ? 200 : 201 });
  },
};
