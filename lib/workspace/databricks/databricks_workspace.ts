/**
 * The `databricks` adapter of the Workspace port: REST clients for each area behind the same
 * interface as `local`, plus what only Databricks has (acting identity, SQL, job code upload).
 */
import type {
  AreaHealth,
  ComputeApi,
  FilesApi,
  JobsApi,
  RegistryApi,
  ServingApi,
  TrackingApi,
  Workspace,
  WorkspaceTraits,
} from "../types.ts";
import { DatabricksError } from "./api_error.ts";
import {
  type AuthMethod,
  type DatabricksSettings,
  DataPlaneTokens,
  resolveAuth,
  settingsFromEnv,
  StaticToken,
} from "./auth.ts";
import { ClustersClient } from "./clusters.ts";
import { stageJobsCode } from "./code_staging.ts";
import { checkVolumePath, FilesClient, SINGLE_PUT_LIMIT } from "./files.ts";
import { filesApi } from "./port_files.ts";
import { type Clock, HttpClient, type RetryPolicy } from "./http.ts";
import { JobsClient } from "./jobs.ts";
import { MlflowClient } from "./mlflow.ts";
import { computeApi, registryApi, trackingApi } from "./port_adapters.ts";
import { type InvocationRoutes, servingApi } from "./port_serving.ts";
import { jobsApi } from "./port_jobs.ts";
import { registrationCluster, registrationFlow } from "./registration.ts";
import { ServingClient } from "./serving.ts";
import { SqlClient, type SqlParam, type SqlValue } from "./sql.ts";
import { UcModelsClient } from "./uc_models.ts";
import type { UserScope } from "./scopes.ts";
import { WorkspaceImportClient } from "./workspace_import.ts";
import { z } from "zod";
import { plural } from "@/lib/format.ts";

/** Everything the adapter needs: where, as whom, and the app's defaults. */
export interface DatabricksWorkspaceSettings extends DatabricksSettings {
  /** Default catalog / schema for models and browsing. */
  catalog?: string;
  schema?: string;
  /** Default volume, `catalog.schema.volume` or `/Volumes/catalog/schema/volume`. */
  volume?: string;
  /** Experiments under this path are "the app's runs" (e.g. `/Shared/lakevision`). */
  experimentRoot?: string;
  /** SQL warehouse for Delta tables. */
  warehouseId?: string;
  /** Workspace folder holding the uploaded `jobs/` code. */
  jobsDir?: string;
  /** Local `jobs/` folder; when set, it is uploaded to `jobsDir` before the first submit. */
  jobsLocalDir?: string;
  /** Compute used when a JobSpec has none (a `new_cluster` spec or task compute fields). */
  defaultCompute?: Record<string, unknown>;
  /**
   * Compute of the registration job (`{existing_cluster_id}` or `{new_cluster}`); default: the
   * smallest single-node CPU cluster on the newest LTS ML runtime the workspace lists.
   */
  registrationCompute?: Record<string, unknown>;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Largest single upload (default 5 GiB, the Files API limit). */
  maxPutBytes?: number;
  /** Uploads above this size use the Files API's multipart upload (default 5 GiB). */
  multipartThreshold?: number;
  /**
   * The Databricks Apps user authorization scopes the app declares (LAKEVISION_USER_SCOPES):
   * a forwarded user token is used only for calls one of these covers (see scopes.ts).
   */
  userScopes?: readonly string[];
}

/** Test seams: a fetch to intercept requests and a clock to skip back-off waits. */
export interface DatabricksDeps {
  fetch?: typeof fetch;
  clock?: Clock;
  random?: () => number;
}

/** Who the workspace sees. */
export interface Identity {
  userName: string;
  displayName?: string;
  servicePrincipal: boolean;
}

/** The signed-in user a per-request view acts for (see forUser). */
interface UserView {
  http: HttpClient;
  /** Shown in records and logs: e-mail or user name from the Apps proxy, when known. */
  name?: string;
}

