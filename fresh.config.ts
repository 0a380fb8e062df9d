/**
 * Every setting Lakevision reads from the environment, validated once at start-up.
 * A missing or bad value stops start-up with a message that names the variable.
 */
import { z } from "zod";
import { KNOWN_USER_SCOPES } from "@/lib/workspace/databricks/scopes.ts";

const WORKSPACE_KINDS = ["local", "databricks"] as const;

const port = z.coerce.number().int().min(1).max(65535);
/** A host name, IPv4 address or bracketed IPv6 address, with an optional port; no scheme. */
const HOST_RE =
  /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::\d{1,5})?$/;

const EnvSchema = z.object({
  PORT: port.optional(),
  DATABRICKS_APP_PORT: port.optional(),
  LAKEVISION_HOST: z.string().min(1).optional(),
  LAKEVISION_DATA_DIR: z.string().min(1).default("./.lakevision"),
  LAKEVISION_WORKSPACE: z.enum(WORKSPACE_KINDS).optional(),
  LAKEVISION_MAX_BODY_MB: z.coerce.number().positive().max(4096).default(64),
  LAKEVISION_LOG: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  LAKEVISION_PYTHON: z.string().min(1).optional(),
  LAKEVISION_DEMO: z.enum(["0", "1"]).default("1"),
  /** `1`: run as on Deno Deploy (no file writes, no subprocesses); set there by DENO_DEPLOYMENT_ID. */
  LAKEVISION_DEPLOY: z.enum(["0", "1"]).optional(),
  DENO_DEPLOYMENT_ID: z.string().optional(),
  /** Largest image (pixels) decoded anywhere; read by lib/image/budget.ts, checked here. */
  LAKEVISION_MAX_DECODE_PIXELS: z.coerce.number().int().positive().optional(),
  /** Idle minutes before a local scale-to-zero endpoint unloads its model; 0 = never. */
  LAKEVISION_ENDPOINT_IDLE_MINUTES: z.coerce.number().min(0).max(7 * 24 * 60).default(15),
  DATABRICKS_APP_NAME: z.string().optional(),
  DATABRICKS_HOST: z.string().min(1).optional(),
  DATABRICKS_TOKEN: z.string().min(1).optional(),
  DATABRICKS_CLIENT_ID: z.string().min(1).optional(),
  DATABRICKS_CLIENT_SECRET: z.string().min(1).optional(),
  DATABRICKS_CONFIG_PROFILE: z.string().min(1).optional(),
  /**
   * Databricks Apps user authorization scopes the app declares (comma-separated); the signed-in
   * user's token is used only for calls these cover. Empty: every call is the app's own.
   */
  LAKEVISION_USER_SCOPES: z.string().trim().default("").refine(
    (v) => scopeList(v).every((s) => (KNOWN_USER_SCOPES as string[]).includes(s)),
    `must be a comma-separated list of: ${KNOWN_USER_SCOPES.join(", ")}`,
  ),
  /** Hosts (comma-separated, `name` or `name:port`) the app answers for besides loopback. */
  LAKEVISION_PUBLIC_HOST: z.string().trim().min(1).refine(
    (v) => v.split(",").every((h) => HOST_RE.test(h.trim())),
    "must be host names, each optionally with :port (e.g. lakevision.example.com,10.0.0.5:8000)",
  ).optional(),
  /** Set by Databricks Apps on newer runtimes: the app's own URL. */
  DATABRICKS_APP_URL: z.url().optional(),
  /**
   * `/Volumes/<catalog>/<schema>/<volume>`, or `<catalog>.<schema>.<volume>` as Databricks Apps
   * passes a volume resource through `valueFrom`.
   */
  LAKEVISION_VOLUME: z.string().trim().transform((v) =>
    /^[^./\s]+\.[^./\s]+\.[^./\s]+$/.test(v) ? `/Volumes/${v.replaceAll(".", "/")}` : v
  ).pipe(
    z.string().regex(
      /^\/Volumes\/[^/]+\/[^/]+\/[^/]+\/?$/,
      "must look like /Volumes/<catalog>/<schema>/<volume> or <catalog>.<schema>.<volume>",
    ),
  ).optional(),
});

