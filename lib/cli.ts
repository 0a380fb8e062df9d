/**
 * The `lakevision` command line (`deno task cli ...`): one subcommand per area, each in
 * `lib/<area>/cli.ts` exporting `main(args) → exit code`.
 */
import { loadSettings, SettingsError } from "@/fresh.config.ts";
import { errorMessage, HttpError } from "@/lib/errors.ts";

type AreaMain = (args: string[]) => Promise<number>;

/** Subcommand areas, loaded only when used. */
const AREAS: Record<string, { summary: string; load: () => Promise<AreaMain> }> = {
  workspace: {
    summary: "workspace info | health — which workspace is configured and whether it answers",
    load: async () => (await import("@/lib/workspace/cli.ts")).main,
  },
};

/** Registers an area (used by areas that land later). */
export function registerArea(name: string, summary: string, load: () => Promise<AreaMain>): void {
  AREAS[name] = { summary, load };
}

const OPTIONAL_AREAS: [string, string, string][] = [
  [
    "config",
    "config validate <file.yaml> [--json] | config new --task T --model M",
    "@/lib/config/cli.ts",
  ],
  [
    "eda",
    "eda scan <path> [--format F] [--json] — scan and validate a dataset",
    "@/lib/data/cli.ts",
  ],
  ["eval", "eval coco|semseg|panoptic|classification ... — exact metrics", "@/lib/metrics/cli.ts"],
  ["demo", "demo seed | demo reset — the demo workspace", "@/lib/demo/cli.ts"],
  [
    "train",
    "train <config.yaml | name[@version]> [--compute local|databricks] [--wait]",
    "@/lib/training/cli.ts",
  ],
  ["runs", "runs list | show <id> | cancel <id> — training runs", "@/lib/training/cli.ts"],
  [
    "models",
    "models register | import | list | show | alias — the model registry",
    "@/lib/registry/cli.ts",
  ],
  [
    "endpoints",
    "endpoints create | list | show | delete | invoke — serving",
    "@/lib/serving/cli.ts",
  ],
  [
    "batch",
    "batch --model M --version N --input DIR --output F.jsonl [--wait]",
    "@/lib/serving/batch_cli.ts",
  ],
  [
    "history",
    "history list [--type T] [--since DATE] [--json] | export | import <file>",
    "@/lib/history/cli.ts",
  ],
];

async function discoverAreas(): Promise<void> {
  for (const [name, summary, spec] of OPTIONAL_AREAS) {
    const path = new URL(spec.replace("@/", "../"), import.meta.url);
    if (await Deno.stat(path).then(() => true, () => false)) {
      // Areas that share a module (train, runs) get the area name as the first argument.
      const shared = OPTIONAL_AREAS.filter(([, , s]) => s === spec).length > 1;
      registerArea(name, summary, async () => {
        const main = (await import(path.href)).main as AreaMain;
        return shared ? (args: string[]) => main([name, ...args]) : main;
      });
    }
  }
}

function usage(): string {
  const lines = Object.entries(AREAS).map(([k, v]) => `  ${k.padEnd(10)} ${v.summary}`);
  return [
    "Usage: deno task cli <area> <command> [options]",
    "",
    "Areas:",
    ...lines,
    "",
    "Run `deno task cli <area> --help` for an area's commands.",
  ].join("\n");
}

/** Runs the CLI with `args`; returns the exit code. */
export async function runCli(args: string[]): Promise<number> {
  await discoverAreas();
  const [area, ...rest] = args;
  if (!area || area === "--help" || area === "-h" || area === "help") {
    console.log(usage());
    return 0;
  }
  const entry = AREAS[area];
  if (!entry) {
    console.error(`Unknown area "${area}".\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await entry.load())(rest);
  } catch (e) {
    if (e instanceof SettingsError || e instanceof HttpError) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    console.error(`error: ${errorMessage(e)}`);
    return 1;
  }
}

if (import.meta.main) {
  // Settings are validated up front so a bad environment fails with a clear message.
  try {
    loadSettings();
  } catch (e) {
    console.error(errorMessage(e));
    Deno.exit(1);
  }
  Deno.exit(await runCli(Deno.args));
}
