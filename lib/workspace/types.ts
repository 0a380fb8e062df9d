/**
 * The Workspace port: everything the app needs from a workspace, with two adapters
 * (`local/` embedded default, `databricks/` REST). Pages and lib code depend on this
 * interface only; no page knows which adapter it talks to.
 *
 * Paths are Unity Catalog volume paths: `/Volumes/<catalog>/<schema>/<volume>/...`.
 */

/** One entry of a directory listing. */
export interface FileEntry {
  /** Full volume path, e.g. `/Volumes/main/cv/data/coco/train.json`. */
  path: string;
  name: string;
  isDirectory: boolean;
  /** Bytes; undefined for directories. */
  size?: number;
  /** Last modification, epoch milliseconds, when known. */
  modifiedAt?: number;
}

/** Files and directories under `/Volumes/...`. Every path outside a volume is refused. */
export interface FilesApi {
  list(path: string): AsyncIterable<FileEntry>;
  /** `null` when the path does not exist. */
  stat(path: string): Promise<FileEntry | null>;
  read(path: string): Promise<ReadableStream<Uint8Array>>;
  readBytes(path: string): Promise<Uint8Array>;
  readText(path: string): Promise<string>;
  write(
    path: string,
    data: Uint8Array | string | ReadableStream<Uint8Array>,
    opts?: { overwrite?: boolean },
  ): Promise<void>;
  mkdirs(path: string): Promise<void>;
  delete(path: string, opts?: { recursive?: boolean }): Promise<void>;
  /**
   * A file's bytes from `offset` to its end, and its size when read: for following a file that
   * grows (a job's metrics.jsonl) without reading again what was read before. `bytes` is empty
   * when `offset` is at or past the end; a `size` below `offset` means the file was replaced by a
   * shorter one. NotFoundError when there is no such file. Both workspaces offer it (local: a
   * seek; Databricks: one HEAD, then a ranged download only when the file grew); a store without
   * it is read whole.
   */
  readFrom?(path: string, offset: number): Promise<{ bytes: Uint8Array; size: number }>;
  /**
   * Adds `data` at the end of a file (created when missing), durable when it returns. Offered
   * only where the store appends in place (the local workspace's disk); where it is absent a file
   * can only be written whole, so a writer collects its lines and rewrites the file now and then.
   */
  append?(path: string, data: Uint8Array | string): Promise<void>;
  /**
   * The volume path of a path a job on this machine wrote in its own terms (the local
   * workspace's jobs see volumes as folders on disk, and their resolved configs say so);
   * undefined when `path` is not inside the volumes. Absent where jobs already write volume paths.
   */
  volumePathOf?(path: string): string | undefined;
}

/** What to run: a Python entrypoint from `jobs/` with arguments, on some compute. */
export interface JobSpec {
  /** Human-readable run name. */
  name: string;
  /** Entrypoint relative to `jobs/`, e.g. `train.py`. */
  entrypoint: string;
  args: string[];
  /** Adapter-specific compute description (local: none; Databricks: cluster JSON). */
  compute?: Record<string, unknown>;
  /** Guards against double submission (Databricks `idempotency_token`). */
  idempotencyToken?: string;
  /** Where the job writes its run directory (a volume path). */
  runDir?: string;
}

export type JobState =
  | "QUEUED"
  | "PENDING"
  | "RUNNING"
  | "TERMINATING"
  | "SUCCEEDED"
  | "FAILED"
  | "CANCELED";

export interface JobRun {
  runId: string;
  name: string;
  state: JobState;
  /** Why it is in this state (Databricks `state_message`, local exit reason). */
  message?: string;
  startedAt?: number;
  endedAt?: number;
  /** Link to the run in the workspace UI, when there is one. */
  url?: string;
  runDir?: string;
}

/** The app's `jobs/` code where a workspace's jobs read it (see `JobsApi.stageCode`). */
export interface StagedCode {
  /**
   * A file of the code as `JobSpec.entrypoint` names it: unchanged where jobs run `jobs/` itself,
   * `<content hash>/train.py` where each content of the code has its own uploaded folder.
   */
  entrypoint(file: string): string;
  /** The code's folder for commands shown to people; undefined where it is `jobs/` itself. */
  dir?: string;
  /** The copy in a volume, when one was asked for (`inVolume`) and the workspace makes one. */
  volumeDir?: string;
  /**
   * `compute` plus what a job running this code needs where it runs: Databricks installs the
   * code's `requirements.txt` as a task library and, on a new cluster, points MLflow at
   * `<experiment root>/<experiment>`; jobs that use this machine's Python get `compute` as it is.
   */
  jobCompute(
    compute: Record<string, unknown> | undefined,
    opts?: { experiment?: string },
  ): Promise<Record<string, unknown> | undefined>;
  /**
   * Arguments a job running this code needs on compute whose environment the job cannot set (an
   * existing cluster, serverless): on Databricks `--experiment <experiment root>/<experiment>`
   * there, so the run is tracked where a new cluster's would be; none elsewhere.
   */
  jobArgs(
    compute: Record<string, unknown> | undefined,
    opts?: { experiment?: string },
  ): Promise<string[]>;
}

