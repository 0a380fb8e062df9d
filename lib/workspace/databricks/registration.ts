/**
 * Registering a model version on Databricks: `jobs/register.py` runs as a short one-time job
 * on a small CPU cluster (MLflow logs the pyfunc and registers it in Unity Catalog; only a
 * cluster has the temporary storage credentials that takes), copies the model files with a
 * checksummed manifest to `<modelsDir>/<version>/` and writes `<sourceDir>/registration.json`.
 * The app then follows the job, waits for the version to be READY, and writes the card and
 * metrics beside the model.
 */
import { z } from "zod";
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import type { FilesApi, JobsApi, ModelVersion, RegisterRequest, Registration } from "../types.ts";
import { DatabricksError } from "./api_error.ts";
import type { NodeType } from "./clusters.ts";
import { checkVolumePath } from "./files.ts";
import type { JobsClient } from "./jobs.ts";
import { aliasProblem, checkModelName } from "./uc_models.ts";

/** How long register.py waits for the version to turn READY before it gives up. */
export const REGISTER_WAIT_SECONDS = 600;
/** The whole job, cluster start included. */
export const REGISTER_TIMEOUT_SECONDS = 3600;
/** Tag that records who asked (the version's own `created_by` is the job's identity). */
export const CREATED_BY_TAG = "lakevision.created_by";
/** Files the job copies; extras may not overwrite them. */
const JOB_FILES = new Set(["model.onnx", "model.json", "manifest.json"]);

/** What the registration flow needs from the adapter. */
export interface RegistrationDeps {
  /** The adapter's jobs port: builds runs/submit and uploads the jobs/ code first. */
  jobs: JobsApi;
  /** For a failed task's error (runs/get-output). */
  jobsClient: JobsClient;
  files: FilesApi;
  getVersion(name: string, version: string): Promise<ModelVersion>;
  /** The task's compute: `{new_cluster}` or `{existing_cluster_id}`. */
  compute(): Promise<Record<string, unknown>>;
  clock?: { now(): number };
}

/** `<sourceDir>/registration.json` as register.py writes it. */
const RegistrationFileSchema = z.looseObject({
  name: z.string(),
  version: z.coerce.string(),
  status: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  model_uri: z.string().optional(),
  mlflow_run_id: z.string().nullish(),
});

/** register.py's command line for a request (flags as jobs/register.py defines them). */
export function registerArgs(req: RegisterRequest): string[] {
  const args = ["--run-dir", req.sourceDir, "--name", req.name, "--copy-to", req.modelsDir];
  if (req.description) args.push("--description", req.description);
  for (const a of req.aliases) args.push("--alias", a);
  const tags = { ...req.tags };
  if (req.createdBy && !(CREATED_BY_TAG in tags)) tags[CREATED_BY_TAG] = req.createdBy;
  for (const [k, v] of Object.entries(tags)) args.push("--tag", `${k}=${v}`);
  args.push("--wait-seconds", String(REGISTER_WAIT_SECONDS));
  return args;
}

/**
 * The smallest single-node CPU cluster on a Databricks Runtime ML (LTS, newest) that can log a
 * model: the same choice rules as the SDK's select_node_type / select_spark_version (skip
 * deprecated, unavailable and GPU node types; skip Beta, Photon, GPU and ARM runtimes).
 */