/** State every view of one workspace shares (see forUser). */
interface Shared {
  upload?: Promise<unknown>;
  uploader: WorkspaceImportClient;
  routes: InvocationRoutes;
  /** Data-plane tokens of route-optimized endpoints, per identity and endpoint. */
  dataPlane: DataPlaneTokens;
  /** The registration job's cluster, chosen once from the workspace's node types and runtimes. */
  registrationCluster?: Promise<Record<string, unknown>>;
}

const DEFAULT_JOBS_DIR = "/Workspace/Shared/lakevision/jobs";

/**
 * Jobs queue for clusters and are read over REST (each look is an API call, rate-limited), so
 * they are looked at seldom; Delta tables are read through a SQL warehouse.
 */
export const DATABRICKS_TRAITS: WorkspaceTraits = {
  jobsRunHere: false,
  computeKind: "databricks",
  deltaTables: true,
  poll: { backgroundMs: 10_000, followMs: 10_000, watchMs: 5_000, watchLogMs: 15_000 },
};

/**
 * Reads the adapter's settings from the environment: DATABRICKS_HOST, DATABRICKS_TOKEN,
 * DATABRICKS_CLIENT_ID/SECRET, DATABRICKS_CONFIG_PROFILE/FILE, DATABRICKS_WAREHOUSE_ID, and
 * LAKEVISION_CATALOG/SCHEMA/VOLUME/EXPERIMENT_ROOT/JOBS_DIR.
 */
export function workspaceSettingsFromEnv(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): DatabricksWorkspaceSettings {
  const v = (k: string) => env[k]?.trim() || undefined;
  return {
    ...settingsFromEnv(env),
    catalog: v("LAKEVISION_CATALOG"),
    schema: v("LAKEVISION_SCHEMA"),
    volume: v("LAKEVISION_VOLUME"),
    experimentRoot: v("LAKEVISION_EXPERIMENT_ROOT"),
    warehouseId: v("DATABRICKS_WAREHOUSE_ID"),
    jobsDir: v("LAKEVISION_JOBS_DIR"),
  };
}

/** Volume setting → `/Volumes/c/s/v`, or undefined. */
function volumeRoot(volume?: string): string | undefined {
  if (!volume) return undefined;
  if (volume.startsWith("/Volumes/")) return checkVolumePath(volume);
  const parts = volume.split(".");
  return parts.length === 3
    ? checkVolumePath(`/Volumes/${parts.join("/")}`)
    : checkVolumePath(volume);
}

/**
 * The Workspace port over Databricks REST. One instance per app (acting as its own identity);
 * `forUser()` gives the per-request view for a forwarded user token.
 */
export class DatabricksWorkspace implements Workspace {
  readonly kind = "databricks" as const;
  readonly traits: WorkspaceTraits = DATABRICKS_TRAITS;
  readonly host: string;
  readonly http: HttpClient;
  /** Holds credentials: never expose or serialise it (see `defaults` and toJSON). */
  readonly #settings: DatabricksWorkspaceSettings;
  readonly filesClient: FilesClient;
  readonly jobsClient: JobsClient;
  readonly mlflowClient: MlflowClient;
  readonly models: UcModelsClient;
  readonly servingClient: ServingClient;
  readonly clusters: ClustersClient;
  readonly sql: SqlClient;
  readonly importer: WorkspaceImportClient;
  readonly files: FilesApi;
  readonly jobs: JobsApi;
  readonly tracking: TrackingApi;
  readonly registry: RegistryApi;
  readonly serving: ServingApi;
  readonly compute: ComputeApi;
  readonly #deps: DatabricksDeps;
  readonly #user?: UserView;
  readonly #identityHttp: HttpClient;
  /** Shared with forUser() views: the one-per-process jobs/ upload (as the app) and the cache of
   * endpoints' invocation URLs. */
  readonly #shared: Shared;

