/**
 * Seeding at start-up: on the first start of an empty local workspace the demo is generated in
 * a worker while the server already answers; the home page shows "seeding…", then the result,
 * or, when it fails, a plain message (the app works the same without the demo).
 */
import type { Settings } from "@/fresh.config.ts";
import { errorMessage } from "@/lib/errors.ts";
import { plural } from "@/lib/format.ts";
import { getKv } from "@/lib/store/kv.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { DEMO_VOLUME } from "./datasets.ts";
import { type Generate, generateInWorker } from "./generate.ts";
import { RESET_KEY, seedDemo, type SeedReport, seedState, STATE_KEY } from "./seed.ts";

/** Where the demo stands, for the home page. */
export interface DemoStatus {
  state: "off" | "skipped" | "seeding" | "ready" | "failed";
  /** One sentence for a person. */
  message: string;
  at: number;
  report?: SeedReport;
}

const ERROR_KEY = ["demo", "error"];

let current: DemoStatus = {
  state: "off",
  message: "The demo workspace is off (LAKEVISION_DEMO=0).",
  at: Date.now(),
};

/** This process's view of the demo (start-up seeding), refined by the KV record. */
export async function demoStatus(kv?: Deno.Kv): Promise<DemoStatus> {
  if (current.state === "seeding" || current.state === "failed") return current;
  try {
    const store = kv ?? await getKv();
    const st = await seedState(store);
    if (st) {
      return {
        state: "ready",
        message: `Demo datasets are in ${DEMO_VOLUME} and ${
          plural(st.configs.length, "demo configuration")
        } ${st.configs.length === 1 ? "is" : "are"} saved.`,
        at: st.at,
        report: current.report,
      };
    }
    const err = (await store.get<{ message: string; at: number }>(ERROR_KEY)).value;
    if (err && current.state !== "skipped") {
      return { state: "failed", message: err.message, at: err.at };
    }
  } catch { /* KV not open: fall back to this process's view */ }
  return current;
}

/** Sets the in-process status (tests). */
export function setDemoStatus(s: DemoStatus): void {
  current = s;
}

/**
 * True when KV has no configs yet and no volume holds a file outside the demo volume (the demo
 * volume may hold an earlier, interrupted seed, which seeding resumes without overwriting).
 */
async function isFresh(dataDir: string, kv: Deno.Kv): Promise<boolean> {
  for await (const _ of kv.list({ prefix: ["configs", "meta"] }, { limit: 1 })) return false;
  const root = `${dataDir.replace(/\/$/, "")}/volumes`;
  const demo = `${root}${DEMO_VOLUME.slice("/Volumes".length)}`;
  const walk = async (dir: string): Promise<boolean> => {
    if (dir === demo) return true;
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      return true;
    }
    for (const e of entries) {
      if (e.isFile || e.isSymlink) return false;
      if (e.isDirectory && !(await walk(`${dir}/${e.name}`))) return false;
    }
    return true;
  };
  return await walk(root);
}

/**
 * Starts seeding in the background when the demo is on, the workspace runs jobs on this machine
 * (the demo's runs train here; a remote workspace gets it only when asked), and the data dir is
 * fresh. Never throws; the returned promise settles when seeding is over (tests await it, the
 * server does not).
 */
export function startDemoSeeding(
  settings: Pick<Settings, "demo" | "dataDir" | "volume" | "workspace">,
  workspace: Workspace,
  opts: { generate?: Generate; kv?: Deno.Kv } = {},
): Promise<void> {
  if (!settings.demo) {
    current = {
      state: "off",
      message: "The demo workspace is off (LAKEVISION_DEMO=0).",
      at: Date.now(),
    };
    return Promise.resolve();
  }
  if (!workspace.traits.jobsRunHere) {
    current = {
      state: "off",
      message: "The demo is only seeded automatically in the local workspace; run " +
        "`deno task cli demo seed` to add it to this workspace.",
      at: Date.now(),
    };
    return Promise.resolve();
  }
  current = {
    state: "seeding",
    message: "Creating the demo datasets and configurations…",
    at: Date.now(),
  };
  return (async () => {
    const kv = opts.kv ?? await getKv();
    if (await seedState(kv) || (await kv.get(RESET_KEY)).value) {
      current = { state: "skipped", message: "", at: Date.now() };
      return;
    }
    if (!(await isFresh(settings.dataDir, kv))) {
      current = {
        state: "skipped",
        message: "This workspace already has data, so the demo was not added; run " +
          "`deno task cli demo seed` to add it (nothing of yours is overwritten).",
        at: Date.now(),
      };
      return;
    }
    try {
      const report = await seedDemo({
        files: workspace.files,
        kv,
        appVolume: settings.volume,
        target: settings.workspace,
        who: "lakevision (first start)",
        generate: opts.generate ?? generateInWorker,
      });
      await kv.delete(ERROR_KEY);
      current = {
        state: "ready",
        message: `Demo datasets are in ${DEMO_VOLUME}.`,
        at: Date.now(),
        report,
      };
    } catch (e) {
      const message = `The demo data could not be created: ${errorMessage(e)}. Lakevision works ` +
        "without it; fix the cause and run `deno task cli demo seed` to try again.";
      current = { state: "failed", message, at: Date.now() };
      await kv.set(ERROR_KEY, { message, at: Date.now() }).catch(() => {});
      console.error(message);
    }
  })().catch((e) => {
    current = {
      state: "failed",
      message: `The demo could not start: ${errorMessage(e)}. Lakevision works without it.`,
      at: Date.now(),
    };
  });
}

export { STATE_KEY };
