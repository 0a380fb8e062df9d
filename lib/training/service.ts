/**
 * The training stage as routes and the CLI use it: the context for a request (workspace,
 * volume, acting user, config store) with the background refresh running.
 */
import { configStoreFor } from "@/lib/store/configs.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import type { TrainingContext } from "./launch.ts";
import { startMonitor } from "./refresh.ts";

/** Builds the context from a request's state (or the CLI's equivalent). */
export async function trainingContext(state: {
  workspace: Workspace;
  settings: { volume: string; workspace: "local" | "databricks" };
  user: { name: string };
}): Promise<TrainingContext> {
  startMonitor(state.workspace);
  return {
    workspace: state.workspace,
    volume: state.settings.volume.replace(/\/+$/, ""),
    user: state.user.name,
    configs: await configStoreFor(state),
  };
}