  /**
   * Resolves credentials now (forwarded token > OAuth M2M > PAT > profile) and fails with a
   * clear message when none are usable; no request is made until a method is called.
   */
  constructor(
    settings: DatabricksWorkspaceSettings,
    deps: DatabricksDeps = {},
    http?: HttpClient,
    shared?: Shared,
    user?: UserView,
  ) {
    this.#settings = settings;
    this.#deps = deps;
    if (http) {
      this.http = http;
    } else {
      const { host, auth } = resolveAuth(settings, deps);
      this.http = new HttpClient({
        host,
        auth,
        fetch: deps.fetch,
        clock: deps.clock,
        random: deps.random,
        timeoutMs: settings.timeoutMs,
        retry: settings.retry,
      });
    }
    this.host = this.http.host;
    this.#user = user;
    // The user's token only where a declared scope covers the call; the app's otherwise.
    const scopes = new Set(settings.userScopes ?? []);
    const as = (scope: UserScope) => user && scopes.has(scope) ? user.http : this.http;
    this.filesClient = new FilesClient(as("files.files"), {
      maxPutBytes: settings.maxPutBytes ?? SINGLE_PUT_LIMIT,
      multipartThreshold: settings.multipartThreshold,
    });
    this.jobsClient = new JobsClient(this.http);
    this.mlflowClient = new MlflowClient(this.http);
    this.models = new UcModelsClient(this.http);
    this.servingClient = new ServingClient(as("serving.serving-endpoints"));
    this.clusters = new ClustersClient(this.http);
    this.sql = new SqlClient(as("sql"));
    this.#identityHttp = as("iam.current-user:read");
    this.importer = new WorkspaceImportClient(this.http);
    this.files = filesApi(this.filesClient);
    this.#shared = shared ??
      { uploader: this.importer, routes: new Map(), dataPlane: new DataPlaneTokens() };
    this.jobs = jobsApi(
      this.jobsClient,
      this.jobsDir,
      settings.defaultCompute,
      () => this.#ensureJobsCode(),
      (opts) => stageJobsCode(this, opts),
    );
    this.tracking = trackingApi(this.mlflowClient, settings.experimentRoot);
    this.registry = registryApi(
      this.models,
      { catalog: settings.catalog, schema: settings.schema },
      registrationFlow({
        jobs: this.jobs,
        jobsClient: this.jobsClient,
        files: this.files,
        getVersion: (name, version) => this.registry.getVersion(name, version),
        compute: () => this.#registrationCompute(),
        clock: this.http.clock,
      }),
    );
    this.serving = servingApi(this.servingClient, {
      host: this.host,
      dataPlane: this.#shared.dataPlane,
      routes: this.#shared.routes,
      clock: this.http.clock,
    });
    this.compute = computeApi(this.clusters);
  }

  /**
   * How the app's own requests authenticate ("oauth-m2m", "pat", "profile"); "forwarded-user"
   * for a per-request view, whose calls covered by a declared scope use the user's token.
   */
  get authMethod(): AuthMethod {
    return this.#user ? "forwarded-user" : this.http.auth.method;
  }

