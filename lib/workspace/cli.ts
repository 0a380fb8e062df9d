/** `deno task cli workspace info|health`. */
import { loadSettings } from "@/fresh.config.ts";
import { createWorkspace } from "./mod.ts";

const HELP = `Usage: deno task cli workspace <command> [--json]

Commands:
  info     which workspace is configured, where, and what compute it has
  health   check each area (files, jobs, tracking, registry, serving, compute)`;

/** Entry point of the `workspace` area. */
export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  const json = rest.includes("--json");
  if (!cmd || cmd === "--help" || cmd === "-h") {
    console.log(HELP);
    return cmd ? 0 : 2;
  }
  const settings = loadSettings();
  const ws = await createWorkspace(settings);
  if (cmd === "info") {
    const compute = await ws.compute.info();
    const info = { kind: ws.kind, location: ws.describe(), volume: settings.volume, compute };
    if (json) console.log(JSON.stringify(info, null, 2));
    else {
      console.log(`Workspace: ${ws.kind} (${ws.describe()})`);
      console.log(`App volume: ${settings.volume}`);
      if (compute.cpus) console.log(`CPUs: ${compute.cpus}`);
      const py = compute.python;
      console.log(
        py
          ? `Python: ${py.path} ${py.version}; torch ${py.torch ?? "not installed"}; torchvision ${
            py.torchvision ?? "not installed"
          }`
          : "Python: not found (set LAKEVISION_PYTHON)",
      );
    }
    return 0;
  }
  if (cmd === "health") {
    const areas = await ws.health();
    if (json) console.log(JSON.stringify(areas, null, 2));
    else {for (const a of areas) {
        console.log(`${a.ok ? "OK " : "-- "} ${a.area.padEnd(9)} ${a.detail}`);
      }}
    return areas.some((a) => a.area === "files" && !a.ok) ? 1 : 0;
  }
  console.error(`Unknown command "${cmd}".\n\n${HELP}`);
  return 2;
}
