import { assertDataReady } from "@/lib/config/data_ready.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { launchRun } from "@/lib/training/launch.ts";
import { listRuns } from "@/lib/training/records.ts";
import { trainingContext } from "@/lib/training/service.ts";
import { LaunchRequestSchema, RUN_STATUSES } from "@/lib/training/types.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Runs (filtered) and launching a run. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    await trainingContext(ctx.state);
    const q = ctx.url.searchParams;
    const status = q.get("status") ?? undefined;
    if (status && status !== "active" && !(RUN_STATUSES as readonly string[]).includes(status)) {
      throw new BadRequestError(`status must be one of active, ${RUN_STATUSES.join(", ")}.`);
    }
    const compute = q.get("compute") ?? undefined;
    if (compute && compute !== "local" && compute !== "databricks") {
      throw new BadRequestError("compute must be local or databricks.");
    }
    const runs = await listRuns({
      status: status as never,
      compute: compute as never,
      config: q.get("config") ?? undefined,
      q: q.get("q") ?? undefined,
      limit: Math.min(Number(q.get("limit")) || 200, 500),
    });
    return Response.json({ runs });
  },
  async POST(req, ctx) {
    const parsed = LaunchRequestSchema.safeParse(await readJson(req));
    if (!parsed.success) {
      throw new BadRequestError(
        "The launch request is not valid: " +
          parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
        parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      );
    }
    const t = await trainingContext(ctx.state);
    await assertDataReady(t, parsed.data);
    const { run, existing } = await launchRun(t, parsed.data);
    return Response.json({ run, existing }, { status: existing ? 200 : 201 });
  },
};