export interface JobsApi {
  /**
   * Makes the current `jobs/` code reachable by this workspace's jobs, once per content: uploaded
   * to the workspace (Databricks), or nothing to do where jobs start `jobs/` on this machine.
   * `inVolume` also asks for a copy in that volume, for processes that read only volumes (Spark
   * executors); `onUpload` runs first wherever the code is copied (a launch shows it as a phase).
   */
  stageCode(opts?: {
    inVolume?: string;
    onUpload?: () => Promise<unknown>;
  }): Promise<StagedCode>;
  submit(spec: JobSpec): Promise<{ runId: string }>;
  get(runId: string): Promise<JobRun>;
  cancel(runId: string): Promise<void>;
  list(opts?: { limit?: number }): AsyncIterable<JobRun>;
  /** The tail of the run's output (stdout+stderr), at most `maxBytes`. */
  logs(runId: string, opts?: { maxBytes?: number }): Promise<string>;
}

export interface MetricPoint {
  name: string;
  value: number;
  step: number;
  epoch?: number;
  /** epoch milliseconds */
  ts: number;
}

export interface TrackingRun {
  runId: string;
  experiment?: string;
  name?: string;
  status: string;
  startedAt?: number;
  endedAt?: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Latest value of each metric. */
  metrics: Record<string, number>;
  artifactUri?: string;
}

export interface TrackingApi {
  listRuns(opts?: { experiment?: string; limit?: number }): AsyncIterable<TrackingRun>;
  getRun(runId: string): Promise<TrackingRun>;
  metricHistory(runId: string, metric: string): Promise<MetricPoint[]>;
}

/** Unity Catalog's model-version statuses (the local registry uses the same words). */
export type ModelVersionStatus =
  | "PENDING_REGISTRATION"
  | "READY"
  | "FAILED_REGISTRATION"
  | "MODEL_VERSION_STATUS_UNKNOWN";

export interface ModelVersion {
  /** Three-level name `catalog.schema.model`. */
  name: string;
  version: string;
  /** Where the version's files came from (a run folder, an MLflow model URI). */
  source: string;
  runId?: string;
  status: ModelVersionStatus | string;
  /** Why registration failed, when it did. */
  statusMessage?: string;
  /** Aliases pointing at this version (read with `include_aliases` on Databricks). */
  aliases: string[];
  tags: Record<string, string>;
  createdAt: number;
  createdBy?: string;
  description?: string;
}

/** A registered model with the aliases it holds. */
export interface RegisteredModelInfo {
  name: string;
  description?: string;
  owner?: string;
  createdAt?: number;
  updatedAt?: number;
  /** Alias → version, e.g. `[{alias: "champion", version: "3"}]`. */
  aliases: { alias: string; version: string }[];
}

/**
 * What to register: a volume folder holding `model.onnx` and `model.json` (a run folder, or the
 * staging folder of an imported model), already validated by `lib/registry`.
 */
export interface RegisterRequest {
  /** `catalog.schema.model`. */
  name: string;
  /** Volume folder with `model.onnx` + `model.json`. */
  sourceDir: string;
  /** Volume folder of the model's files; the version's files go to `<modelsDir>/<version>/`. */
  modelsDir: string;
  runId?: string;
  description?: string;
  /** Lineage (`lakevision.*`) and user tags, set on the new version. */
  tags: Record<string, string>;
  /** Aliases to point at the new version once it is READY. */
  aliases: string[];
  /** Small text files written beside the model in the version folder (`card.md`, `metrics.json`). */
  extras: Record<string, string>;
  /** Who asked, recorded on the version. */
  createdBy: string;
}

/** A registration in progress or finished; `registration(r)` answers its next state. */
export interface Registration {
  state: "running" | "succeeded" | "failed";
  /** Phase or reason, for people. */
  message?: string;
  /** Known once the workspace has created the version. */
  version?: string;
  /** The registration job, where one runs (Databricks). */
  jobRunId?: string;
  url?: string;
  request: RegisterRequest;
  startedAt: number;
  endedAt?: number;
}

