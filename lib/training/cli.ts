/**
 * `deno task cli train ...` and `deno task cli runs ...`: launch a run on the configured
 * workspace and follow it, list runs, show one, cancel one. `main(["train", ...])` and
 * `main(["runs", ...])`; returns the exit code (`train --wait` exits 0 only on success).
 */
import { cliFailure } from "@/lib/cli_failure.ts";
import { parseArgs } from "node:util";
import { loadSettings, type Settings } from "@/fresh.config.ts";
import { slugifyName } from "@/lib/config/names.ts";
import { parseConfigYaml } from "@/lib/config/yaml_io.ts";
import { openKv } from "@/lib/store/kv.ts";
import { createWorkspace } from "@/lib/workspace/mod.ts";
import { cancelRun, launchRun, type TrainingContext } from "./launch.ts";
import { MAX_RUN_NAME } from "./status.ts";
import { getRun, listRuns } from "./records.ts";
import { refreshRun, stopMonitor } from "./refresh.ts";
import { trainingContext } from "./service.ts";
import {
  type ComputeChoice,
  formatDuration,
  primaryMetric,
  RUN_STATUSES,
  type RunRecord,
  TERMINAL,
} from "./types.ts";

const USAGE = `Usage:
  train <config.yaml | /Volumes/.../config.yaml | name[@version]> [options]
      Launches a training run on the configured workspace and prints its id.
      --compute local|databricks   must match the workspace (default: the workspace's kind)
      --wait                       follow the run; exit 0 only if it succeeds
      --json                       end with {"run_id","status","run_dir","metrics"}
      --max-steps N, --max-epochs N
      --name NAME                  the run's name (at most 120 characters; default: config vN)
      local:      --device auto|cpu|cuda
      databricks: --node-type ID --runtime KEY [--nodes N] [--gpus N] [--cluster-id ID]
                  [--distribution auto|single|torchrun|distributor] [--spot]
                  [--timeout-minutes M] [--email ADDRESS ...]
  runs list [--status S|active] [--limit N] [--json]
  runs show <run id> [--json]
  runs cancel <run id>`;

/** Entry point used by lib/cli.ts. */
export async function main(args: string[]): Promise<number> {
  const [area, ...rest] = args;
  if (area !== "train" && area !== "runs") {
    console.log(USAGE);
    return area === "--help" || area === "-h" ? 0 : 2;
  }
  if (rest.includes("--help") || rest.includes("-h") || rest.length === 0) {
    console.log(USAGE);
    return rest.length === 0 ? 2 : 0;
  }
  try {
    const ctx = await open();
    try {
      if (area === "train") return await train(ctx, rest);
      const [cmd, ...more] = rest;
      if (cmd === "list") return await list(more);
      if (cmd === "show") return await show(ctx, more);
      if (cmd === "cancel") return await cancel(ctx, more);
      console.error(`Unknown runs command "${cmd}".\n\n${USAGE}`);
      return 2;
    } finally {
      stopMonitor();
    }
  } catch (e) {
    return cliFailure(e, USAGE);
  }
}

async function open(): Promise<TrainingContext & { settings: Settings }> {
  const settings = loadSettings();
  await Deno.mkdir(settings.dataDir, { recursive: true });
  await openKv(`${settings.dataDir}/kv.sqlite3`);
  const workspace = await createWorkspace(settings);
  const user = Deno.env.get("USER") ?? "cli";
  const ctx = await trainingContext({ workspace, settings, user: { name: user } });
  stopMonitor(); // the CLI refreshes what it follows itself
  return { ...ctx, settings };
}