  /** Safe to show on the Settings page; never contains a secret. */
  get authLabel(): string {
    if (!this.#user) return this.http.auth.label;
    const scopes = this.#settings.userScopes ?? [];
    return `${this.http.auth.label}; signed-in user's token for ${
      scopes.length ? scopes.join(", ") : "nothing (no user scopes declared)"
    }`;
  }

  /** The signed-in user a per-request view acts for (e-mail or user name), when known. */
  get actingUser(): string | undefined {
    return this.#user?.name;
  }

  get jobsDir(): string {
    return this.#settings.jobsDir ?? DEFAULT_JOBS_DIR;
  }

  /** The default volume root, when one is configured. */
  get volume(): string | undefined {
    return volumeRoot(this.#settings.volume);
  }

  /** The app's defaults, safe to show (no credentials). */
  get defaults(): {
    catalog?: string;
    schema?: string;
    volume?: string;
    experimentRoot?: string;
    warehouseId?: string;
    jobsDir: string;
  } {
    const s = this.#settings;
    return {
      catalog: s.catalog,
      schema: s.schema,
      volume: this.volume,
      experimentRoot: s.experimentRoot,
      warehouseId: s.warehouseId,
      jobsDir: this.jobsDir,
    };
  }

  /** What serialising the workspace shows: never a token or secret. */
  toJSON(): unknown {
    return { kind: this.kind, host: this.host, auth: this.authLabel, defaults: this.defaults };
  }

  describe(): string {
    return `${this.host} (${this.authLabel})`;
  }

  /**
   * The per-request view for the signed-in user of a Databricks App (their forwarded
   * X-Forwarded-Access-Token); cheap, so build one per request. The user's token is used only
   * for calls a declared user scope covers (`userScopes`: files, SQL, serving, identity); jobs,
   * code upload, clusters, MLflow and Unity Catalog models stay with the app's own identity.
   * Without a token, returns this.
   */
  forUser(forwardedToken: string | undefined | null, userName?: string): DatabricksWorkspace {
    if (!forwardedToken) return this;
    const auth = new StaticToken(forwardedToken, "forwarded-user", "signed-in user (forwarded)");
    return new DatabricksWorkspace(
      this.#settings,
      this.#deps,
      this.http,
      this.#shared,
      { http: this.http.derive({ auth }), name: userName },
    );
  }

  /** Facts for the Settings page: host, auth, identity, defaults. Never a secret. */
  async details(): Promise<{ label: string; value: string }[]> {
    const d = this.defaults;
    let identity: string;
    try {
      const me = await this.whoami();
      identity = `${me.displayName ?? me.userName} (${me.userName})${
        me.servicePrincipal ? ", service principal" : ""
      }`;
    } catch (e) {
      identity = `unknown: ${e instanceof Error ? e.message : String(e)}`;
    }
    return [
      { label: "Host", value: this.host },
      { label: "Authentication", value: this.authLabel },
      { label: "Acting identity", value: identity },
      { label: "Catalog.schema", value: `${d.catalog ?? "—"}.${d.schema ?? "—"}` },
      { label: "SQL warehouse", value: d.warehouseId ?? "not set (DATABRICKS_WAREHOUSE_ID)" },
      { label: "Jobs code folder", value: d.jobsDir },
      { label: "MLflow experiments", value: d.experimentRoot ?? "default" },
    ];
  }

  /** Who the workspace sees (SCIM /Me). */
  async whoami(): Promise<Identity> {
    const me = await this.#identityHttp.json(
      {
        method: "GET",
        path: "/api/2.0/preview/scim/v2/Me",
        what: "Identifying the acting user",
      },
      z.looseObject({
        userName: z.string(),
        displayName: z.string().optional(),
        applicationId: z.string().optional(),
      }),
    );
    return {
      userName: me.userName,
      displayName: me.displayName,
      servicePrincipal: !!me.applicationId ||
        this.#identityHttp.auth.method === "oauth-m2m",
    };
  }

  /** Rows of a SQL query on the configured warehouse (read-only statements). */
  query(statement: string, params?: SqlParam[]): AsyncGenerator<Record<string, SqlValue>> {
    return this.sql.query(this.#settings.warehouseId ?? "", statement, {
      params,
      catalog: this.#settings.catalog,
      schema: this.#settings.schema,
      readOnly: true,
    });
  }