export function registrationCluster(
  nodeTypes: NodeType[],
  versions: { key: string; name: string }[],
): Record<string, unknown> {
  const unavailable = (n: NodeType) =>
    ((n as { node_info?: { status?: string[] } }).node_info?.status ?? []).some((s) =>
      s === "NOT_AVAILABLE_IN_REGION" || s === "NOT_ENABLED_ON_SUBSCRIPTION"
    );
  const node = nodeTypes
    .filter((n) =>
      !n.num_gpus && !n.is_deprecated && !n.is_hidden && !unavailable(n) &&
      !(n as { is_graviton?: boolean }).is_graviton && n.memory_mb >= 14 * 1024
    )
    .sort((a, b) => (a.num_cores ?? 0) - (b.num_cores ?? 0) || a.memory_mb - b.memory_mb)[0];
  const cpuMl = versions.filter((v) =>
    /-ml-/.test(v.key) && !/-gpu-|photon|aarch64|apache-spark-/.test(v.key) &&
    !/Beta/.test(v.name)
  );
  const runtime = cpuMl.sort((a, b) =>
    Number(/LTS/.test(b.name)) - Number(/LTS/.test(a.name)) ||
    b.key.localeCompare(a.key, "en", { numeric: true })
  )[0];
  if (!node || !runtime) {
    throw new DatabricksError(
      `Registering needs a CPU node type with at least 14 GB and a Databricks Runtime ML; the ` +
        `workspace lists ${node ? "no ML runtime" : "no such node type"}.`,
      "NO_REGISTRATION_COMPUTE",
      502,
      undefined,
      "Ask a workspace admin which node types and ML runtimes this workspace may use.",
    );
  }
  return {
    new_cluster: {
      spark_version: runtime.key,
      node_type_id: node.node_type_id,
      num_workers: 0,
      spark_conf: {
        "spark.databricks.cluster.profile": "singleNode",
        "spark.master": "local[*, 4]",
      },
      custom_tags: { ResourceClass: "SingleNode", lakevision: "registration" },
      // Dedicated access mode: Unity Catalog volumes and models as the run's identity.
      data_security_mode: "SINGLE_USER",
    },
  };
}

