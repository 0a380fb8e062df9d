/**
 * Start-up: read settings, open the store, pick the workspace, build the app, serve it.
 * Kept out of main.ts so tests and the CLI build the same app.
 */
import { loadSettings, type Settings, SettingsError } from "@/fresh.config.ts";
import { startDemoSeeding } from "@/lib/demo/startup.ts";
import { startHistoryMaintenance } from "@/lib/history/retention.ts";
import { openKv } from "@/lib/store/kv.ts";
import { startMonitor } from "@/lib/training/refresh.ts";
import { createApp } from "@/lib/web/app.ts";
import { createLogger } from "@/lib/web/middleware.ts";
import { createWorkspace } from "@/lib/workspace/mod.ts";

/** The project root (where routes/ and islands/ are). */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Builds the app for the given settings. KV lives in the data dir; where that cannot be written
 * (Deno Deploy) a Databricks-mode app opens the host's default KV instead.
 */
export async function buildApp(settings: Settings) {
  const log = createLogger(settings.logLevel);
  if (await writableDir(settings.dataDir)) {
    await openKv(`${settings.dataDir}/kv.sqlite3`);
  } else if (settings.workspace === "databricks") {
    log("info", "no writable data dir: using the default Deno KV", { dataDir: settings.dataDir });
    await openKv();
  } else {
    console.error(
      `The local workspace keeps its files in ${settings.dataDir}, which cannot be created or ` +
        "written here. Set LAKEVISION_DATA_DIR to a writable folder, or use a Databricks " +
        "workspace (LAKEVISION_WORKSPACE=databricks).",
    );
    Deno.exit(1);
  }
  const workspace = await createWorkspace(settings, { serveEndpoints: true });
  if (settings.demo) startDemoSeeding(settings, workspace); // background; the home page shows it
  // Re-attach to local jobs that outlived a restart (or mark them lost) without waiting for a visit.
  startMonitor(workspace);
  startHistoryMaintenance(workspace); // retention pruning and run resources, hourly, in the background
  const app = await createApp({ settings, workspace, root: ROOT });
  return { app, workspace };
}

/** Creates `dir` if needed; false where this host allows no writes there. */
async function writableDir(dir: string): Promise<boolean> {
  const perm = await Deno.permissions.query({ name: "write", path: dir }).catch(() => null);
  if (perm?.state !== "granted") return false;
  try {
    await Deno.mkdir(dir, { recursive: true });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotSupported) {
      return false;
    }
    // A read-only file system (EROFS) or a file in the way: no data dir here either.
    if ((e as { code?: string }).code === "EROFS") return false;
    throw e;
  }
}

/** Reads settings and serves the app until the process is stopped. */
export async function start(): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettings();
  } catch (e) {
    if (e instanceof SettingsError) {
      console.error(e.message);
      Deno.exit(1);
    }
    throw e;
  }
  const log = createLogger(settings.logLevel);
  const { app, workspace } = await buildApp(settings);
  Deno.serve({
    port: settings.port,
    hostname: settings.hostname,
    onListen: ({ hostname, port }) => {
      const shown = hostname === "0.0.0.0" || hostname === "127.0.0.1" ? "localhost" : hostname;
      log("info", "listening", { url: `http://${shown}:${port}`, workspace: workspace.describe() });
      if (settings.logLevel !== "silent") {
        console.log(`Lakevision is running at http://${shown}:${port}`);
      }
    },
  }, app.fetch);
}
