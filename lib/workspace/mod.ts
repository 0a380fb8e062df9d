/**
 * Picks the Workspace adapter from the settings. Pages get the workspace from `ctx.state` and
 * never know which adapter they talk to.
 */
import type { Settings } from "@/fresh.config.ts";
import type { Workspace } from "./types.ts";
import { createLocalWorkspace } from "./local/workspace.ts";
import { createDatabricksWorkspace } from "./databricks/factory.ts";

/**
 * The workspace one request should use: inside Databricks Apps with user authorization on, the
 * adapter acting as the signed-in user (their forwarded token); otherwise the app's own.
 */
export { workspaceForRequest } from "./databricks/factory.ts";

/** Creates the workspace the settings ask for. */
export function createWorkspace(settings: Settings): Promise<Workspace> {
  if (settings.workspace === "databricks") {
    return Promise.resolve(createDatabricksWorkspace(settings));
  }
  return Promise.resolve(createLocalWorkspace({
    dataDir: settings.dataDir,
    python: settings.python,
    volume: settings.volume,
  }));
}