export interface RegistryApi {
  listModels(): AsyncIterable<RegisteredModelInfo>;
  /** NotFoundError when the model does not exist. */
  getModel(name: string): Promise<RegisteredModelInfo>;
  /** Versions, newest first, each with its aliases. */
  listVersions(name: string): AsyncIterable<ModelVersion>;
  getVersion(name: string, version: string): Promise<ModelVersion>;
  getByAlias(name: string, alias: string): Promise<ModelVersion>;
  /** Starts registering a version (local: done on return; Databricks: a short job). */
  register(req: RegisterRequest): Promise<Registration>;
  /** The next state of a registration started by `register`. */
  registration(prev: Registration): Promise<Registration>;
  setAlias(name: string, alias: string, version: string): Promise<void>;
  deleteAlias(name: string, alias: string): Promise<void>;
  setTag(name: string, version: string, key: string, value: string): Promise<void>;
  /** Changes a version's description (UC `comment`). */
  updateVersion(name: string, version: string, patch: { description: string }): Promise<void>;
}

/** Model Serving's workload sizes and types (the local endpoint takes the same words). */
export const WORKLOAD_SIZES = ["Small", "Medium", "Large"] as const;
export const WORKLOAD_TYPES = ["CPU", "GPU_SMALL", "GPU_MEDIUM", "GPU_LARGE"] as const;

/** One model version an endpoint serves. */
export interface ServedEntity {
  /** `catalog.schema.model`. */
  model: string;
  version: string;
  /** The served entity's name in the endpoint (routes refer to it); derived when omitted. */
  name?: string;
  workloadSize?: typeof WORKLOAD_SIZES[number] | string;
  workloadType?: typeof WORKLOAD_TYPES[number] | string;
  scaleToZero?: boolean;
  /** Share of the traffic, 0–100; all entities together make 100. */
  trafficPercent?: number;
  /** Deployment state of this entity (Databricks `state.deployment`, local: loading/ready/...). */
  state?: string;
  stateMessage?: string;
}

/** What to create, or to change an endpoint to (`PUT .../config` on Databricks: in place). */
export interface EndpointSpec {
  name: string;
  entities: ServedEntity[];
  /** Inference tables through AI Gateway (Databricks); the local endpoint logs to the app. */
  inferenceTables?: boolean;
  routeOptimized?: boolean;
  /** Who asked (recorded by the local adapter; Databricks records its own creator). */
  createdBy?: string;
}

/** The HTTP request an action would send, shown to the person before it is sent. */
export interface PlannedRequest {
  method: string;
  path: string;
  body: unknown;
  /**
   * Requests the action sends first, in order (Databricks: an update that switches inference
   * tables sends `PUT .../ai-gateway` before this `PUT .../config`).
   */
  before?: PlannedRequest[];
}

export interface Endpoint {
  name: string;
  /** READY: answers requests; UPDATING: a config update is in progress while it serves. */
  state: "READY" | "NOT_READY" | "UPDATING" | "FAILED";
  /** Databricks `state.config_update` (local: the same words). */
  configUpdate?: "NOT_UPDATING" | "IN_PROGRESS" | "UPDATE_FAILED" | string;
  message?: string;
  entities: ServedEntity[];
  /** Invocation URL (route-optimized endpoints have their own host). */
  url?: string;
  creator?: string;
  createdAt?: number;
  updatedAt?: number;
  inferenceTables?: boolean;
  routeOptimized?: boolean;
  /** Local endpoints: how the model was loaded and runs. */
  runtime?: {
    loaded: boolean;
    /** Model download + session creation, and the first (warm-up) inference. */
    loadMs?: number;
    warmupMs?: number;
    /** onnxruntime execution provider, e.g. "cpu". */
    provider?: string;
    /** Unloaded after this many idle minutes (scale to zero); 0 = never. */
    idleUnloadMinutes?: number;
  };
}

/** Request counts, errors and latency per time bucket. */
export interface EndpointMetrics {
  /** Bucket width in ms. */
  bucketMs: number;
  points: {
    t: number;
    requests: number;
    errors: number;
    p50Ms: number | null;
    p95Ms: number | null;
  }[];
  /** Where the numbers come from ("measured by the app", "metrics export"). */
  source: string;
}

/** How one invocation was served, as the workspace tells it. */
export interface InvocationInfo {
  /** The served entity that answered (Databricks' `served-model-name` response header). */
  servedEntity?: string;
  /** True when the model had to be loaded for this request (scaled to zero, or just restarted). */
  coldStart?: boolean;
}

