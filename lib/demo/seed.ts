/**
 * Seeding: writes the demo datasets into `/Volumes/demo/cv/data/`, records them in the
 * manifest, and saves one configuration per task. It never overwrites anything: a dataset
 * folder or a config name that already exists is kept as it is and reported as kept.
 */
import { ConfigStore } from "@/lib/store/configs.ts";
import { logActivity } from "@/lib/store/activity.ts";
import { errorMessage } from "@/lib/errors.ts";
import type { FilesApi } from "@/lib/workspace/types.ts";
import { DEMO_CONFIGS, demoConfigDoc } from "./configs.ts";
import { DEMO_DATASETS, DEMO_SEED, DEMO_VOLUME } from "./datasets.ts";
import { type Generate, generateHere } from "./generate.ts";
import {
  type DemoManifest,
  GENERATOR,
  MANIFEST_PATH,
  manifestEntry,
  manifestJson,
  readManifest,
} from "./manifest.ts";

/** The author recorded on demo configurations. */
export const DEMO_AUTHOR = "lakevision-demo";
/** KV key of the last seeding's record. */
export const STATE_KEY = ["demo", "state"];
/** KV key set by `demo reset`, so start-up does not seed again on its own. */
export const RESET_KEY = ["demo", "reset"];

/** What seeding works on, and how (tests inject the generator). */
export interface SeedDeps {
  files: FilesApi;
  kv: Deno.Kv;
  /** The app volume, where config YAML files are written. */
  appVolume: string;
  /** Validation target for saved configs. */
  target: "local" | "databricks";
  /** Who asked (recorded in the activity log). */
  who: string;
  seed?: number;
  /** Only these dataset ids (default: all). */
  only?: string[];
  generate?: Generate;
  /** Progress lines, e.g. printed by the CLI. */
  log?: (line: string) => void;
}

/** What seeding did, item by item. */
export interface SeedReport {
  datasets: { id: string; path: string; status: "created" | "kept"; files: number }[];
  configs: { name: string; status: "created" | "kept" | "skipped"; reason?: string }[];
  manifest: string;
  planted: number;
  durationMs: number;
}

/** The record kept in KV after seeding. */
export interface SeedState {
  at: number;
  seed: number;
  by: string;
  datasets: string[];
  configs: string[];
}

async function exists(files: FilesApi, path: string): Promise<boolean> {
  return (await files.stat(path)) !== null;
}

/**
 * Marks a dataset folder while the demo is still writing it. A folder holding it is the demo's
 * own unfinished work (a crash or restart mid-write), so the next seed may complete it.
 */
export const INCOMPLETE_MARKER = ".lakevision-demo-incomplete";

/**
 * Writes one dataset's files without replacing any (except, when `resume`, the demo's own
 * files of an unfinished earlier attempt); on failure removes what it wrote, so a half-written
 * dataset never looks complete.
 */
async function writeDataset(
  files: FilesApi,
  root: string,
  content: Map<string, Uint8Array>,
  resume: boolean,
): Promise<void> {
  const marker = `${root}/${INCOMPLETE_MARKER}`;
  const written: string[] = [];
  try {
    await files.write(marker, "the demo is writing this dataset\n", { overwrite: resume });
    written.push(marker);
    for (const [rel, bytes] of content) {
      const path = `${root}/${rel}`;
      await files.write(path, bytes, { overwrite: resume });
      written.push(path);
    }
    await files.delete(marker);
  } catch (e) {
    for (const p of written.reverse()) await files.delete(p).catch(() => {});
    await removeEmptyDirs(files, root, written).catch(() => {});
    throw new Error(`could not write ${root}: ${errorMessage(e)}`);
  }
}

/** Deletes the folders of `paths` (deepest first) that are now empty, then `root` if empty. */
export async function removeEmptyDirs(
  files: FilesApi,
  root: string,
  paths: string[],
): Promise<void> {
  const dirs = new Set<string>();
  for (const p of paths) {
    let d = p.slice(0, p.lastIndexOf("/"));
    while (d.length > root.length && d.startsWith(root + "/")) {
      dirs.add(d);
      d = d.slice(0, d.lastIndexOf("/"));
    }
  }
  dirs.add(root);
  const ordered = [...dirs].sort((a, b) => b.split("/").length - a.split("/").length);
  for (const d of ordered) {
    try {
      let empty = true;
      for await (const _ of files.list(d)) {
        empty = false;
        break;
      }
      if (empty) await files.delete(d);
    } catch { /* gone already, or not empty */ }
  }
}

