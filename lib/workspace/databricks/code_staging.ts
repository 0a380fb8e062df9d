/**
 * `JobsApi.stageCode` on Databricks: the app's `jobs/` code uploaded to the workspace's jobs
 * folder once per content (`<jobs folder>/<hash>/`, see jobs_code.ts), copied
 * into a volume when executors need it there, and what every job running it adds to its compute.
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
  };
}

/**
 * What a job running the uploaded code gets besides its cluster: the jobs' Python dependencies
 * as a task library (`requirements.txt`, uploaded with the code; pip leaves what the ML runtime
 * already satisfies alone), and — on a new cluster, with an experiment name — the MLflow
 * experiment under LAKEVISION_EXPERIMENT_ROOT (`<root>/<experiment>`, its folder made first, as
 * the app).
 */
export async function jobCompute(
  ws: DatabricksWorkspace,
  compute: Record<string, unknown>,
  codeDir: string,
  experiment?: string,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {
    ...compute,
    libraries: [{ requirements: `${codeDir}/requirements.txt` }],
  };
  const root = ws.defaults.experimentRoot?.replace(/\/+$/, "");
  const cluster = out.new_cluster as Record<string, unknown> | undefined;
  if (root && cluster && experiment) {
    await ws.importer.mkdirs(root);
    out.new_cluster = {
      ...cluster,
      spark_env_vars: {
        ...(cluster.spark_env_vars as Record<string, string> | undefined),
        LAKEVISION_EXPERIMENT: `${root}/${experiment}`,
        MLFLOW_TRACKING_URI: "databricks",
      },
    };
  }
  return out;
}