function checkRequest(req: RegisterRequest): void {
  checkModelName(req.name);
  checkVolumePath(req.sourceDir);
  checkVolumePath(req.modelsDir);
  for (const a of req.aliases) {
    const problem = aliasProblem(a);
    if (problem) throw new BadRequestError(problem);
  }
  for (const k of Object.keys(req.tags)) {
    if (!k || k.includes("=")) {
      throw new BadRequestError(`Tag key ${JSON.stringify(k)} is invalid.`);
    }
  }
  for (const f of Object.keys(req.extras)) {
    if (!/^[\w][\w.-]*$/.test(f) || JOB_FILES.has(f)) {
      throw new BadRequestError(`${JSON.stringify(f)} cannot be written beside the model.`);
    }
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The register / registration pair of the registry port. */
export function registrationFlow(deps: RegistrationDeps): {
  register(req: RegisterRequest): Promise<Registration>;
  registration(prev: Registration): Promise<Registration>;
} {
  const now = () => (deps.clock ?? Date).now();
  const failed = (prev: Registration, message: string, version?: string): Registration => ({
    ...prev,
    state: "failed",
    message,
    ...(version ? { version } : {}),
    endedAt: now(),
  });

  /**
   * Why the job failed: register.py's last `[failed] ...` line (its stderr is in the task's
   * logs), else the task's error, else the run's state message.
   */
  async function jobError(runId: string, fallback?: string): Promise<string> {
    try {
      const run = await deps.jobsClient.get(Number(runId));
      const task = run.tasks[0];
      const out = task ? await deps.jobsClient.output(task.run_id) : undefined;
      const said = [...(out?.logs ?? "").matchAll(/^\[failed\] (.+)$/gm)].pop()?.[1]?.trim();
      const error = said || out?.error?.trim();
      if (error) return error.length > 600 ? `${error.slice(0, 600)}…` : error;
      return run.state.state_message || fallback || "the job reported no reason";
    } catch {
      return fallback || "the job reported no reason";
    }
  }

  /** Writes the card and metrics beside the model and adds them to its manifest. */
  async function writeExtras(req: RegisterRequest, version: string): Promise<string | undefined> {
    const dir = `${req.modelsDir.replace(/\/+$/, "")}/${version}`;
    if (!(await deps.files.stat(`${dir}/model.onnx`))) {
      return `the registration job did not copy the model files to ${dir}`;
    }
    const added: Record<string, { sha256: string; bytes: number }> = {};
    for (const [f, text] of Object.entries(req.extras)) {
      const bytes = new TextEncoder().encode(text);
      await deps.files.write(`${dir}/${f}`, bytes, { overwrite: true });
      added[f] = { sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
    }
    const manifestPath = `${dir}/manifest.json`;
    const manifest = await deps.files.readText(manifestPath).then(JSON.parse).catch(() => null);
    if (manifest && typeof manifest.files === "object" && manifest.files) {
      Object.assign(manifest.files, added);
      await deps.files.write(manifestPath, JSON.stringify(manifest, null, 2), { overwrite: true });
    }
    return undefined;
  }

  /** Once the version number is known: wait for READY, then finish the files. */
  async function followVersion(prev: Registration, version: string): Promise<Registration> {
    const req = prev.request;
    let v: ModelVersion;
    try {
      v = await deps.getVersion(req.name, version);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      return failed(prev, `${e.message} The registration job reported it; see the job's output.`);
    }
    if (v.status === "FAILED_REGISTRATION") {
      return failed(
        prev,
        `Unity Catalog could not register ${req.name} version ${version}: ${
          (v.statusMessage || "no reason given").replace(/\.+$/, "")
        }.`,
        version,
      );
    }
    if (v.status !== "READY") {
      return {
        ...prev,
        state: "running",
        version,
        message: `waiting for Unity Catalog to finish version ${version} (${v.status})`,
      };
    }
    const problem = await writeExtras(req, version);
    if (problem) return failed(prev, `Registered ${req.name} version ${version}, but ${problem}.`);
    return {
      ...prev,
      state: "succeeded",
      version,
      message: `Registered ${req.name} version ${version}.`,
      endedAt: now(),
    };
  }

  return {
    async register(req) {
      checkRequest(req);
      const startedAt = now();
      const compute = await deps.compute();
      const { runId } = await deps.jobs.submit({
        name: `lakevision register ${req.name}`,
        entrypoint: "register.py",
        args: registerArgs(req),
        compute: { ...compute, timeout_seconds: REGISTER_TIMEOUT_SECONDS },
        // A retried submit after a timeout returns this run instead of starting a second one.
        idempotencyToken: crypto.randomUUID().replaceAll("-", ""),
        runDir: req.sourceDir,
      });
      const url = await deps.jobs.get(runId).then((r) => r.url, () => undefined);
      return {
        state: "running",
        message: "registration job submitted; waiting for a cluster",
        jobRunId: runId,
        ...(url ? { url } : {}),
        request: req,
        startedAt,
      };
    },

    async registration(prev) {
      if (prev.state !== "running") return prev;
      if (prev.version) return await followVersion(prev, prev.version);
      if (!prev.jobRunId) return failed(prev, "The registration has no job to follow.");
      let job;
      try {
        job = await deps.jobs.get(prev.jobRunId);
      } catch (e) {
        if (e instanceof DatabricksError && e.status === 404) {
          return failed(prev, `The registration job (run ${prev.jobRunId}) no longer exists.`);
        }
        throw e;
      }
      const at = { ...prev, ...(job.url ? { url: job.url } : {}) };
      switch (job.state) {
        case "QUEUED":
        case "PENDING":
          return {
            ...at,
            message: `waiting for the registration cluster${
              job.message ? ` (${job.message})` : ""
            }`,
          };
        case "RUNNING":
        case "TERMINATING":
          return { ...at, message: "register.py is logging the model and registering it" };
        case "CANCELED":
          return failed(
            at,
            `The registration job was cancelled${job.message ? `: ${job.message}` : "."}`,
          );
        case "FAILED":
          return failed(
            at,
            `The registration job failed: ${await jobError(prev.jobRunId, job.message)}`,
          );
      }
      // SUCCEEDED: register.py has written registration.json.
      const path = `${prev.request.sourceDir.replace(/\/+$/, "")}/registration.json`;
      // Only a missing file is final; any other failure is retried on the next call.
      const text = await deps.files.readText(path).catch((e) => {
        if (e instanceof NotFoundError || (e as { status?: number }).status === 404) return null;
        throw e;
      });
      const parsed = text === null ? null : RegistrationFileSchema.safeParse((() => {
        try {
          return JSON.parse(text);
        } catch {
          return null;
        }
      })());
      if (!parsed?.success) {
        return failed(
          at,
          `The registration job ended without a readable ${path}; see the job's output.`,
        );
      }
      if (parsed.data.name.toLowerCase() !== prev.request.name.toLowerCase()) {
        return failed(
          at,
          `${path} is for ${parsed.data.name}, not ${prev.request.name}; see the job's output.`,
        );
      }
      return await followVersion(at, parsed.data.version);
    },
  };
}
