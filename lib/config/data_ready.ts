/**
 * The launch gate on data: before a run is started (form or API), the config version it would
 * run has its data paths and classes checked against the workspace (`checkDataPaths`), without
 * a page's deadline: a launch may wait for a slow workspace. Server-only.
 */
import { BadRequestError } from "@/lib/errors.ts";
import { resolveConfig, type TrainingContext } from "@/lib/training/launch.ts";
import type { LaunchRequest } from "@/lib/training/types.ts";
import { getModel } from "./catalog.ts";
import { checkDataPaths, pathOptionsOf } from "./data_paths.ts";

/**
 * Throws a 400 naming each data path that is not a volume path, does not exist or does not hold
 * the expected layout; nothing is launched then. A resume re-uses its parent's checked config.
 */
export async function assertDataReady(
  ctx: TrainingContext,
  req: Pick<LaunchRequest, "config" | "configPath" | "compute">,
): Promise<void> {
  // the wrong compute is launchRun's refusal to make; a config to check comes after that
  if (req.compute.kind !== ctx.workspace.traits.computeKind) return;
  const version = await resolveConfig(ctx, req);
  const why = cannotRunLocally(version.model);
  if (req.compute.kind === "local" && why) {
    throw new BadRequestError(`${version.name} v${version.version} cannot run here: ${why}.`);
  }
  const problems = await checkDataPaths(
    version.doc,
    version.task,
    ctx.workspace.files,
    pathOptionsOf(ctx.workspace),
  );
  if (problems.length === 0) return;
  throw new BadRequestError(
    `${version.name} v${version.version} cannot launch: ` +
      problems.map((p) => `${p.path} ${p.message}`).join("; ") +
      ". Edit the config's data paths and launch again.",
    problems,
  );
}

/** Why a model cannot train on the local workspace, or null when it can (or is unknown). */
export function cannotRunLocally(model: string): string | null {
  const m = getModel(model);
  return m && !m.runsLocally
    ? `${model} needs Hugging Face transformers and a GPU: run it on a Databricks cluster`
    : null;
}
