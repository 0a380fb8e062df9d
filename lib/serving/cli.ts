/**
 * `deno task cli endpoints ...`: create (or update in place), list, show, delete and invoke
 * serving endpoints. Automated checks call these names and flags; keep them.
 */
import { cliFailure } from "@/lib/cli_failure.ts";
import { parseArgs } from "node:util";
import { loadSettings } from "@/fresh.config.ts";
import { errorMessage } from "@/lib/errors.ts";
import { registryContext } from "@/lib/registry/service.ts";
import { openKv } from "@/lib/store/kv.ts";
import { createWorkspace } from "@/lib/workspace/mod.ts";
import {
  type Endpoint,
  type InvocationInfo,
  WORKLOAD_SIZES,
  WORKLOAD_TYPES,
} from "@/lib/workspace/types.ts";
import { formatHours, formatMoney } from "./cost.ts";
import {
  deleteEndpoint,
  deploy,
  DeployInputSchema,
  endpointDetail,
  listEndpoints,
  type ServingContext,
  settled,
  waitForEndpoint,
  zodMessage,
} from "./service.ts";
import { invocationBody } from "./smoke.ts";

const USAGE = `Usage:
  endpoints create --name <n> --model <catalog.schema.model> --version <N>
                   [--size ${WORKLOAD_SIZES.join("|")}] [--workload-type ${
  WORKLOAD_TYPES.join("|")
}]
                   [--scale-to-zero] [--inference-tables] [--wait] [--json]
      Creates the endpoint, or changes an existing one in place to serve this version.
      --wait polls until READY or failed (progress on stderr with --json).
  endpoints list [--json]
  endpoints show <n> [--json]
  endpoints delete <n> [--json]
  endpoints invoke <n> --image <file> [--json]
      Sends the image as the serving contract's dataframe_split (base64) and prints the answer.`;

