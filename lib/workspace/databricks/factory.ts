/**
 * Entry points the app uses: build the Databricks adapter from the validated settings, and the
 * per-request view that acts as the signed-in Databricks Apps user.
 */
import type { Settings } from "@/fresh.config.ts";
import type { Workspace } from "../types.ts";
import { type DatabricksDeps, DatabricksWorkspace } from "./databricks_workspace.ts";

const JOBS_DIR = new URL("../../../jobs", import.meta.url).pathname;

/** Settings the app's config does not (yet) carry; read from these environment variables. */
export interface DatabricksExtras {
  /** DATABRICKS_WAREHOUSE_ID: SQL warehouse for Delta tables. */
  warehouseId?: string;
  /** LAKEVISION_CATALOG / LAKEVISION_SCHEMA: model scope; default: the volume's. */
  catalog?: string;
  schema?: string;
  /** LAKEVISION_EXPERIMENT_ROOT: e.g. /Shared/lakevision. */
  experimentRoot?: string;
  /** LAKEVISION_JOBS_DIR: workspace folder of the uploaded jobs/ code. */
  jobsDir?: string;
  /** DATABRICKS_CONFIG_FILE: default ~/.databrickscfg. */
  configFile?: string;
  /** LAKEVISION_JOBS_UPLOAD=0 turns off uploading the app's jobs/ before the first run. */
  uploadJobs?: boolean;
}

/** Reads the extras from the environment (absent ones stay undefined). */
export function extrasFromEnv(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): DatabricksExtras {
  const v = (k: string) => env[k]?.trim() || undefined;
  const home = v("HOME") ?? v("USERPROFILE");
  return {
    warehouseId: v("DATABRICKS_WAREHOUSE_ID"),
    catalog: v("LAKEVISION_CATALOG"),
    schema: v("LAKEVISION_SCHEMA"),
    experimentRoot: v("LAKEVISION_EXPERIMENT_ROOT"),
    jobsDir: v("LAKEVISION_JOBS_DIR"),
    configFile: v("DATABRICKS_CONFIG_FILE") ?? (home ? `${home}/.databrickscfg` : undefined),
    uploadJobs: v("LAKEVISION_JOBS_UPLOAD") !== "0",
  };
}

/**
 * The Databricks adapter for the app's settings. Credentials are resolved now (forwarded >
 * OAuth M2M > PAT > profile); a missing one throws a WorkspaceError naming the variables.
 */
export function createDatabricksWorkspace(
  settings: Pick<Settings, "volume" | "databricks">,
  extras: DatabricksExtras = extrasFromEnv(),
  deps: DatabricksDeps = {},
): DatabricksWorkspace {
  const [, , catalog, schema] = settings.volume.split("/");
  return new DatabricksWorkspace({
    ...settings.databricks,
    configFile: extras.configFile,
    volume: settings.volume,
    catalog: extras.catalog ?? catalog,
    schema: extras.schema ?? schema,
    warehouseId: extras.warehouseId,
    experimentRoot: extras.experimentRoot,
    jobsDir: extras.jobsDir,
    // The app ships jobs/ beside lib/; runs need it in the workspace, so it goes up once.
    jobsLocalDir: extras.uploadJobs === false ? undefined : JOBS_DIR,
  }, deps);
}

/**
 * The workspace a request should use: inside Databricks Apps with user authorization on, the
 * per-request view for the signed-in user (`X-Forwarded-Access-Token`, used only for the scopes
 * the app declares; `X-Forwarded-Email` names who acts); otherwise unchanged.
 */
export function workspaceForRequest(ws: Workspace, headers: Headers): Workspace {
  const token = headers.get("x-forwarded-access-token");
  const who = headers.get("x-forwarded-email") ?? headers.get("x-forwarded-preferred-username");
  return token && ws instanceof DatabricksWorkspace ? ws.forUser(token, who ?? undefined) : ws;
}
