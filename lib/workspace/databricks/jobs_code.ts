/**
 * The app's own `jobs/` code, uploaded to the workspace once per content: the folder name is a
 * hash of every file, and a marker written last says the upload is complete. Unchanged code is
 * therefore never uploaded again, and a run always executes exactly the code it was launched
 * with (an older run keeps its own folder). The two launchers for multi-GPU runs are part of
 * the upload and of the hash. `JobsApi.stageCode` (code_staging.ts) is what calls it; the
 * launchers' file names are those the run plans name as entrypoints (lib/training/compute.ts).
 */
import { z } from "zod";
import { LAUNCHERS } from "@/lib/training/compute.ts";
import { DatabricksError } from "./api_error.ts";
import type { DatabricksWorkspace } from "./databricks_workspace.ts";

/** One file of the bundle, relative to the code folder. */
export interface CodeFile {
  path: string;
  bytes: Uint8Array;
}

const SKIP_DIR = /^(__pycache__|\.pytest_cache|\.venv|venv|\.git|node_modules|tests)$/;
const TAKE_FILE = /\.(py|txt|yaml|yml|json|toml|cfg)$/;
const MARKER = "UPLOAD_COMPLETE.txt";
const DEFAULT_JOBS = new URL("../../../jobs", import.meta.url).pathname;

const HEADER = `# Written by Lakevision beside jobs/train.py; started by Databricks runs/submit.
import os
import subprocess
import sys


def _here():
    try:
        return os.path.dirname(os.path.abspath(__file__))
    except NameError:  # the Databricks exec() context has no __file__
        return os.path.dirname(os.path.abspath(sys.argv[0]))


def _take(argv, flag):
    if len(argv) < 2 or argv[0] != flag:
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} {flag} N <train.py arguments>")
    return int(argv[1]), argv[2:]
`;

/** Runs train.py under torchrun on every GPU of the driver node. */
export const TORCHRUN_LAUNCHER = `${HEADER}

if __name__ == "__main__":
    n, rest = _take(sys.argv[1:], "--nproc-per-node")
    sys.path.insert(0, _here())
    from lakevision_jobs.tracking import child_env
    os.environ.update(child_env())  # torchrun's children inherit MLflow's credentials
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n}",
           os.path.join(_here(), "train.py"), *rest]
    print("[launcher] " + " ".join(cmd), flush=True)
    sys.exit(subprocess.call(cmd))
`;

/**
 * Runs train.py on the cluster's GPU workers with Spark's TorchDistributor. Executors read the
 * code from the volume copy (`--code-dir /Volumes/...`, mounted on every node), not from the
 * driver's workspace folder, and get the driver's MLflow credentials in the function they run.
 */
export const DISTRIBUTOR_LAUNCHER = `${HEADER}

if __name__ == "__main__":
    n, rest = _take(sys.argv[1:], "--num-processes")
    code = _here()
    if rest[:1] == ["--code-dir"]:
        code, rest = rest[1], rest[2:]
    sys.path.insert(0, _here())
    try:
        from pyspark.ml.torch.distributor import TorchDistributor
    except ImportError as e:
        sys.exit(f"[launcher] TorchDistributor needs Spark (a Databricks ML runtime): {e}")
    from lakevision_jobs.distributed import run_train_file
    from lakevision_jobs.tracking import child_env
    train = os.path.join(code, "train.py")
    print(f"[launcher] TorchDistributor(num_processes={n}, local_mode=False, use_gpu=True)"
          f".run({train}, {' '.join(rest)})", flush=True)
    TorchDistributor(num_processes=n, local_mode=False, use_gpu=True).run(
        run_train_file, train, list(rest), child_env())
`;

