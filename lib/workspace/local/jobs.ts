/**
 * Local jobs: each run is `<python> jobs/<entrypoint> ...` started as its own process group,
 * writing stdout+stderr straight to `<run dir>/output.log` (not through the app, so a restart of
 * the app neither kills the job nor breaks its output). Each run is indexed in
 * `<data dir>/jobs/<run id>.json` with its pid and the kernel's process start time, so a
 * restarted app re-attaches to a still-running job and tells a recycled pid from the real one.
 *
 * Volume paths in arguments (and in a `--config` YAML) are mapped to disk paths, because the
 * Python job reads files directly.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { BadRequestError, NotFoundError, WorkspaceError } from "@/lib/errors.ts";
import type { JobRun, JobsApi, JobSpec, JobState, StagedCode } from "../types.ts";
import type { LocalFiles } from "./files.ts";
import { isSameProcessAlive, processStartTime, setsidPath, tailFile } from "./process.ts";
import { findPython } from "./python.ts";

/** What the index file of one local run holds. */
export interface LocalJobRecord {
  runId: string;
  name: string;
  entrypoint: string;
  /** Arguments as given (volume paths). */
  args: string[];
  /** The argv actually run (disk paths). */
  argv: string[];
  pid: number;
  /** Kernel start time of the process (clock ticks since boot), to detect pid reuse. */
  procStart: string | null;
  startedAt: number;
  endedAt?: number;
  exitCode?: number;
  signal?: string | null;
  /** Set when cancel was asked. */
  cancelRequestedAt?: number;
  runDir?: string;
  diskRunDir?: string;
  logPath: string;
}

/** Options of the local jobs runner. */
export interface LocalJobsOptions {
  dataDir: string;
  files: LocalFiles;
  /** LAKEVISION_PYTHON, tried first. */
  python?: string;
  /** Folder holding the Python jobs (default: `jobs/` of the project). */
  jobsDir?: string;
  /** Seconds between SIGTERM and SIGKILL on cancel (default 10). */
  killGraceS?: number;
  /** Extra environment for jobs. */
  env?: Record<string, string>;
}

const DEFAULT_JOBS_DIR = new URL("../../../jobs", import.meta.url).pathname;
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The code as local jobs reach it: `jobs/` where it is. */
const IN_PLACE: StagedCode = {
  entrypoint: (file) => file,
  jobCompute: (compute) => Promise.resolve(compute),
  jobArgs: () => Promise.resolve([]),
};

/** The local JobsApi. */
export class LocalJobs implements JobsApi {
  readonly #opts: LocalJobsOptions;
  readonly #indexDir: string;
  /** Children started by this process: their exit is awaited and recorded. */
  readonly #children = new Map<string, Deno.ChildProcess>();

  constructor(opts: LocalJobsOptions) {
    this.#opts = opts;
    this.#indexDir = `${opts.dataDir.replace(/\/$/, "")}/jobs`;
  }

  get jobsDir(): string {
    return this.#opts.jobsDir ?? DEFAULT_JOBS_DIR;
  }

  /**
   * Local jobs start `jobs/` itself with this machine's Python: nothing to copy (so `onUpload`
   * never runs, and no volume copy is made) or install.
   */
  stageCode(_opts?: Parameters<JobsApi["stageCode"]>[0]): Promise<StagedCode> {
    return Promise.resolve(IN_PLACE);
  }

