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

/**
 * Creates the workspace the settings ask for. `serveEndpoints`: this process is the app's server
 * and serves local endpoints (loads their models); the CLI and tests leave it off.
 */
export function createWorkspace(
  settings: Settings,
  opts: { serveEndpoints?: boolean } = {},
): Promise<Workspace> {
  if (settings.workspace === "databricks") {
    return Promise.resolve(createDatabricksWorkspace(settings));
  }
  return Promise.resolve(createLocalWorkspace({
    dataDir: settings.dataDir,
    python: settings.python,
    volume: settings.volume,
    serveEndpoints: opts.serveEndpoints,
    endpointIdleMinutes: settings.endpointIdleMinutes,
    serverUrl: `http://${loopbackHost(settings.hostname)}:${settings.port}`,
  }));
}

/** The host other local processes reach this server at. */
function loopbackHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "" || hostname === "localhost") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