  /** Uploads jobs/ once per process when `jobsLocalDir` is set; a failed upload is retried next time. */
  async #ensureJobsCode(): Promise<void> {
    const local = this.#settings.jobsLocalDir;
    if (!local) return;
    const code = this.#shared;
    code.upload ??= code.uploader.uploadDir(local, this.jobsDir).catch((e) => {
      code.upload = undefined;
      throw e;
    });
    await code.upload;
  }

  /** The registration job's compute: the setting, else a small CPU cluster chosen once. */
  #registrationCompute(): Promise<Record<string, unknown>> {
    if (this.#settings.registrationCompute) {
      return Promise.resolve(this.#settings.registrationCompute);
    }
    const shared = this.#shared;
    shared.registrationCluster ??= Promise.all([
      this.clusters.nodeTypes(),
      this.clusters.sparkVersions(),
    ]).then(([nodes, versions]) => registrationCluster(nodes, versions)).catch((e) => {
      shared.registrationCluster = undefined;
      throw e;
    });
    return shared.registrationCluster;
  }

  /** Uploads the local `jobs/` folder to `jobsDir` so runs can start it. */
  uploadJobsCode(localDir = "jobs"): Promise<string[]> {
    return this.importer.uploadDir(localDir, this.jobsDir);
  }

  /** One cheap call per area, concurrently; a denied area says which privilege is missing. */
  async health(): Promise<AreaHealth[]> {
    const quick = new DatabricksWorkspace(
      this.#settings,
      this.#deps,
      this.http.derive({ timeoutMs: 10_000, retry: { maxAttempts: 2, budgetMs: 15_000 } }),
      this.#shared,
      this.#user && {
        ...this.#user,
        http: this.#user.http.derive({ timeoutMs: 10_000, retry: { maxAttempts: 2 } }),
      },
    );
    const vol = this.volume;
    const checks: [AreaHealth["area"], () => Promise<string>][] = [
      ["files", async () => {
        if (vol) {
          let n = 0;
          for await (const _ of quick.filesClient.list(vol, 10)) if (++n >= 10) break;
          return `volume ${vol} readable (${
            n >= 10 ? "10+ entries" : plural(n, "entry", "entries")
          } at its root)`;
        }
        const cats = await quick.filesClient.listCatalogs(5);
        return `${
          plural(cats.length, "catalog")
        } visible; no default volume set (LAKEVISION_VOLUME)`;
      }],
      ["jobs", async () => {
        const first = await quick.jobsClient.list({ pageSize: 1 }).next();
        return first.done ? "runs API reachable (no runs yet)" : "runs API reachable";
      }],
      ["tracking", async () => {
        const first = await quick.mlflowClient.experiments({ pageSize: 1 }).next();
        return first.done ? "MLflow reachable (no experiments)" : "MLflow experiments readable";
      }],
      ["registry", async () => {
        const first = await quick.models.models({ ...this.#modelScope(), pageSize: 1 }).next();
        return first.done
          ? "Unity Catalog models reachable (none yet)"
          : "Unity Catalog models readable";
      }],
      [
        "serving",
        async () => plural((await quick.servingClient.list()).length, "serving endpoint"),
      ],
      ["compute", async () => {
        const v = await quick.clusters.sparkVersions();
        const gpu = v.filter((x) => /gpu-ml/.test(x.key)).length;
        return `${plural(v.length, "runtime")}, ${plural(gpu, "ML GPU runtime")}`;
      }],
    ];
    return await Promise.all(checks.map(async ([area, check]): Promise<AreaHealth> => {
      const t0 = performance.now();
      try {
        const detail = await check();
        return { area, ok: true, detail, ms: Math.round(performance.now() - t0) };
      } catch (e) {
        const detail = e instanceof DatabricksError
          ? `${e.status === 403 ? "denied" : "failed"}: ${e.message}${e.hint ? ` ${e.hint}` : ""}`
          : `failed: ${e instanceof Error ? e.message : String(e)}`;
        return { area, ok: false, detail, ms: Math.round(performance.now() - t0) };
      }
    }));
  }

  #modelScope() {
    return { catalog: this.#settings.catalog, schema: this.#settings.schema };
  }
}

/**
 * The adapter configured from the environment (see workspaceSettingsFromEnv for the names).
 * Throws a WorkspaceError naming what is missing when no host or credential is set.
 */
export function databricksWorkspaceFromEnv(
  env?: Record<string, string | undefined>,
  deps: DatabricksDeps = {},
): DatabricksWorkspace {
  return new DatabricksWorkspace(workspaceSettingsFromEnv(env), deps);
}