async function train(
  ctx: TrainingContext & { settings: Settings },
  args: string[],
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      compute: { type: "string" },
      wait: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      "max-steps": { type: "string" },
      "max-epochs": { type: "string" },
      name: { type: "string" },
      device: { type: "string", default: "auto" },
      "node-type": { type: "string" },
      runtime: { type: "string" },
      nodes: { type: "string", default: "1" },
      gpus: { type: "string" },
      "cluster-id": { type: "string" },
      distribution: { type: "string", default: "auto" },
      spot: { type: "boolean", default: false },
      "timeout-minutes": { type: "string", default: "0" },
      email: { type: "string", multiple: true },
    },
  });
  if (positionals.length !== 1) {
    console.error(`error: give exactly one config (a YAML file or name[@version]).\n\n${USAGE}`);
    return 2;
  }
  const kind = values.compute ?? ctx.workspace.traits.computeKind;
  if (kind !== "local" && kind !== "databricks") {
    console.error(`error: --compute must be local or databricks (got ${kind}).`);
    return 2;
  }
  const compute = await computeChoice(ctx, kind, values);
  const target = positionals[0];
  const req: Parameters<typeof launchRun>[1] = {
    name: runNameOpt(values.name),
    compute,
    maxSteps: intOpt(values["max-steps"], "--max-steps"),
    maxEpochs: intOpt(values["max-epochs"], "--max-epochs"),
  };
  if (/\.ya?ml$/i.test(target) && target.startsWith("/Volumes/")) req.configPath = target;
  else if (/\.ya?ml$/i.test(target)) req.config = await importLocalFile(ctx, target);
  else {
    const m = target.match(/^(.+?)(?:@v?(\d+))?$/)!;
    req.config = { name: m[1], version: m[2] ? Number(m[2]) : undefined };
  }
  let { run } = await launchRun(ctx, req);
  if (!values.json) console.log(`${run.id}  ${run.status}${run.message ? `  ${run.message}` : ""}`);
  // With --json, progress goes to stderr so stdout stays one JSON document.
  if (values.wait && !TERMINAL.has(run.status)) {
    run = await follow(ctx, run, values.json ? console.error : console.log);
  }
  if (values.json) {
    console.log(JSON.stringify({
      run_id: run.id,
      status: run.status,
      run_dir: run.runDir,
      metrics: run.lastMetrics,
      ...(run.message ? { message: run.message } : {}),
    }));
  }
  if (run.status === "failed") return 1;
  if (values.wait) return run.status === "succeeded" ? 0 : 1;
  return 0;
}

function runNameOpt(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const name = v.trim();
  if (!name) throw new Error("--name must not be empty");
  if (name.length > MAX_RUN_NAME) {
    throw new Error(`--name must be at most ${MAX_RUN_NAME} characters (got ${name.length})`);
  }
  return name;
}

