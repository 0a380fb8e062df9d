/**
 * `deno task cli demo ...`: seed the demo workspace, reset it, show where it stands, or write
 * the datasets to a plain folder. Exit codes: 0 done, 1 failed or not confirmed, 2 usage.
 */
import { parseArgs } from "node:util";
import { loadSettings } from "@/fresh.config.ts";
import { errorMessage } from "@/lib/errors.ts";
import { openKv } from "@/lib/store/kv.ts";
import { createWorkspace } from "@/lib/workspace/mod.ts";
import { DEMO_DATASETS, DEMO_SEED, DEMO_VOLUME, generateDemoDatasets } from "./datasets.ts";
import { readManifest } from "./manifest.ts";
import { resetDemo } from "./reset.ts";
import { seedDemo, seedState } from "./seed.ts";

const USAGE = `Usage:
  demo seed [--seed N] [--only id,id] [--json]
      Writes small generated datasets (one per task, with planted annotation problems) to
      ${DEMO_VOLUME}/ and saves one configuration per task. Never overwrites: a dataset
      folder or config name that exists is kept.
      datasets: ${DEMO_DATASETS.map((d) => d.id).join(", ")}
  demo reset [--yes]
      Removes the demo datasets, the manifest and the demo configurations nobody else edited,
      after asking for confirmation (--yes skips the question). Changed files are kept.
  demo status [--json]
      Shows what the demo put where and the problems planted in each dataset.
  demo generate <folder> [--seed N] [--only id,id]
      Writes the datasets to a plain folder (no workspace, no configurations).

Set LAKEVISION_DEMO=0 to stop the app from seeding the demo on its first start.`;

/** I/O the command uses; tests replace it. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  confirm(question: string): boolean;
}

const defaultIo: CliIo = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
  confirm: (q) => confirm(q),
};

function who(): string {
  return Deno.env.get("USER") ?? Deno.env.get("USERNAME") ?? "cli";
}

async function context() {
  const settings = loadSettings();
  await Deno.mkdir(settings.dataDir, { recursive: true });
  const kv = await openKv(`${settings.dataDir}/kv.sqlite3`);
  const workspace = await createWorkspace(settings);
  return { settings, kv, workspace };
}

function parseOnly(v: string | undefined): string[] | undefined {
  if (!v) return undefined;
  const ids = v.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = ids.filter((id) => !DEMO_DATASETS.some((d) => d.id === id));
  if (bad.length) throw new UsageError(`unknown dataset(s) ${bad.join(", ")}`);
  return ids;
}

function parseSeed(v: string | undefined): number {
  if (v === undefined) return DEMO_SEED;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new UsageError(`--seed must be an integer from 0 to 4294967295, got "${v}"`);
  }
  return n;
}

class UsageError extends Error {}

/** Entry point used by lib/cli.ts; returns the exit code. */
export async function main(args: string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: {
        seed: { type: "string" },
        only: { type: "string" },
        json: { type: "boolean", default: false },
        yes: { type: "boolean", short: "y", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    switch (command) {
      case "seed": {
        const { settings, kv, workspace } = await context();
        const report = await seedDemo({
          files: workspace.files,
          kv,
          appVolume: settings.volume,
          target: settings.workspace,
          who: who(),
          seed: parseSeed(values.seed),
          only: parseOnly(values.only),
          log: values.json ? undefined : io.out,
        });
        if (values.json) io.out(JSON.stringify(report, null, 2));
        else {
          io.out(
            `done in ${(report.durationMs / 1000).toFixed(1)} s: ` +
              `${
                report.datasets.filter((d) => d.status === "created").length
              } dataset(s) created, ` +
              `${report.configs.filter((c) => c.status === "created").length} config(s) saved, ` +
              `${report.planted} planted problems listed in ${report.manifest}`,
          );
          io.out("Next: open the app's home page and follow “Getting started”.");
        }
        return 0;
      }
      case "reset": {
        const { kv, workspace } = await context();
        if (!values.yes) {
          const ok = io.confirm(
            `Remove the demo datasets in ${DEMO_VOLUME} and the demo configurations? ` +
              "Files and configs you changed are kept.",
          );
          if (!ok) {
            io.err("Nothing was removed (not confirmed; pass --yes to skip the question).");
            return 1;
          }
        }
        const report = await resetDemo({ files: workspace.files, kv, who: who(), log: io.out });
        io.out(
          `removed ${report.removedFiles} file(s) and ${report.removedConfigs.length} config(s); ` +
            `kept ${report.keptFiles.length} changed file(s) and ${report.keptConfigs.length} edited config(s)`,
        );
        return 0;
      }
      case "status": {
        const { kv, workspace } = await context();
        const [manifest, state] = await Promise.all([readManifest(workspace.files), seedState(kv)]);
        if (values.json) {
          // file hashes are for `reset`; the summary gives their count
          const datasets = manifest?.datasets.map(({ files, ...d }) => ({
            ...d,
            files: Object.keys(files).length,
          }));
          io.out(
            JSON.stringify({ state, manifest: manifest && { ...manifest, datasets } }, null, 2),
          );
          return 0;
        }
        if (!manifest) {
          io.out(`No demo content in ${DEMO_VOLUME}. Run \`deno task cli demo seed\` to add it.`);
          return 0;
        }
        io.out(
          `Demo seed ${manifest.seed}${
            state ? `, seeded ${new Date(state.at).toISOString()} by ${state.by}` : ""
          }`,
        );
        for (const d of manifest.datasets) {
          io.out(`\n${d.path}  (${d.task}, ${d.format})`);
          io.out(`  ${d.splits.map((s) => `${s.name}: ${s.images} images`).join(", ")}`);
          for (const p of d.planted) {
            io.out(`  planted ${p.severity.padEnd(7)} ${p.code}: ${p.what}`);
          }
        }
        if (state) io.out(`\nConfigs: ${state.configs.join(", ")}`);
        return 0;
      }
      case "generate": {
        const dir = positionals[0];
        if (!dir) throw new UsageError("generate needs a folder");
        const t0 = performance.now();
        const sets = generateDemoDatasets(parseSeed(values.seed), parseOnly(values.only));
        let n = 0;
        for (const ds of sets) {
          for (const [rel, bytes] of ds.files) {
            const path = `${dir.replace(/\/$/, "")}/${ds.id}/${rel}`;
            await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
            await Deno.writeFile(path, bytes, { createNew: true });
            n++;
          }
        }
        io.out(
          `wrote ${n} files for ${sets.length} dataset(s) to ${dir} in ${
            ((performance.now() - t0) / 1000).toFixed(1)
          } s`,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`error: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof Deno.errors.AlreadyExists) {
      io.err(`error: ${errorMessage(e)} (generate never overwrites; pick an empty folder)`);
      return 1;
    }
    io.err(`error: ${errorMessage(e)}`);
    return 1;
  }
}