export interface ServingApi {
  /** Endpoints with their state and served entities (Databricks: each read with get, list gives summaries). */
  list(): Promise<Endpoint[]>;
  get(name: string): Promise<Endpoint>;
  /** The request `create` (no such endpoint) or `update` (it exists) would send. */
  plan(spec: EndpointSpec): Promise<PlannedRequest>;
  /** Creates an endpoint; it becomes READY later (poll `get`). ConflictError when it exists. */
  create(spec: EndpointSpec): Promise<Endpoint>;
  /** Changes an existing endpoint's served entities / traffic in place. */
  update(spec: EndpointSpec): Promise<Endpoint>;
  delete(name: string): Promise<void>;
  /**
   * Body and response in Databricks Model Serving's formats (see DESIGN.md). `info`, when given,
   * is filled in with how the request was served (the route turns it into response headers).
   */
  invoke(name: string, body: unknown, info?: InvocationInfo): Promise<unknown>;
  /** Build or server logs of one served entity; `null` when the workspace has none. */
  logs(name: string, entity: string, kind: "build" | "server"): Promise<string | null>;
  /** Traffic over time; `null` with a reason when the workspace does not offer it. */
  metrics(name: string): Promise<EndpointMetrics | { unavailable: string }>;
}

export interface ComputeInfo {
  kind: "local" | "databricks";
  /** Local: CPU count; Databricks: undefined. */
  cpus?: number;
  /** Local: python interpreter that imports torch, if any. */
  python?: { path: string; version: string; torch?: string; torchvision?: string; cuda?: boolean };
  nodeTypes?: {
    id: string;
    gpus: number;
    memoryMb: number;
    cores?: number;
    description?: string;
  }[];
  runtimes?: { key: string; name: string; gpu: boolean; ml: boolean }[];
}

export interface ComputeApi {
  info(): Promise<ComputeInfo>;
}

/** Health of one area, as shown on the Settings page. */
export interface AreaHealth {
  area: "files" | "jobs" | "tracking" | "registry" | "serving" | "compute";
  ok: boolean;
  detail: string;
  /** Round-trip time of the check in milliseconds. */
  ms: number;
  /** True when the area is not built yet (shown as "not yet", not as a failure). */
  unavailable?: boolean;
}

/** How often services look at a workspace's jobs, in milliseconds. */
export interface PollCadence {
  /** The background refresh of every active training run. */
  backgroundMs: number;
  /** A person following one run from the CLI (`--wait`). */
  followMs: number;
  /** A page watching one run live: its record and metrics… */
  watchMs: number;
  /** …and the tail of its log. */
  watchLogMs: number;
}

/**
 * What services need to know about how a workspace runs things, by meaning. Services adapt to
 * these facts and never to `Workspace.kind`, which only says which workspace it is (for display).
 */
export interface WorkspaceTraits {
  /**
   * Jobs are subprocesses of this machine, run by the Python found here (the local workspace).
   * Where true, a submitted job starts at once and a lost process is noticed by its pid; the
   * Python here and its PyTorch decide what can train; the demo is seeded on its own; the app
   * may run batches itself. Where false, jobs queue for remote compute, a waiting job is a
   * cluster starting, and a job that stops reporting can only be warned about.
   */
  jobsRunHere: boolean;
  /** The compute (`ComputeChoice.kind`) its jobs run on; a run asking for another is refused. */
  computeKind: ComputeInfo["kind"];
  /**
   * Delta tables can be read: through a SQL warehouse (its reader names the setting when none is
   * configured). False where there is no warehouse to ask.
   */
  deltaTables: boolean;
  poll: PollCadence;
}

/** The port itself. */
export interface Workspace {
  /** Which workspace this is, for display; services use `traits` instead. */
  kind: "local" | "databricks";
  traits: WorkspaceTraits;
  /** e.g. the data dir, or the Databricks host. */
  describe(): string;
  /**
   * `text` (a job's message) with this machine's folders of the workspace written as people know
   * them: volume paths for the volumes, `<data folder>` for the rest. Present where jobs run in
   * folders on this machine (the local workspace); elsewhere a job's paths are the workspace's
   * own and are shown as they are.
   */
  hidePaths?(text: string): string;
  files: FilesApi;
  jobs: JobsApi;
  tracking: TrackingApi;
  registry: RegistryApi;
  serving: ServingApi;
  compute: ComputeApi;
  health(): Promise<AreaHealth[]>;
  /** Extra facts for the Settings page (host, auth method, identity...); never secrets. */
  details?(): Promise<{ label: string; value: string }[]>;
}
