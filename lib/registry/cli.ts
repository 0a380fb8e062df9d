/**
 * `deno task cli models ...`: register a run, import an ONNX model, list and show models, move
 * aliases. Automated checks call these names and flags; keep them.
 */
import { cliFailure } from "@/lib/cli_failure.ts";
import { parseArgs } from "node:util";
import { loadSettings } from "@/fresh.config.ts";
import { errorMessage } from "@/lib/errors.ts";
import { openKv } from "@/lib/store/kv.ts";
import { createWorkspace } from "@/lib/workspace/mod.ts";
import { deleteAlias, moveAlias } from "./aliases.ts";
import { listModels, modelDetail, versionDetail } from "./browse.ts";
import {
  importModel,
  parseTags,
  registerRun,
  type RegistrationRecord,
  type RegistryContext,
  waitRegistration,
} from "./register.ts";
import { registryContext } from "./service.ts";

const USAGE = `Usage:
  models register --run <run id> --name <catalog.schema.model> [--alias A ...]
                  [--description TEXT] [--tag k=v ...] [--wait] [--json]
      Registers a finished run's model.onnx + model.json as a new version; prints
      {name, version, status, aliases} with --json. --wait follows a Databricks job to READY.
  models import --onnx <file> --model-json <file> --name <catalog.schema.model>
                [--alias A ...] [--description TEXT] [--tag k=v ...] [--json]
  models list [--json]
  models show <name> [--version N] [--json]
  models alias <name> <alias> <version>
  models alias <name> <alias> --delete`;