function intOpt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${flag} must be a whole number ≥ 1 (got ${v})`);
  }
  return n;
}

async function computeChoice(
  ctx: TrainingContext,
  kind: "local" | "databricks",
  v: Record<string, string | boolean | string[] | undefined>,
): Promise<ComputeChoice> {
  if (kind === "local") {
    const device = String(v.device);
    if (!["auto", "cpu", "cuda"].includes(device)) {
      throw new Error("--device must be auto, cpu or cuda");
    }
    return { kind, device: device as "auto" | "cpu" | "cuda" };
  }
  let gpus = v.gpus ? Number(v.gpus) : undefined;
  const nodeType = v["node-type"] as string | undefined;
  if (gpus === undefined && nodeType && !v["cluster-id"]) {
    const info = await ctx.workspace.compute.info();
    const n = info.nodeTypes?.find((x) => x.id === nodeType);
    if (!n) throw new Error(`node type ${nodeType} is not offered by this workspace`);
    gpus = n.gpus;
  }
  return {
    kind,
    nodeType,
    runtime: v.runtime as string | undefined,
    gpusPerNode: gpus ?? 1,
    nodes: Number(v.nodes) || 1,
    existingClusterId: v["cluster-id"] as string | undefined,
    spot: !!v.spot,
    timeoutMinutes: Number(v["timeout-minutes"]) || 0,
    distribution: String(v.distribution) as "auto",
    emails: (v.email as string[] | undefined) ?? [],
  };
}

/** A YAML file on this machine becomes a config version (reused when unchanged). */
async function importLocalFile(
  ctx: TrainingContext,
  path: string,
): Promise<{ name: string; version: number }> {
  const text = await Deno.readTextFile(path).catch((e) => {
    throw new Error(`cannot read ${path}: ${e.message}`);
  });
  const parsed = parseConfigYaml(text);
  if (!parsed.ok) throw new Error(`${path}: ${parsed.error.message}`);
  const name = slugifyName(path.split("/").pop()!.replace(/\.ya?ml$/i, ""));
  const latest = await ctx.configs.latest(name).catch(() => null);
  if (latest && JSON.stringify(latest.doc) === JSON.stringify(parsed.doc)) {
    return { name, version: latest.version };
  }
  const saved = await ctx.configs.save(name, parsed.doc, {
    author: ctx.user,
    source: "cli",
    sourceYaml: text,
    message: `Imported from ${path}`,
  });
  return { name, version: saved.version.version };
}

async function follow(
  ctx: TrainingContext,
  run: RunRecord,
  print: (line: string) => void,
): Promise<RunRecord> {
  const every = ctx.workspace.traits.poll.followMs;
  let last = "";
  for (;;) {
    run = await refreshRun(ctx.workspace, await getRun(run.id)).catch(() => run);
    const p = run.progress;
    const loss = run.lastMetrics.loss;
    const line = `${run.status} · ${run.phase}` +
      (p ? ` · step ${p.step}${p.totalSteps ? `/${p.totalSteps}` : ""} · epoch ${p.epoch}` : "") +
      (loss !== undefined ? ` · loss ${loss.toFixed(4)}` : "") +
      (p?.etaSeconds ? ` · ETA ${formatDuration(p.etaSeconds)}` : "") +
      (run.stale ? ` · workspace not answering (${run.stale.error})` : "");
    if (line !== last) print(line);
    last = line;
    if (TERMINAL.has(run.status)) {
      if (run.message) print(run.message);
      return run;
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

async function list(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      status: { type: "string" },
      limit: { type: "string", default: "50" },
      json: { type: "boolean", default: false },
    },
  });
  if (
    values.status && values.status !== "active" &&
    !(RUN_STATUSES as readonly string[]).includes(values.status)
  ) {
    console.error(`error: --status must be active or one of ${RUN_STATUSES.join(", ")}`);
    return 2;
  }
  const runs = await listRuns({
    status: values.status as never,
    limit: Number(values.limit) || 50,
  });
  if (values.json) {
    console.log(JSON.stringify(runs.map(brief)));
    return 0;
  }
  if (!runs.length) console.log("No runs.");
  for (const r of runs) {
    const pm = primaryMetric(r);
    console.log(
      [
        r.id,
        r.status.padEnd(9),
        `${r.config.name}@v${r.config.version}`.padEnd(24),
        r.compute.kind.padEnd(10),
        pm.value === null ? "—" : `${pm.name} ${pm.value.toFixed(4)}`,
      ].join("  "),
    );
  }
  return 0;
}

function brief(r: RunRecord) {
  return {
    run_id: r.id,
    status: r.status,
    phase: r.phase,
    config: `${r.config.name}@v${r.config.version}`,
    compute: r.compute.kind,
    run_dir: r.runDir,
    metrics: r.lastMetrics,
    message: r.message,
  };
}

async function show(ctx: TrainingContext, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean", default: false } },
  });
  if (positionals.length !== 1) {
    console.error("error: runs show <run id>");
    return 2;
  }
  const run = await refreshRun(ctx.workspace, await getRun(positionals[0]));
  if (values.json) {
    console.log(JSON.stringify(run, null, 2));
    return 0;
  }
  const p = run.progress;
  const rows: [string, string][] = [
    ["run", `${run.id} (${run.name})`],
    [
      "status",
      `${run.status}${run.phase !== run.status ? ` · ${run.phase}` : ""}${
        run.message ? ` — ${run.message}` : ""
      }`,
    ],
    [
      "config",
      `${run.config.name}@v${run.config.version} (${run.config.task}, ${run.config.model})`,
    ],
    ["compute", `${run.compute.kind} · ${run.distribution}`],
    [
      "progress",
      p ? `step ${p.step}${p.totalSteps ? `/${p.totalSteps}` : ""}, epoch ${p.epoch}` : "—",
    ],
    ["run dir", run.runDir],
    ["command", run.command.join(" ")],
  ];
  if (run.url) rows.push(["databricks", run.url]);
  if (run.resumedFrom) rows.push(["resumed from", run.resumedFrom]);
  for (const [k, v] of rows) console.log(`${k.padEnd(13)} ${v}`);
  const metrics = Object.entries(run.lastMetrics).filter(([k]) => !k.includes("_class_"));
  if (metrics.length) {
    console.log("metrics");
    for (const [k, v] of metrics) console.log(`  ${k.padEnd(22)} ${v}`);
  }
  return 0;
}

async function cancel(ctx: TrainingContext, args: string[]): Promise<number> {
  if (args.length !== 1) {
    console.error("error: runs cancel <run id>");
    return 2;
  }
  const run = await cancelRun(ctx, args[0]);
  console.log(
    TERMINAL.has(run.status)
      ? `${run.id} is already ${run.status}`
      : `${run.id}: cancel requested; it stops within seconds`,
  );
  return 0;
}
