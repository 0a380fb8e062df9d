/**
 * What the fake workspace does when a submitted `jobs/register.py` run succeeds, mirroring the
 * real job: parse its flags as argparse would (an unknown flag fails the run), read
 * `<run-dir>/model.onnx` and `model.json`, create the Unity Catalog version with the given
 * description, tags and aliases (PENDING_REGISTRATION for a poll or two, as UC finalises it),
 * copy the model files and a `manifest.json` of sha256 checksums to `<copy-to>/<version>/`, and
 * write `<run-dir>/registration.json`. Anything the real job would refuse fails the run with
 * the error the job would print.
 */
import type { FakeDatabricks } from "./server.ts";
import type { FakeRun } from "./jobs_routes.ts";
import { aliasError } from "./uc_routes.ts";

const MODEL_FILES = ["model.onnx", "model.json"] as const;
const FLAGS = new Set([
  "--run-dir",
  "--name",
  "--copy-to",
  "--description",
  "--alias",
  "--tag",
  "--wait-seconds",
  "--registry-uri",
  "--experiment",
  "--run-id",
  "--config-name",
  "--config-version",
  "--dataset",
  "--scan-id",
  "--metrics-json",
  "--poll-seconds",
]);
const REPEATED = new Set(["--alias", "--tag"]);

/** The run's python file is register.py. */
export function isRegisterRun(r: FakeRun): boolean {
  const task = r.tasks[0] as { spark_python_task?: { python_file?: string } } | undefined;
  return /(^|\/)register\.py$/.test(task?.spark_python_task?.python_file ?? "");
}

class JobFailure extends Error {}

function parseFlags(params: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < params.length; i++) {
    const flag = params[i];
    if (!FLAGS.has(flag)) {
      throw new JobFailure(`register.py: error: unrecognized arguments: ${flag}`);
    }
    const value = params[i + 1];
    if (value === undefined || (value.startsWith("--") && FLAGS.has(value))) {
      throw new JobFailure(`register.py: error: argument ${flag}: expected one argument`);
    }
    i++;
    if (!REPEATED.has(flag) && out.has(flag)) {
      // argparse keeps the last one; a repeated single flag is a caller bug worth failing on here.
      throw new JobFailure(`register.py: error: argument ${flag} given twice`);
    }
    out.set(flag, [...(out.get(flag) ?? []), value]);
  }
  for (const req of ["--run-dir", "--name"]) {
    if (!out.has(req)) {
      throw new JobFailure(`register.py: error: the following arguments are required: ${req}`);
    }
  }
  return out;
}

/** The fake's file store path of a volume path, when the volume exists. */
function localPath(fake: FakeDatabricks, path: string): string {
  const m = /^\/Volumes\/([^/]+)\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
  if (!m || !fake.files.volumes.has(`${m[1]}.${m[2]}.${m[3]}`) || path.includes("/../")) {
    throw new JobFailure(`${path} is not in a Unity Catalog volume this job can read`);
  }
  return `${fake.files.root}/v${path.slice("/Volumes".length)}`;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Runs the simulated job's effects; a refusal turns the run FAILED with the job's error. */
export async function runRegisterJob(fake: FakeDatabricks, r: FakeRun): Promise<void> {
  const task = r.tasks[0] as { spark_python_task?: { parameters?: string[] } };
  try {
    const log = await register(fake, task.spark_python_task?.parameters ?? []);
    r.logs = log;
  } catch (e) {
    if (!(e instanceof JobFailure)) throw e;
    // register.py prints the reason on stderr ("[failed] ...", in the task's logs) and exits 1;
    // the task's own error then only says the script exited.
    fake.jobs.set(r.run_id, "FAILED", {
      error: "SystemExit: 1",
      logs: `[registering] ${r.run_name}\n[failed] ${e.message}\n`,
      message: "Task main failed with message: Workload failed, see run output for details.",
    });
  }
}

async function register(fake: FakeDatabricks, params: string[]): Promise<string> {
  const flags = parseFlags(params);
  const one = (f: string) => flags.get(f)?.[0];
  const runDir = one("--run-dir")!.replace(/\/+$/, "");
  const name = one("--name")!;
  if (name.split(".").length !== 3 || name.split(".").some((p) => !p)) {
    throw new JobFailure(`--name must be catalog.schema.model (got '${name}')`);
  }
  const aliases = flags.get("--alias") ?? [];
  for (const a of aliases) {
    const problem = aliasError(a);
    if (problem) throw new JobFailure(`--alias '${a}': ${problem}`);
  }
  const tags: Record<string, string> = {};
  for (const t of flags.get("--tag") ?? []) {
    const i = t.indexOf("=");
    if (i <= 0) throw new JobFailure(`--tag must be key=value (got '${t}')`);
    tags[t.slice(0, i)] = t.slice(i + 1);
  }
  const wait = one("--wait-seconds");
  if (wait !== undefined && !/^\d+(\.\d*)?$/.test(wait)) {
    throw new JobFailure(
      `register.py: error: argument --wait-seconds: invalid float value: '${wait}'`,
    );
  }
  const files: Record<string, Uint8Array> = {};
  for (const f of MODEL_FILES) {
    const p = `${runDir}/${f}`;
    files[f] = await Deno.readFile(localPath(fake, p)).catch(() => {
      throw new JobFailure(`${p} not found; train.py (or export.py) writes it`);
    });
  }
  let meta: { task?: string };
  try {
    meta = JSON.parse(new TextDecoder().decode(files["model.json"]));
  } catch {
    throw new JobFailure(`${runDir}/model.json is not valid JSON`);
  }
  const mlflowRunId = fake.mlflow.addRun({
    experiment: one("--experiment") ?? "/Shared/lakevision/registrations",
    name: `register ${name}`,
    tags: { "lakevision.registered_model": name },
  });
  const models = fake.models;
  const version = models.addVersion(name, {
    source: `dbfs:/databricks/mlflow-tracking/1/${mlflowRunId}/artifacts/model`,
    runId: mlflowRunId,
    comment: one("--description"),
    pending: true,
    pollsToReady: models.pollsToReady,
    failWith: models.failNextRegistration,
    createdBy: "lakevision-app",
    tags,
  });
  models.failNextRegistration = undefined;
  const model = models.models.get(name.toLowerCase())!;
  for (const a of aliases) model.aliases.set(a, version);
  const copyTo = one("--copy-to")?.replace(/\/+$/, "");
  if (copyTo) {
    const dir = `${copyTo}/${version}`;
    localPath(fake, dir);
    const manifest: Record<string, { sha256: string; bytes: number }> = {};
    for (const f of MODEL_FILES) {
      await fake.files.put(`${dir}/${f}`, files[f]);
      manifest[f] = { sha256: await sha256Hex(files[f]), bytes: files[f].byteLength };
    }
    await fake.files.put(
      `${dir}/manifest.json`,
      JSON.stringify({ name, version: String(version), files: manifest }, null, 2),
    );
  }
  const status = model.versions.get(version)!.status;
  await fake.files.put(
    `${runDir}/registration.json`,
    JSON.stringify({
      name,
      version: String(version),
      status,
      aliases,
      model_uri: `models:/${name}/${version}`,
      mlflow_run_id: mlflowRunId,
      task: meta.task ?? null,
      tags,
    }),
  );
  return `[register] registered ${name} version ${version} (${status})\n`;
}