/** The validated settings the app runs with. */
export interface Settings {
  port: number;
  hostname: string;
  dataDir: string;
  workspace: "local" | "databricks";
  maxBodyBytes: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  python?: string;
  demo: boolean;
  /** Local endpoints with scale to zero unload their model after this many idle minutes. */
  endpointIdleMinutes: number;
  /** The volume the app keeps its configs, runs and datasets in. */
  volume: string;
  /** True when running inside Databricks Apps. */
  databricksApp: boolean;
  /**
   * True on Deno Deploy (or LAKEVISION_DEPLOY=1): no file writes, no subprocesses, no native
   * add-ons. Databricks mode only; pages hide or explain what runs in this process (loading
   * models for the app's own batch runner, in-process evaluation).
   */
  deploy: boolean;
  /**
   * True behind the Databricks Apps proxy (`DATABRICKS_APP_PORT` is set). Only then are the
   * proxy's `X-Forwarded-Host`, `-Email`, `-Preferred-Username` and `-Access-Token` trusted;
   * anywhere else any client could send them.
   */
  behindAppsProxy: boolean;
  /**
   * Hosts (lower case, `name` or `name:port`) served besides localhost, 127.0.0.1 and [::1]:
   * `LAKEVISION_PUBLIC_HOST` and, in Apps, the app's URL. Other `Host`s get a 421 (DNS rebinding).
   */
  publicHosts: string[];
  databricks: {
    host?: string;
    token?: string;
    clientId?: string;
    clientSecret?: string;
    profile?: string;
    /** LAKEVISION_USER_SCOPES: the user scopes the app declares (see lib/workspace/databricks/scopes.ts). */
    userScopes: string[];
  };
}

function scopeList(v: string): string[] {
  return v.split(",").map((s) => s.trim()).filter(Boolean);
}

/** Raised when the environment holds a bad value; the message names every bad variable. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

/** Reads settings from an environment map (defaults to the process environment). */
export function loadSettings(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Settings {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) =>
      `  ${i.path.join(".")}=${JSON.stringify(env[String(i.path[0])] ?? "")}: ${i.message}`
    );
    throw new SettingsError(`Invalid settings in the environment:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const databricksApp = Boolean(e.DATABRICKS_APP_NAME);
  const workspace = e.LAKEVISION_WORKSPACE ?? (databricksApp ? "databricks" : "local");
  const deploy = e.LAKEVISION_DEPLOY ? e.LAKEVISION_DEPLOY === "1" : Boolean(e.DENO_DEPLOYMENT_ID);
  if (deploy && workspace !== "databricks") {
    throw new SettingsError(
      "On Deno Deploy Lakevision runs in Databricks mode only (the local workspace writes files " +
        "and starts processes): set LAKEVISION_WORKSPACE=databricks, DATABRICKS_HOST and " +
        "DATABRICKS_CLIENT_ID/SECRET (or DATABRICKS_TOKEN).",
    );
  }
  const home = env.HOME ?? env.USERPROFILE;
  const cfgFile = env.DATABRICKS_CONFIG_FILE ?? (home ? `${home}/.databrickscfg` : undefined);
  const hasCfgFile = cfgFile ? fileExists(cfgFile) : false;
  if (
    workspace === "databricks" && !e.DATABRICKS_HOST && !e.DATABRICKS_CONFIG_PROFILE && !hasCfgFile
  ) {
    throw new SettingsError(
      "LAKEVISION_WORKSPACE=databricks needs DATABRICKS_HOST (with DATABRICKS_TOKEN or " +
        "DATABRICKS_CLIENT_ID/SECRET), DATABRICKS_CONFIG_PROFILE, or a ~/.databrickscfg file.",
    );
  }
  return {
    port: e.DATABRICKS_APP_PORT ?? e.PORT ?? 8000,
    hostname: e.LAKEVISION_HOST ?? (databricksApp ? "0.0.0.0" : "127.0.0.1"),
    dataDir: e.LAKEVISION_DATA_DIR,
    workspace,
    maxBodyBytes: Math.round(e.LAKEVISION_MAX_BODY_MB * 1024 * 1024),
    logLevel: e.LAKEVISION_LOG,
    python: e.LAKEVISION_PYTHON,
    demo: e.LAKEVISION_DEMO === "1",
    endpointIdleMinutes: e.LAKEVISION_ENDPOINT_IDLE_MINUTES,
    volume: (e.LAKEVISION_VOLUME ?? "/Volumes/main/lakevision/data").replace(/\/$/, ""),
    databricksApp,
    deploy,
    behindAppsProxy: e.DATABRICKS_APP_PORT !== undefined,
    publicHosts: [
      ...(e.LAKEVISION_PUBLIC_HOST?.split(",").map((h) => h.trim().toLowerCase()) ?? []),
      ...(e.DATABRICKS_APP_URL ? [new URL(e.DATABRICKS_APP_URL).host.toLowerCase()] : []),
    ],
    databricks: {
      host: e.DATABRICKS_HOST,
      token: e.DATABRICKS_TOKEN,
      clientId: e.DATABRICKS_CLIENT_ID,
      clientSecret: e.DATABRICKS_CLIENT_SECRET,
      profile: e.DATABRICKS_CONFIG_PROFILE,
      userScopes: scopeList(e.LAKEVISION_USER_SCOPES),
    },
  };
}

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