/**
 * Seeds the demo: missing datasets are generated and written, existing folders are kept;
 * configs are saved for demo datasets whose name is free. Throws when writing fails (what was
 * written for that dataset is removed first).
 */
export async function seedDemo(deps: SeedDeps): Promise<SeedReport> {
  const t0 = performance.now();
  const log = deps.log ?? (() => {});
  const seed = deps.seed ?? DEMO_SEED;
  const specs = DEMO_DATASETS.filter((d) => !deps.only || deps.only.includes(d.id));
  const previous = await readManifest(deps.files);
  const manifest: DemoManifest = previous ??
    { generator: GENERATOR, version: 1, seed, datasets: [] };
  const report: SeedReport = {
    datasets: [],
    configs: [],
    manifest: MANIFEST_PATH,
    planted: 0,
    durationMs: 0,
  };
  const missing: string[] = [];
  const resume = new Set<string>();
  for (const s of specs) {
    const path = `${DEMO_VOLUME}/${s.id}`;
    if (await exists(deps.files, `${path}/${INCOMPLETE_MARKER}`)) {
      resume.add(s.id);
      missing.push(s.id);
      log(`resuming ${path} (an earlier seed stopped while writing it)`);
    } else if (await exists(deps.files, path)) {
      report.datasets.push({ id: s.id, path, status: "kept", files: 0 });
      log(`kept     ${path} (already there; left untouched)`);
    } else missing.push(s.id);
  }
  if (missing.length) {
    log(`generating ${missing.length} dataset(s) with seed ${seed}…`);
    const generated = await (deps.generate ?? generateHere)(seed, missing);
    for (const ds of generated) {
      const path = `${DEMO_VOLUME}/${ds.id}`;
      await writeDataset(deps.files, path, ds.files, resume.has(ds.id));
      const entry = await manifestEntry(ds);
      manifest.datasets = [...manifest.datasets.filter((d) => d.id !== ds.id), entry];
      report.datasets.push({ id: ds.id, path, status: "created", files: ds.files.size });
      log(`created  ${path} (${ds.files.size} files, ${ds.planted.length} planted problems)`);
    }
    if (!previous) manifest.seed = seed;
    await deps.files.write(MANIFEST_PATH, manifestJson(manifest));
  }
  report.planted = manifest.datasets.reduce((n, d) => n + d.planted.length, 0);

  const store = new ConfigStore(deps.kv, {
    files: deps.files,
    volume: deps.appVolume,
    validate: { target: deps.target },
    onActivity: async (what, subject, who, details) => {
      await logActivity({ who, what, subject, details });
    },
  });
  for (const spec of DEMO_CONFIGS) {
    if (deps.only && !deps.only.includes(spec.dataset)) continue;
    const ds = manifest.datasets.find((d) => d.id === spec.dataset);
    if (!ds) {
      report.configs.push({
        name: spec.name,
        status: "skipped",
        reason: `${DEMO_VOLUME}/${spec.dataset} is not demo data`,
      });
      continue;
    }
    if (await store.get(spec.name).then(() => true, () => false)) {
      report.configs.push({ name: spec.name, status: "kept" });
      log(`kept     config ${spec.name} (a config with that name exists)`);
      continue;
    }
    const rel: Record<string, string> = {};
    for (const [k, v] of Object.entries(ds.data)) rel[k] = v.slice(ds.path.length + 1);
    await store.save(spec.name, demoConfigDoc(spec, rel as never), {
      author: DEMO_AUTHOR,
      source: "template",
      message: "Demo configuration",
      description: spec.description,
    });
    report.configs.push({ name: spec.name, status: "created" });
    log(`created  config ${spec.name} (${spec.model})`);
  }
  const state: SeedState = {
    at: Date.now(),
    seed: manifest.seed,
    by: deps.who,
    datasets: manifest.datasets.map((d) => d.id),
    configs: report.configs.filter((c) => c.status !== "skipped").map((c) => c.name),
  };
  await deps.kv.set(STATE_KEY, state);
  await deps.kv.delete(RESET_KEY);
  report.durationMs = Math.round(performance.now() - t0);
  await logActivity({
    who: deps.who,
    what: "seeded the demo workspace",
    subject: `demo:${DEMO_VOLUME}`,
    details: {
      created: report.datasets.filter((d) => d.status === "created").map((d) => d.id),
      configs: report.configs.filter((c) => c.status === "created").map((c) => c.name),
    },
  });
  return report;
}

/** The last seeding's record, or null. */
export async function seedState(kv: Deno.Kv): Promise<SeedState | null> {
  return (await kv.get<SeedState>(STATE_KEY)).value;
}
