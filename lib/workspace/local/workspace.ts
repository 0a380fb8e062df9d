/**
 * The embedded local workspace: files on disk, jobs as local subprocesses, tracking from run
 * folders, registry and endpoints in KV. Parts whose stage has not landed yet say so plainly
 * (HTTP 501 with a message) instead of pretending.
 */
import { hostPathHider } from "@/lib/errors.ts";
import type {
  AreaHealth,
  ComputeApi,
  JobsApi,
  RegistryApi,
  ServingApi,
  TrackingApi,
  Workspace,
  WorkspaceTraits,
} from "../types.ts";
import { LocalFiles } from "./files.ts";
import { LocalJobs } from "./jobs.ts";
import { LocalRegistry } from "./registry.ts";
import { LocalServing } from "./serving.ts";
import { findPython } from "./python.ts";
import { LocalTracking } from "./tracking.ts";
import { plural } from "@/lib/format.ts";

/** Options of the local workspace. */
export interface LocalWorkspaceOptions {
  dataDir: string;
  /** LAKEVISION_PYTHON, tried first. */
  python?: string;
  /** The volume the app uses for its own files. */
  volume: string;
  /** Load and serve endpoints in this process: the app's server only, never the CLI. */
  serveEndpoints?: boolean;
  /** Where the server answers on loopback, so other processes can forward invocations. */
  serverUrl?: string;
  /** Idle minutes before a scale-to-zero endpoint unloads its model (0: never). */
  endpointIdleMinutes?: number;
}

/**
 * Jobs are subprocesses here: they start at once and write to local disk, so looking at them
 * often costs little.
 */
export const LOCAL_TRAITS: WorkspaceTraits = {
  jobsRunHere: true,
  computeKind: "local",
  deltaTables: false,
  poll: { backgroundMs: 2_000, followMs: 1_000, watchMs: 250, watchLogMs: 1_000 },
};

/** Creates the local workspace. */
export function createLocalWorkspace(opts: LocalWorkspaceOptions): Workspace {
  const files = new LocalFiles(opts.dataDir);
  const compute: ComputeApi = {
    async info() {
      const { chosen } = await findPython(opts.python);
      return {
        kind: "local",
        cpus: navigator.hardwareConcurrency,
        python: chosen
          ? {
            path: chosen.path,
            version: chosen.version,
            torch: chosen.torch,
            torchvision: chosen.torchvision,
            cuda: chosen.cuda,
          }
          : undefined,
      };
    },
  };
  const jobs: JobsApi = new LocalJobs({ dataDir: opts.dataDir, files, python: opts.python });
  const tracking: TrackingApi = new LocalTracking(files, opts.volume);
  const registry: RegistryApi = new LocalRegistry(files);
  const localServing = new LocalServing({
    workspace: () => ws,
    volume: opts.volume,
    serve: opts.serveEndpoints,
    serverUrl: opts.serverUrl,
    idleUnloadMinutes: opts.endpointIdleMinutes,
  });
  const serving: ServingApi = localServing;
  if (opts.serveEndpoints) {
    void localServing.start();
    // The launch form needs to know whether Python imports torch, which takes seconds on a slow
    // machine (longer than a page waits): the app's server finds out at start-up, in the
    // background (the result is cached; a failed probe is itself an answer, so nothing is thrown).
    void findPython(opts.python);
  }
  // Made on first use: the data dir's real path (through links) is known once it exists.
  let hider: ((text: string) => string) | undefined;
  const ws: Workspace = {
    kind: "local",
    traits: LOCAL_TRAITS,
    describe: () => `local workspace in ${opts.dataDir}`,
    hidePaths: (text) => (hider ??= hostPathHider(opts.dataDir))(text),
    files,
    jobs,
    tracking,
    registry,
    serving,
    compute,
    async health() {
      const out: AreaHealth[] = [];
      out.push(
        await timed("files", async () => {
          const probe = `${opts.volume}/.lakevision-health`;
          const text = new Date().toISOString();
          await files.write(probe, text);
          const back = await files.readText(probe);
          await files.delete(probe);
          if (back !== text) throw new Error("read back a different value than written");
          // The volume path, not files.root: the server's folders are not shown to callers.
          return `read/write OK under ${opts.volume}`;
        }),
      );
      out.push(
        await timed("compute", async () => {
          const info = await compute.info();
          const py = info.python;
          // Health is open to any caller: say what works, not the interpreter's path or versions
          // (`deno task cli workspace info` shows those to whoever runs the server).
          if (!py) throw new Error("no Python 3 found (set LAKEVISION_PYTHON)");
          if (!py.torch) {
            throw new Error(
              "the Python interpreter has no PyTorch: install python3-torch " +
                "python3-torchvision (Debian) or pip install torch torchvision",
            );
          }
          return `${info.cpus} CPUs; Python with PyTorch, ` +
            `${py.torchvision ? "torchvision" : "no torchvision"}${py.cuda ? ", CUDA" : ""}`;
        }),
      );
      out.push(
        await timed("jobs", async () => {
          let n = 0;
          for await (const _ of jobs.list({ limit: 1000 })) n++;
          return `local subprocesses; ${plural(n, "run")} recorded`;
        }),
      );
      out.push(
        await timed("registry", async () => {
          let n = 0;
          for await (const _ of registry.listModels()) n++;
          return `registry in KV, files under ${opts.volume}/models (${plural(n, "model")})`;
        }),
      );
      out.push(
        await timed("tracking", async () => {
          let n = 0;
          for await (const _ of tracking.listRuns({ limit: 1000 })) n++;
          return `run folders under ${opts.volume}/runs (${n} found)`;
        }),
      );
      out.push(await timed("serving", () => localServing.health()));
      return out;
    },
  };
  return ws;
}

async function timed(area: AreaHealth["area"], fn: () => Promise<string>): Promise<AreaHealth> {
  const t0 = performance.now();
  try {
    const detail = await fn();
    return { area, ok: true, detail, ms: Math.round(performance.now() - t0) };
  } catch (e) {
    return {
      area,
      ok: false,
      detail: e instanceof Error ? e.message : String(e),
      ms: Math.round(performance.now() - t0),
    };
  }
}