/** The files to upload (jobs/ code plus launchers), sorted, and their content hash. */
export async function jobsCodeBundle(
  jobsDir = DEFAULT_JOBS,
): Promise<{ hash: string; files: CodeFile[] }> {
  const files: CodeFile[] = [];
  const walk = async (dir: string, rel: string) => {
    for await (const e of Deno.readDir(dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory && !SKIP_DIR.test(e.name)) await walk(`${dir}/${e.name}`, r);
      else if (e.isFile && TAKE_FILE.test(e.name)) {
        files.push({ path: r, bytes: await Deno.readFile(`${dir}/${e.name}`) });
      }
    }
  };
  await walk(jobsDir.replace(/\/+$/, ""), "");
  const enc = new TextEncoder();
  files.push({ path: LAUNCHERS.torchrun, bytes: enc.encode(TORCHRUN_LAUNCHER) });
  files.push({ path: LAUNCHERS.distributor, bytes: enc.encode(DISTRIBUTOR_LAUNCHER) });
  files.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const parts: Uint8Array[] = [];
  for (const f of files) parts.push(enc.encode(`${f.path}\0${f.bytes.length}\0`), f.bytes);
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  const hash = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
  return { hash, files };
}

const inflight = new Map<string, Promise<{ dir: string; hash: string; uploaded: boolean }>>();
const volumeInflight = new Map<string, Promise<string>>();

/**
 * A copy of the code bundle in the volume (`<volume>/_lakevision/jobs/<hash>`), for
 * TorchDistributor: executors mount /Volumes but cannot read the driver's workspace folder.
 * Written once per content, marker last.
 */
export function ensureJobsCodeInVolume(
  ws: DatabricksWorkspace,
  volume: string,
  jobsDir = DEFAULT_JOBS,
): Promise<string> {
  return (async () => {
    const { hash, files } = await jobsCodeBundle(jobsDir);
    const dir = `${volume.replace(/\/+$/, "")}/_lakevision/jobs/${hash}`;
    let p = volumeInflight.get(dir);
    if (!p) {
      p = (async () => {
        if (await ws.files.stat(`${dir}/${MARKER}`)) return dir;
        for (const f of files) await ws.files.write(`${dir}/${f.path}`, f.bytes);
        await ws.files.write(`${dir}/${MARKER}`, `Lakevision jobs code ${hash}\n`);
        return dir;
      })();
      volumeInflight.set(dir, p);
      p.catch(() => volumeInflight.delete(dir));
    }
    return await p;
  })();
}

/**
 * Makes sure the current `jobs/` code is in the workspace; returns its folder (relative name =
 * hash) and whether this call uploaded it. Concurrent launches share one upload.
 */
export function ensureJobsCode(
  ws: DatabricksWorkspace,
  jobsDir = DEFAULT_JOBS,
): Promise<{ dir: string; hash: string; uploaded: boolean }> {
  return (async () => {
    const { hash, files } = await jobsCodeBundle(jobsDir);
    const key = `${ws.host}|${ws.jobsDir}|${hash}`;
    let p = inflight.get(key);
    if (!p) {
      p = upload(ws, hash, files);
      inflight.set(key, p);
      p.catch(() => inflight.delete(key));
    }
    return await p;
  })();
}

async function upload(
  ws: DatabricksWorkspace,
  hash: string,
  files: CodeFile[],
): Promise<{ dir: string; hash: string; uploaded: boolean }> {
  const dir = `${ws.jobsDir.replace(/\/+$/, "")}/${hash}`;
  if (await exists(ws, `${dir}/${MARKER}`)) return { dir, hash, uploaded: false };
  const made = new Set<string>();
  for (const f of files) {
    const parent = `${dir}/${f.path}`.slice(0, `${dir}/${f.path}`.lastIndexOf("/"));
    if (!made.has(parent)) {
      await ws.importer.mkdirs(parent);
      made.add(parent);
    }
    await ws.importer.importFile(`${dir}/${f.path}`, f.bytes);
  }
  const note = `Lakevision jobs code ${hash}, ${files.length} files, ${new Date().toISOString()}\n`;
  await ws.importer.importFile(`${dir}/${MARKER}`, new TextEncoder().encode(note));
  return { dir, hash, uploaded: true };
}

async function exists(ws: DatabricksWorkspace, path: string): Promise<boolean> {
  try {
    await ws.http.json({
      method: "GET",
      path: "/api/2.0/workspace/get-status",
      query: { path },
      what: `Checking for uploaded code at ${path}`,
    }, z.looseObject({}));
    return true;
  } catch (e) {
    if (e instanceof DatabricksError && e.status === 404) return false;
    throw e;
  }
}