  async submit(spec: JobSpec): Promise<{ runId: string }> {
    const entry = spec.entrypoint.replace(/^\.?\/+/, "");
    if (!/^[\w./-]+\.py$/.test(entry) || entry.split("/").includes("..")) {
      throw new BadRequestError(`Entrypoint "${spec.entrypoint}" must be a .py file in jobs/.`);
    }
    const script = `${this.jobsDir}/${entry}`;
    if (!(await Deno.stat(script).then((s) => s.isFile, () => false))) {
      throw new WorkspaceError(`Job script ${script} does not exist.`, "NOT_FOUND", 500);
    }
    const { chosen } = await findPython(this.#opts.python);
    if (!chosen) {
      throw new WorkspaceError(
        "No Python 3 found to run the job (set LAKEVISION_PYTHON).",
        "PYTHON_MISSING",
        503,
      );
    }
    if (!chosen.torch) {
      throw new WorkspaceError(
        `${chosen.path} has no PyTorch, which local training needs.`,
        "TORCH_MISSING",
        503,
        undefined,
        "Install python3-torch python3-torchvision (Debian) or pip install torch torchvision, " +
          "or set LAKEVISION_PYTHON to an interpreter that has them.",
      );
    }
    const runDir = spec.runDir ?? argAfter(spec.args, "--run-dir");
    if (!runDir) throw new BadRequestError("A local run needs a run directory (--run-dir).");
    const runId = spec.idempotencyToken && ID_RE.test(spec.idempotencyToken)
      ? spec.idempotencyToken
      : `job-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
    const existing = await this.#read(runId);
    if (existing) return { runId }; // same token: the run was already started
    const diskRunDir = (await this.#opts.files.resolve(runDir)).disk;
    await Deno.mkdir(diskRunDir, { recursive: true });
    const argv = await this.#localArgs(spec.args, diskRunDir);
    if (argAfter(argv, "--run-dir") === undefined) argv.push("--run-dir", diskRunDir);
    const logPath = `${diskRunDir}/output.log`;
    const setsid = await setsidPath();
    const command = [chosen.path, "-u", script, ...argv];
    // sh redirects the output to the log file and then becomes the job (exec keeps the pid).
    const shArgs = [
      "-c",
      'exec "$@" >>"$LV_LOG" 2>&1 </dev/null',
      "sh",
      ...(setsid ? [setsid, ...command] : command),
    ];
    const child = new Deno.Command("/bin/sh", {
      args: shArgs,
      cwd: this.jobsDir,
      env: {
        LV_LOG: logPath,
        PYTHONUNBUFFERED: "1",
        OMP_NUM_THREADS: String(Math.max(1, Math.min(4, navigator.hardwareConcurrency))),
        ...this.#opts.env,
      },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const rec: LocalJobRecord = {
      runId,
      name: spec.name,
      entrypoint: entry,
      args: spec.args,
      argv: command,
      pid: child.pid,
      procStart: await processStartTime(child.pid),
      startedAt: Date.now(),
      runDir,
      diskRunDir,
      logPath,
    };
    await this.#write(rec);
    this.#children.set(runId, child);
    child.status.then(async (st) => {
      this.#children.delete(runId);
      const cur = (await this.#read(runId)) ?? rec;
      await this.#write({ ...cur, endedAt: Date.now(), exitCode: st.code, signal: st.signal });
    });
    return { runId };
  }

  async get(runId: string): Promise<JobRun> {
    const rec = await this.#read(runId);
    if (!rec) throw new NotFoundError(`No local job ${runId}.`);
    return await this.#view(rec);
  }

  async cancel(runId: string): Promise<void> {
    const rec = await this.#read(runId);
    if (!rec) throw new NotFoundError(`No local job ${runId}.`);
    if (rec.endedAt || !(await isSameProcessAlive(rec.pid, rec.procStart))) return;
    await this.#write({ ...rec, cancelRequestedAt: Date.now() });
    this.#signal(rec, "SIGTERM");
    const grace = (this.#opts.killGraceS ?? 10) * 1000;
    const timer = setTimeout(async () => {
      if (await isSameProcessAlive(rec.pid, rec.procStart)) this.#signal(rec, "SIGKILL");
    }, grace);
    Deno.unrefTimer(timer);
  }

  async *list(opts: { limit?: number } = {}): AsyncIterable<JobRun> {
    const recs: LocalJobRecord[] = [];
    try {
      for await (const e of Deno.readDir(this.#indexDir)) {
        if (!e.isFile || !e.name.endsWith(".json")) continue;
        const r = await this.#read(e.name.slice(0, -5));
        if (r) recs.push(r);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    recs.sort((a, b) => b.startedAt - a.startedAt);
    for (const r of recs.slice(0, opts.limit ?? recs.length)) yield await this.#view(r);
  }

  async logs(runId: string, opts: { maxBytes?: number } = {}): Promise<string> {
    const rec = await this.#read(runId);
    if (!rec) throw new NotFoundError(`No local job ${runId}.`);
    return await tailFile(rec.logPath, opts.maxBytes ?? 64 * 1024);
  }

  /** The index record (pid, start time, exit) of a run; null when unknown. */
  record(runId: string): Promise<LocalJobRecord | null> {
    return this.#read(runId);
  }

  #signal(rec: LocalJobRecord, sig: Deno.Signal): void {
    // The job leads its own process group (setsid): signal the group so DataLoader workers stop too.
    for (const target of [-rec.pid, rec.pid]) {
      try {
        Deno.kill(target, sig);
        return;
      } catch { /* no such group: try the pid */ }
    }
  }

  async #view(rec: LocalJobRecord): Promise<JobRun> {
    let state: JobState;
    let message: string | undefined;
    let endedAt = rec.endedAt;
    const alive = !rec.endedAt && await isSameProcessAlive(rec.pid, rec.procStart);
    if (alive) {
      state = rec.cancelRequestedAt ? "TERMINATING" : "RUNNING";
      if (!this.#children.has(rec.runId)) message = `re-attached to pid ${rec.pid}`;
    } else if (rec.exitCode !== undefined) {
      ({ state, message } = exitState(rec.exitCode, rec.signal ?? null, !!rec.cancelRequestedAt));
    } else {
      // Not ours to wait for (the app restarted) and gone: the job's own status says how it ended.
      const phase = await readPhase(rec.diskRunDir);
      endedAt = phase?.endedAt ?? Date.now();
      if (phase?.phase === "succeeded") state = "SUCCEEDED";
      else if (phase?.phase === "cancelled") state = "CANCELED";
      else if (phase?.phase === "failed") {
        state = "FAILED";
        message = phase.error ?? "the job failed";
      } else {
        state = rec.cancelRequestedAt ? "CANCELED" : "FAILED";
        message = rec.cancelRequestedAt ? undefined : `the training process (pid ${rec.pid}) ` +
          "ended without recording a result: it was lost (killed, or the machine restarted)";
      }
    }
    return {
      runId: rec.runId,
      name: rec.name,
      state,
      message,
      startedAt: rec.startedAt,
      endedAt: state === "RUNNING" || state === "TERMINATING" ? undefined : endedAt,
      runDir: rec.runDir,
    };
  }

  async #localArgs(args: string[], diskRunDir: string): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === "--config" && args[i + 1]?.startsWith("/Volumes/")) {
        out.push(a, await this.#localConfig(args[++i], diskRunDir));
      } else if (a.startsWith("/Volumes/")) {
        out.push((await this.#opts.files.resolve(a)).disk);
      } else out.push(a);
    }
    return out;
  }

  /** A copy of the config with volume paths mapped to disk paths, inside the run dir. */
  async #localConfig(volumePath: string, diskRunDir: string): Promise<string> {
    const text = await this.#opts.files.readText(volumePath);
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new BadRequestError(`${volumePath} is not valid YAML: ${(e as Error).message}`);
    }
    const mapped = await mapStrings(
      doc,
      async (s) => s.startsWith("/Volumes/") ? (await this.#opts.files.resolve(s)).disk : s,
    );
    const path = `${diskRunDir}/.config.local.yaml`;
    await Deno.writeTextFile(path, stringifyYaml(mapped));
    return path;
  }

  async #read(runId: string): Promise<LocalJobRecord | null> {
    if (!ID_RE.test(runId)) return null;
    try {
      return JSON.parse(await Deno.readTextFile(`${this.#indexDir}/${runId}.json`));
    } catch {
      return null;
    }
  }

  async #write(rec: LocalJobRecord): Promise<void> {
    await Deno.mkdir(this.#indexDir, { recursive: true });
    const path = `${this.#indexDir}/${rec.runId}.json`;
    const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 6)}`;
    await Deno.writeTextFile(tmp, JSON.stringify(rec, null, 2));
    await Deno.rename(tmp, path);
  }
}

function exitState(
  code: number,
  signal: string | null,
  cancelled: boolean,
): { state: JobState; message?: string } {
  if (code === 0) return { state: "SUCCEEDED" };
  if (cancelled || code === 143 || code === 130 || signal === "SIGTERM") {
    return { state: "CANCELED" };
  }
  if (code === 2) return { state: "FAILED", message: "the config was refused (exit code 2)" };
  if (signal) return { state: "FAILED", message: `killed by ${signal}` };
  return { state: "FAILED", message: `exit code ${code}` };
}

async function readPhase(
  diskRunDir?: string,
): Promise<{ phase?: string; error?: string; endedAt?: number } | null> {
  if (!diskRunDir) return null;
  try {
    const s = JSON.parse(await Deno.readTextFile(`${diskRunDir}/status.json`));
    return { phase: s.phase, error: s.error ?? undefined, endedAt: s.ended_at ?? undefined };
  } catch {
    return null;
  }
}

function argAfter(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

async function mapStrings(v: unknown, fn: (s: string) => Promise<string>): Promise<unknown> {
  if (typeof v === "string") return await fn(v);
  if (Array.isArray(v)) return await Promise.all(v.map((x) => mapStrings(x, fn)));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await mapStrings(x, fn);
    return out;
  }
  return v;
}
