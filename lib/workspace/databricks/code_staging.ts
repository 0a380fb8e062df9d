/**
 * `JobsApi.stageCode` on Databricks: the app's `jobs/` code uploaded to the workspace's jobs
 * folder once per content (`<jobs folder>/<hash>/`, see jobs_code.ts), copied
 * into a volume when executors need it there, and what every job running it adds to its compute
 * and to its arguments.
 */
import type { StagedCode } from "../types.ts";
import type { DatabricksWorkspace } from "./databricks_workspace.ts";
import { ensureJobsCode, ensureJobsCodeInVolume } from "./jobs_code.ts";

/** Uploads the code where needed (`onUpload` first) and says how jobs name and run it. */
export async function stageJobsCode(
  ws: DatabricksWorkspace,
  opts: { inVolume?: string; onUpload?: () => Promise<unknown> } = {},
): Promise<StagedCode> {
  await opts.onUpload?.();
  const code = await ensureJobsCode(ws);
  const volumeDir = opts.inVolume ? await ensureJobsCodeInVolume(ws, opts.inVolume) : undefined;
  return {
    entrypoint: (file) => `${code.hash}/${file}`,
    dir: code.dir,
    volumeDir,
    jobCompute: (compute, o = {}) => jobCompute(ws, compute ?? {}, code.dir, o.experiment),
    jobArgs: (compute, o = {}) => experimentArgs(ws, compute ?? {}, o.experiment),
  };
}

/**
 * `<LAKEVISION_EXPERIMENT_ROOT>/<experiment>` once its folder (the root) exists, made here
 * before the job creates the experiment in it; undefined without a root or an experiment.
 */
async function experimentPath(
  ws: DatabricksWorkspace,
  experiment?: string,
): Promise<string | undefined> {
  const root = ws.defaults.experimentRoot?.replace(/\/+$/, "");
  if (!root || !experiment) return undefined;
  await ws.importer.mkdirs(root);
  return `${root}/${experiment}`;
}

/**
 * What a job running the uploaded code gets besides its cluster: the jobs' Python dependencies
 * as a task library (`requirements.txt`, uploaded with the code, after the libraries `compute`
 * already names; pip leaves what the ML runtime already satisfies alone), and — on a new
 * cluster, with an experiment name — the MLflow experiment under LAKEVISION_EXPERIMENT_ROOT
 * (`<root>/<experiment>`, its folder made first, as the app) in the cluster's environment.
 */
export async function jobCompute(
  ws: DatabricksWorkspace,
  compute: Record<string, unknown>,
  codeDir: string,
  experiment?: string,
): Promise<Record<string, unknown>> {
  const requirements = `${codeDir}/requirements.txt`;
  const given = Array.isArray(compute.libraries)
    ? (compute.libraries as Record<string, unknown>[])
    : [];
  const out: Record<string, unknown> = {
    ...compute,
    libraries: [...given.filter((l) => l.requirements !== requirements), { requirements }],
  };
  const cluster = out.new_cluster as Record<string, unknown> | undefined;
  const path = cluster ? await experimentPath(ws, experiment) : undefined;
  if (cluster && path) {
    out.new_cluster = {
      ...cluster,
      spark_env_vars: {
        ...(cluster.spark_env_vars as Record<string, string> | undefined),
        LAKEVISION_EXPERIMENT: path,
        MLFLOW_TRACKING_URI: "databricks",
      },
    };
  }
  return out;
}

/**
 * The experiment as train.py's `--experiment <root>/<experiment>`, for compute whose environment
 * a run cannot set (an existing cluster, serverless: runs/submit has environment variables only
 * for a new cluster, `new_cluster.spark_env_vars`); its folder is made first. A new cluster gets
 * the experiment from `jobCompute` instead, so this is [] there, and without a root or a name.
 */
export async function experimentArgs(
  ws: DatabricksWorkspace,
  compute: Record<string, unknown>,
  experiment?: string,
): Promise<string[]> {
  if (compute.new_cluster) return [];
  const path = await experimentPath(ws, experiment);
  return path ? ["--experiment", path] : [];
}
