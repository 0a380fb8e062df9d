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
    const mod = await import("./databricks/factory.ts").catch((e) => {
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

/**
 * The workspace one request should use: inside Databricks Apps with user authorization on, the
 * adapter acting as the signed-in user (their forwarded token); otherwise the app's own.
 */
export function workspaceForRequest(ws: Workspace, headers: Headers): Workspace {
  if (ws.kind !== "databricks" || !headers.get("x-forwarded-access-token")) return ws;
  const forUser = (ws as Workspace & { forUser?: (t: string) => Workspace }).forUser;
  return forUser ? forUser.call(ws, headers.get("x-forwarded-access-token")!) : ws;
}