/** Entry point used by lib/cli.ts. */
export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  if (!cmd || cmd === "--help" || cmd === "-h" || rest.includes("--help")) {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  try {
    const ctx = await open();
    switch (cmd) {
      case "register":
        return await register(ctx, rest);
      case "import":
        return await importCmd(ctx, rest);
      case "list":
        return await list(ctx, rest);
      case "show":
        return await show(ctx, rest);
      case "alias":
        return await alias(ctx, rest);
      default:
        console.error(`Unknown models command "${cmd}".\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    return cliFailure(e, USAGE);
  }
}

async function open(): Promise<RegistryContext> {
  const settings = loadSettings();
  await Deno.mkdir(settings.dataDir, { recursive: true });
  await openKv(`${settings.dataDir}/kv.sqlite3`);
  const workspace = await createWorkspace(settings);
  return registryContext({ workspace, settings, user: { name: Deno.env.get("USER") ?? "cli" } });
}

const VERSION_OPTIONS = {
  name: { type: "string" },
  alias: { type: "string", multiple: true },
  description: { type: "string" },
  tag: { type: "string", multiple: true },
  json: { type: "boolean", default: false },
} as const;

function summary(rec: RegistrationRecord) {
  const r = rec.registration;
  return {
    name: r.request.name,
    version: r.version ?? null,
    status: r.state === "succeeded" ? "READY" : r.state === "failed" ? "FAILED" : "PENDING",
    aliases: r.request.aliases,
    registration: rec.id,
    ...(r.message ? { message: r.message } : {}),
    ...(r.url ? { job_url: r.url } : {}),
  };
}

function report(rec: RegistrationRecord, json: boolean): number {
  const s = summary(rec);
  if (json) console.log(JSON.stringify(s));
  else {
    console.log(
      `${s.name}${s.version ? ` version ${s.version}` : ""}  ${s.status}` +
        (s.aliases.length ? `  @${s.aliases.join(" @")}` : "") +
        (s.message ? `  ${s.message}` : ""),
    );
  }
  return s.status === "FAILED" ? 1 : 0;
}

async function register(ctx: RegistryContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...VERSION_OPTIONS, run: { type: "string" }, wait: { type: "boolean" } },
  });
  if (!values.run || !values.name) {
    console.error(`error: --run and --name are required.\n\n${USAGE}`);
    return 2;
  }
  let rec = await registerRun(ctx, values.run, {
    name: values.name,
    aliases: values.alias ?? [],
    description: values.description,
    tags: parseTags(values.tag ?? []),
  });
  if (values.wait && rec.registration.state === "running") {
    const log = values.json ? console.error : console.log;
    rec = await waitRegistration(ctx, rec.id, {
      onUpdate: (r) => log(`[waiting] ${r.registration.message ?? "registering"}`),
    });
  }
  return report(rec, values.json);
}

async function importCmd(ctx: RegistryContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...VERSION_OPTIONS, onnx: { type: "string" }, "model-json": { type: "string" } },
  });
  if (!values.onnx || !values["model-json"] || !values.name) {
    console.error(`error: --onnx, --model-json and --name are required.\n\n${USAGE}`);
    return 2;
  }
  const onnx = await readLocal(values.onnx, "--onnx");
  const json = new TextDecoder().decode(await readLocal(values["model-json"], "--model-json"));
  const rec = await importModel(ctx, onnx, json, {
    name: values.name,
    aliases: values.alias ?? [],
    description: values.description,
    tags: parseTags(values.tag ?? []),
  });
  return report(rec, values.json);
}

async function readLocal(path: string, flag: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new Error(
      `${flag} ${path}: ${e instanceof Deno.errors.NotFound ? "no such file" : errorMessage(e)}`,
    );
  }
}

async function list(ctx: RegistryContext, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: "boolean", default: false } } });
  const models = await listModels(ctx);
  if (values.json) console.log(JSON.stringify(models));
  else if (!models.length) console.log("No registered models.");
  else {
    for (const m of models) {
      const al = m.aliases.map((a) => `@${a.alias}=v${a.version}`).join(" ");
      console.log(`${m.name}${al ? `  ${al}` : ""}`);
    }
  }
  return 0;
}

async function show(ctx: RegistryContext, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { version: { type: "string" }, json: { type: "boolean", default: false } },
  });
  if (positionals.length !== 1) {
    console.error(`error: give one model name.\n\n${USAGE}`);
    return 2;
  }
  if (values.version) {
    const d = await versionDetail(ctx, positionals[0], values.version);
    if (values.json) {
      console.log(JSON.stringify({
        ...d.version,
        card: d.card,
        metrics: d.metrics,
        lineage: d.lineage,
        files: d.files,
      }));
    } else {
      const v = d.version;
      console.log(
        `${v.name} version ${v.version}  ${v.status}  ${v.aliases.map((a) => `@${a}`).join(" ")}`,
      );
      for (const h of d.metrics?.headline ?? []) {
        console.log(`  ${h.label.padEnd(28)} ${h.value === null ? "—" : h.value.toFixed(4)}`);
      }
      if (d.lineage.runId) console.log(`  run ${d.lineage.runId}`);
    }
    return 0;
  }
  const d = await modelDetail(ctx, positionals[0]);
  if (values.json) console.log(JSON.stringify(d));
  else {
    console.log(d.model.name);
    for (const v of d.versions) {
      console.log(
        `  v${v.version.padEnd(4)} ${v.status.padEnd(22)} ${
          v.aliases.map((a) => `@${a}`).join(" ")
        }`,
      );
    }
  }
  return 0;
}

async function alias(ctx: RegistryContext, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { delete: { type: "boolean", default: false } },
  });
  const [name, a, version] = positionals;
  if (!name || !a || (values.delete ? version : !version)) {
    console.error(`error: models alias <name> <alias> <version> | --delete\n\n${USAGE}`);
    return 2;
  }
  if (values.delete) {
    await deleteAlias(ctx, name, a);
    console.log(`Removed @${a} from ${name}.`);
    return 0;
  }
  const p = await moveAlias(ctx, name, a, version);
  const m = p.metric;
  console.log(
    `@${p.alias} of ${p.name}: ${p.from ? `v${p.from}` : "none"} → v${p.to}` +
      (m && m.delta !== null
        ? `  (${m.name} ${m.delta >= 0 ? "+" : ""}${m.delta.toFixed(4)})`
        : ""),
  );
  return 0;
}
