/**
 * Picks the Workspace adapter from the settings. Pages get the workspace from `ctx.state` and
 * never know which adapter they talk to.
 */
import type { Settings } from "@/fresh.config.ts";
import type { Workspace } from "./types.ts";
import { createLocalWorkspace } from "./local/workspace.ts";

/** Creates the workspace the settings ask for. */
export async function createWorkspace(settings: Settings): Promise<Workspace> {
  if (settings.workspace === "databricks") {
    const spec = "./databricks/factory.ts";
    const mod = await import(spec).catch((e) => {
      throw new Error(`The Databricks adapter could not be loaded: ${e.message}`);
    });
    return mod.createDatabricksWorkspace(settings);
  }
  return createLocalWorkspace({
    dataDir: settings.dataDir,
    python: settings.python,
    volume: settings.volume,
  });
}