/** Entry point used by lib/cli.ts. */
export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  if (!cmd || cmd === "--help" || cmd === "-h" || rest.includes("--help")) {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    console.error(`Unknown endpoints command "${cmd}".\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(await open(), rest);
  } catch (e) {
    return cliFailure(e, USAGE);
  }
}

const COMMANDS: Record<string, (ctx: ServingContext, args: string[]) => Promise<number>> = {
  create,
  list,
  show,
  delete: remove,
  invoke,
};

async function open(): Promise<ServingContext> {
  const settings = loadSettings();
  await Deno.mkdir(settings.dataDir, { recursive: true });
  await openKv(`${settings.dataDir}/kv.sqlite3`);
  const workspace = await createWorkspace(settings);
  return registryContext({ workspace, settings, user: { name: Deno.env.get("USER") ?? "cli" } });
}

/** An endpoint as the CLI prints it with --json (snake_case like the REST API). */
export function endpointJson(e: Endpoint) {
  return {
    name: e.name,
    state: e.state,
    config_update: e.configUpdate ?? null,
    message: e.message ?? null,
    url: e.url ?? null,
    creator: e.creator ?? null,
    created_at: e.createdAt ?? null,
    updated_at: e.updatedAt ?? null,
    inference_tables: !!e.inferenceTables,
    entities: e.entities.map((s) => ({
      name: s.name ?? null,
      model: s.model,
      version: s.version,
      state: s.state ?? null,
      workload_size: s.workloadSize ?? null,
      workload_type: s.workloadType ?? null,
      scale_to_zero: !!s.scaleToZero,
      traffic_percent: s.trafficPercent ?? null,
    })),
    ...(e.runtime ? { runtime: e.runtime } : {}),
  };
}

function line(e: Endpoint): string {
  const ents = e.entities.map((s) =>
    `${s.model} v${s.version} ${s.trafficPercent ?? 100}% ${s.workloadType ?? ""} ${
      s.workloadSize ?? ""
    }`.trim()
  ).join(", ");
  const upd = e.configUpdate && e.configUpdate !== "NOT_UPDATING" ? ` (${e.configUpdate})` : "";
  return `${e.name}  ${e.state}${upd}  ${ents}${e.message ? `  ${e.message}` : ""}`;
}

function failed(e: Endpoint): boolean {
  return e.state === "FAILED" || e.configUpdate === "UPDATE_FAILED";
}

async function create(ctx: ServingContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: "string" },
      model: { type: "string" },
      version: { type: "string" },
      size: { type: "string", default: "Small" },
      "workload-type": { type: "string", default: "CPU" },
      "scale-to-zero": { type: "boolean", default: false },
      "inference-tables": { type: "boolean", default: false },
      wait: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  if (!values.name || !values.model || !values.version) {
    console.error(`error: --name, --model and --version are required.\n\n${USAGE}`);
    return 2;
  }
  const parsed = DeployInputSchema.safeParse({
    name: values.name,
    entities: [{ model: values.model, version: values.version, trafficPercent: 100 }],
    workloadSize: values.size,
    workloadType: values["workload-type"],
    scaleToZero: values["scale-to-zero"],
    inferenceTables: values["inference-tables"],
  });
  if (!parsed.success) {
    console.error(`error: ${zodMessage(parsed.error)}\n\n${USAGE}`);
    return 2;
  }
  const { endpoint, mode } = await deploy(ctx, parsed.data);
  const log = values.json ? console.error : console.log;
  log(`${mode === "create" ? "Created" : "Updated"} ${endpoint.name}: ${endpoint.state}`);
  let e = endpoint;
  if (values.wait && !settled(e)) {
    e = await waitForEndpoint(ctx, endpoint.name, {
      onUpdate: (x) => log(`[waiting] ${line(x)}`),
    });
  }
  if (values.json) console.log(JSON.stringify({ ...endpointJson(e), mode }));
  else console.log(line(e));
  return failed(e) ? 1 : 0;
}

async function list(ctx: ServingContext, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: "boolean", default: false } } });
  const rows = await listEndpoints(ctx);
  if (values.json) console.log(JSON.stringify(rows.map((r) => endpointJson(r.endpoint))));
  else if (!rows.length) console.log("No serving endpoints.");
  else for (const r of rows) console.log(line(r.endpoint));
  return 0;
}

function onePositional(args: string[], extra = {}) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean", default: false }, ...extra },
  });
  return { values: values as Record<string, string | boolean | undefined>, positionals };
}

async function show(ctx: ServingContext, args: string[]): Promise<number> {
  const { values, positionals } = onePositional(args);
  if (positionals.length !== 1) {
    console.error(`error: give one endpoint name.\n\n${USAGE}`);
    return 2;
  }
  const d = await endpointDetail(ctx, positionals[0]);
  if (values.json) {
    console.log(JSON.stringify({
      ...endpointJson(d.endpoint),
      cost_estimate: d.cost,
      lineage: d.lineage,
      metrics: d.metrics,
    }));
    return 0;
  }
  console.log(line(d.endpoint));
  if (d.endpoint.url) {
    console.log(`  url      ${d.endpoint.url}`);
    const note = urlNote(d.endpoint.url);
    if (note) console.log(`           ${note}`);
  }
  if (d.endpoint.creator) console.log(`  creator  ${d.endpoint.creator}`);
  const c = d.cost;
  console.log(
    c.kind === "cpu"
      ? `  cost     local: ${formatHours(c.cpuHours ?? 0)} CPU (estimate), no money`
      : `  cost     ${formatMoney(c.total, c.currency)} so far over ${formatHours(c.hoursUp)}, ${
        formatMoney(c.perMonth, c.currency)
      }/month if always on (estimates${c.upperBound ? ", upper bound" : ""})`,
  );
  return 0;
}

/**
 * What `show` says under an endpoint's URL. An endpoint this app serves has a URL made from the
 * address this process was given (`PORT`, or `DATABRICKS_APP_PORT`, and `LAKEVISION_HOST`, as
 * fresh.config.ts reads them): the app's own when the CLI runs with the app's environment.
 * When none is set it is the default address, and the note says so; other URLs (Model
 * Serving's) need no note.
 */
export function urlNote(
  url: string,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const settings = loadSettings(env);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  const local = ["127.0.0.1", "localhost", "[::1]", settings.hostname].includes(u.hostname);
  if (!local || port !== String(settings.port)) return null;
  const from = env.DATABRICKS_APP_PORT !== undefined
    ? `DATABRICKS_APP_PORT=${env.DATABRICKS_APP_PORT}`
    : env.PORT !== undefined
    ? `PORT=${env.PORT}`
    : null;
  if (from) return `(made from ${from} here: the app's address when it runs with the same)`;
  return `(the default address: PORT is not set here, so this assumes the app listens on ` +
    `${settings.port}. If it runs with another PORT or LAKEVISION_HOST, set the same ones for ` +
    "this command to print its address.)";
}

async function remove(ctx: ServingContext, args: string[]): Promise<number> {
  const { values, positionals } = onePositional(args);
  if (positionals.length !== 1) {
    console.error(`error: give one endpoint name.\n\n${USAGE}`);
    return 2;
  }
  await deleteEndpoint(ctx, positionals[0], positionals[0]);
  if (values.json) console.log(JSON.stringify({ name: positionals[0], deleted: true }));
  else console.log(`Deleted ${positionals[0]}.`);
  return 0;
}

async function invoke(ctx: ServingContext, args: string[]): Promise<number> {
  const { values, positionals } = onePositional(args, { image: { type: "string" } });
  if (positionals.length !== 1 || typeof values.image !== "string") {
    console.error(`error: endpoints invoke <n> --image <file>\n\n${USAGE}`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(values.image);
  } catch (e) {
    throw new Error(
      `--image ${values.image}: ${
        e instanceof Deno.errors.NotFound ? "no such file" : errorMessage(e)
      }`,
    );
  }
  const info: InvocationInfo = {};
  const t0 = performance.now();
  const answer = await ctx.ws.serving.invoke(positionals[0], invocationBody([bytes]), info);
  const ms = Math.round(performance.now() - t0);
  if (values.json) {
    console.log(JSON.stringify(answer));
    return 0;
  }
  console.log(
    `${positionals[0]}: ${ms} ms${info.servedEntity ? `, served by ${info.servedEntity}` : ""}${
      info.coldStart ? " (cold start)" : ""
    }`,
  );
  console.log(JSON.stringify(answer, null, 2));
  return 0;
}
