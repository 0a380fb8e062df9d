/**
 * The Deployment stage as pages, the JSON API and the CLI use it: checking what a person asks
 * for (endpoint name, versions that are READY, traffic adding to 100), showing the exact request
 * before it is sent, creating or updating in place (never delete + create), deleting with a
 * confirmation, waiting for READY, and reading an endpoint with its logs, lineage and cost.
 * Everything goes through the workspace port's `serving` and `registry`; every action is logged.
 */
import { z } from "zod";
import { BadRequestError, ConflictError, errorMessage, NotFoundError } from "@/lib/errors.ts";
import { modelNameProblems, normalizeModelName } from "@/lib/registry/names.ts";
import type { RegistryContext } from "@/lib/registry/register.ts";
import { logActivity } from "@/lib/store/activity.ts";
import { getRates } from "@/lib/store/rates.ts";
import {
  type Endpoint,
  type EndpointMetrics,
  type EndpointSpec,
  type PlannedRequest,
  type ServedEntity,
  WORKLOAD_SIZES,
  WORKLOAD_TYPES,
} from "@/lib/workspace/types.ts";
import { type CostEstimate, estimateCost } from "./cost.ts";
import {
  choiceField,
  flagField,
  issueMessages,
  numberField,
  patternField,
  textField,
} from "./messages.ts";

/** What a serving call needs: the workspace, the app's volume and the acting person. */
export type ServingContext = RegistryContext;

/** Longest endpoint name Model Serving accepts. */
export const MAX_ENDPOINT_NAME = 63;
/** Most served entities one endpoint takes here (two for an A/B split, room for a third). */
export const MAX_ENTITIES = 3;

/** Names the app's own pages use under /deployments/. */
const RESERVED_NAMES = ["batch", "new"];

/** Problems with an endpoint name, empty when it is valid (Model Serving's rules). */
export function endpointNameProblems(name: string): string[] {
  if (!name) return ["The endpoint name is empty."];
  if (name.length > MAX_ENDPOINT_NAME) {
    return [`The endpoint name is ${name.length} characters; the limit is ${MAX_ENDPOINT_NAME}.`];
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) {
    return [
      `"${
        name.slice(0, 70)
      }" may hold only letters, digits, - and _, and must start with a letter or digit.`,
    ];
  }
  if (/^databricks-/i.test(name)) {
    return ['Names starting with "databricks-" are reserved for Databricks\' own endpoints.'];
  }
  if (RESERVED_NAMES.includes(name.toLowerCase())) {
    return [
      `"${name}" is the address of another Deployment page (/deployments/${name}); pick another name.`,
    ];
  }
  return [];
}

/** A 400 about one field of the deploy input (`path` as DeployInputSchema names it). */
export function fieldError(path: string, message: string): BadRequestError {
  return new BadRequestError(message, [{ path, message }]);
}

function checkName(name: string): void {
  const np = endpointNameProblems(name);
  if (np.length) throw fieldError("name", `Endpoint name: ${np.join(" ")}`);
}

/** One version to serve and its share of the traffic. */
export const DeployEntitySchema = z.object({
  model: textField("model", { min: 1, max: 800 }),
  version: patternField("version", /^\d{1,9}$/, "a version number such as 3"),
  trafficPercent: numberField("traffic percent", 0, 100, { int: true }),
}, { error: "each served version must be an object {model, version, trafficPercent}" });

/** What a person asks for: the JSON API's body, and what the form and the CLI build. */
export const DeployInputSchema = z.object({
  name: textField("endpoint name", { max: 200 }),
  entities: z.array(DeployEntitySchema, {
    error: "entities must be a list of the versions to serve",
  }).min(1, { error: "entities is empty: give at least one version to serve" })
    .max(MAX_ENTITIES, {
      error: (i) =>
        `entities lists ${
          (i.input as unknown[]).length
        } versions; an endpoint serves at most ${MAX_ENTITIES}`,
    }),
  workloadSize: choiceField("workload size", WORKLOAD_SIZES).default("Small"),
  workloadType: choiceField("workload type", WORKLOAD_TYPES).default("CPU"),
  scaleToZero: flagField("scale to zero").default(false),
  inferenceTables: flagField("inference tables").default(false),
}, { error: "the request must be a JSON object {name, entities, ...}" });
export type DeployInput = z.infer<typeof DeployInputSchema>;

/** The planned action: the spec, whether it creates or updates, and the exact request. */
export interface DeployPlan {
  spec: EndpointSpec;
  mode: "create" | "update";
  request: PlannedRequest;
  /** The endpoint as it is now (updates). */
  current: Endpoint | null;
  /** Human lines: what changes compared with now. */
  changes: string[];
  /** A digest of the request, so "send" can refuse when it differs from what was reviewed. */
  digest: string;
}

/** The name Model Serving's served entity gets: `<model>-<version>`, safe characters only. */
export function entityName(model: string, version: string): string {
  const short = model.split(".").at(-1) ?? model;
  return `${short}-${version}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, MAX_ENDPOINT_NAME);
}

/**
 * Checks `input` against the rules and the registry and builds the spec. Served-entity names of
 * versions the endpoint already serves are kept, so an update changes traffic, not identities.
 */
export async function buildSpec(
  ctx: ServingContext,
  input: DeployInput,
  current: Endpoint | null,
): Promise<EndpointSpec> {
  const name = input.name.trim();
  checkName(name);
  const total = input.entities.reduce((a, e) => a + e.trafficPercent, 0);
  if (total !== 100) {
    throw fieldError(
      "entities.0.trafficPercent",
      `The traffic split adds up to ${total}%; the served versions' shares must add up to 100%.`,
    );
  }
  const seen = new Set<string>();
  const entities: ServedEntity[] = [];
  for (const [i, e] of input.entities.entries()) {
    const model = normalizeModelName(e.model);
    const mp = modelNameProblems(model);
    if (mp.length) throw fieldError(`entities.${i}.model`, `Model: ${mp.join(" ")}`);
    const key = `${model}@${e.version}`;
    if (seen.has(key)) {
      throw fieldError(
        `entities.${i}.version`,
        `${model} version ${e.version} is listed twice; pick two versions.`,
      );
    }
    seen.add(key);
    const v = await ctx.ws.registry.getVersion(model, e.version).catch((err) => {
      if (err instanceof NotFoundError || (err as { status?: number }).status === 404) {
        throw fieldError(
          `entities.${i}.version`,
          `${model} has no version ${e.version} in the registry.`,
        );
      }
      throw err;
    });
    if (v.status !== "READY") {
      throw fieldError(
        `entities.${i}.version`,
        `${model} version ${e.version} is ${v.status}; only READY versions can be served` +
          (v.statusMessage ? ` (${v.statusMessage})` : "."),
      );
    }
    const existing = current?.entities.find((c) => c.model === model && c.version === e.version);
    entities.push({
      model,
      version: e.version,
      name: existing?.name ?? entityName(model, e.version),
      workloadSize: input.workloadSize,
      workloadType: input.workloadType,
      scaleToZero: input.scaleToZero,
      trafficPercent: e.trafficPercent,
    });
  }
  const names = new Set(entities.map((e) => e.name));
  if (names.size !== entities.length) {
    throw fieldError(
      "entities.1.version",
      "Two served versions would get the same name; pick other versions.",
    );
  }
  return { name, entities, inferenceTables: input.inferenceTables, createdBy: ctx.user };
}

/** The endpoint, or null when there is none by that name. */
export async function findEndpoint(ctx: ServingContext, name: string): Promise<Endpoint | null> {
  try {
    return await ctx.ws.serving.get(name);
  } catch (e) {
    if (e instanceof NotFoundError || (e as { status?: number }).status === 404) return null;
    throw e;
  }
}

/** What deploying `input` would do, with the exact request (`serving.plan`), sending nothing. */
export async function planDeploy(ctx: ServingContext, input: DeployInput): Promise<DeployPlan> {
  checkName(input.name.trim());
  const current = await findEndpoint(ctx, input.name.trim());
  const spec = await buildSpec(ctx, input, current);
  const request = await ctx.ws.serving.plan(spec);
  return {
    spec,
    mode: current ? "update" : "create",
    request,
    current,
    changes: describeChanges(current, spec),
    digest: await digestOf(request),
  };
}

/**
 * Creates the endpoint, or updates it in place when it exists; logged. With `digest` (from the
 * review step) a request that changed since it was reviewed is refused with a 409.
 */
export async function deploy(
  ctx: ServingContext,
  input: DeployInput,
  opts: { digest?: string } = {},
): Promise<{ endpoint: Endpoint; mode: "create" | "update"; plan: DeployPlan }> {
  const plan = await planDeploy(ctx, input);
  if (opts.digest && opts.digest !== plan.digest) {
    throw new ConflictError(
      "The request changed since you reviewed it (the endpoint or the registry changed meanwhile). Review it again.",
    );
  }
  let mode = plan.mode;
  let endpoint: Endpoint;
  if (mode === "update") endpoint = await ctx.ws.serving.update(plan.spec);
  else {
    try {
      endpoint = await ctx.ws.serving.create(plan.spec);
    } catch (e) {
      // Created by someone else between the plan and now: change it in place instead.
      if (!(e instanceof ConflictError)) throw e;
      mode = "update";
      endpoint = await ctx.ws.serving.update(plan.spec);
    }
  }
  await logActivity({
    who: ctx.user,
    what: mode === "create" ? "created endpoint" : "updated endpoint",
    subject: `endpoint:${plan.spec.name}`,
    details: {
      entities: plan.spec.entities.map((e) => `${e.model} v${e.version} ${e.trafficPercent}%`)
        .join(", "),
      workloadSize: input.workloadSize,
      workloadType: input.workloadType,
      scaleToZero: input.scaleToZero,
      inferenceTables: input.inferenceTables,
      ...(plan.changes.length && mode === "update" ? { changes: plan.changes.join("; ") } : {}),
    },
  });
  return { endpoint, mode, plan };
}

/** Deletes an endpoint; `confirm` must repeat its name exactly. Logged. */
export async function deleteEndpoint(
  ctx: ServingContext,
  name: string,
  confirm: string,
): Promise<void> {
  if (confirm.trim() !== name) {
    throw new BadRequestError(
      `Type the endpoint's name, ${name}, to confirm; "${confirm.slice(0, 70)}" does not match.`,
    );
  }
  const e = await ctx.ws.serving.get(name);
  await ctx.ws.serving.delete(name);
  await logActivity({
    who: ctx.user,
    what: "deleted endpoint",
    subject: `endpoint:${name}`,
    details: { entities: e.entities.map((s) => `${s.model} v${s.version}`).join(", ") },
  });
}

/** Endpoints, by name; `costs` beside each. */
export async function listEndpoints(
  ctx: ServingContext,
): Promise<{ endpoint: Endpoint; cost: CostEstimate }[]> {
  const [eps, rates] = await Promise.all([ctx.ws.serving.list(), getRates()]);
  const now = Date.now();
  return eps.sort((a, b) => a.name.localeCompare(b.name))
    .map((endpoint) => ({ endpoint, cost: estimateCost(endpoint, rates, now) }));
}

/** An endpoint's logs per served entity (`null`: the workspace keeps none; a string error). */
export interface EntityLogs {
  entity: string;
  build: string | null;
  server: string | null;
  error?: string;
}

/** Everything the endpoint page shows. */
export interface EndpointDetail {
  endpoint: Endpoint;
  cost: CostEstimate;
  logs: EntityLogs[];
  metrics: EndpointMetrics | { unavailable: string };
  /** Per served entity: the version's run, when the registry knows it. */
  lineage: { model: string; version: string; runId?: string; status?: string }[];
}

/** One endpoint with its logs, metrics, lineage and cost; a logs or metrics outage is shown, not thrown. */
export async function endpointDetail(ctx: ServingContext, name: string): Promise<EndpointDetail> {
  const endpoint = await ctx.ws.serving.get(name);
  const [rates, metrics, logs, lineage] = await Promise.all([
    getRates(),
    ctx.ws.serving.metrics(name).catch((e) => ({
      unavailable: `The workspace did not answer for metrics: ${errorMessage(e)}`,
    })),
    Promise.all(endpoint.entities.map((s) => entityLogs(ctx, name, s))),
    Promise.all(endpoint.entities.map(async (s) => {
      const v = await ctx.ws.registry.getVersion(s.model, s.version).catch(() => null);
      return {
        model: s.model,
        version: s.version,
        runId: v?.tags["lakevision.run_id"] ?? v?.runId,
        status: v?.status,
      };
    })),
  ]);
  return { endpoint, cost: estimateCost(endpoint, rates), logs, metrics, lineage };
}

async function entityLogs(ctx: ServingContext, name: string, s: ServedEntity): Promise<EntityLogs> {
  const entity = s.name ?? entityName(s.model, s.version);
  try {
    const [build, server] = await Promise.all([
      ctx.ws.serving.logs(name, entity, "build"),
      ctx.ws.serving.logs(name, entity, "server"),
    ]);
    return { entity, build: tail(build), server: tail(server) };
  } catch (e) {
    return { entity, build: null, server: null, error: errorMessage(e) };
  }
}

/** The last 64 KB of a log: enough to see why, without an endless page. */
function tail(s: string | null): string | null {
  return s === null || s.length <= 65_536 ? s : `…\n${s.slice(-65_536)}`;
}

/** True when the endpoint has settled: serving its config, or failed. */
export function settled(e: Endpoint): boolean {
  if (e.state === "FAILED" || e.configUpdate === "UPDATE_FAILED") return true;
  return e.state === "READY" && e.configUpdate !== "IN_PROGRESS";
}

/** Polls until the endpoint settles (READY or failed); a timeout is a 504-style error. */
export async function waitForEndpoint(
  ctx: ServingContext,
  name: string,
  opts: { timeoutMs?: number; intervalMs?: number; onUpdate?: (e: Endpoint) => void } = {},
): Promise<Endpoint> {
  const until = Date.now() + (opts.timeoutMs ?? 20 * 60_000);
  let last = "";
  while (true) {
    const e = await ctx.ws.serving.get(name);
    const line = `${e.state}/${e.configUpdate ?? ""}/${e.message ?? ""}`;
    if (line !== last) opts.onUpdate?.(e);
    last = line;
    if (settled(e)) return e;
    if (Date.now() > until) {
      throw new ConflictError(
        `${name} is still ${e.state}${e.configUpdate ? ` (${e.configUpdate})` : ""} after ${
          Math.round((opts.timeoutMs ?? 1_200_000) / 1000)
        } s.`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 2000));
  }
}

/** What changes between the endpoint now and `spec`, as short lines ("v2: new, 50%"). */
export function describeChanges(current: Endpoint | null, spec: EndpointSpec): string[] {
  if (!current) return spec.entities.map((e) => `${e.model} v${e.version}: ${e.trafficPercent}%`);
  const out: string[] = [];
  for (const e of spec.entities) {
    const c = current.entities.find((x) => x.model === e.model && x.version === e.version);
    if (!c) out.push(`${e.model} v${e.version}: added with ${e.trafficPercent}% of the traffic`);
    else {
      if ((c.trafficPercent ?? 100) !== e.trafficPercent) {
        out.push(
          `${e.model} v${e.version}: traffic ${c.trafficPercent ?? 100}% → ${e.trafficPercent}%`,
        );
      }
      if (c.workloadSize !== e.workloadSize || c.workloadType !== e.workloadType) {
        out.push(
          `${e.model} v${e.version}: ${c.workloadType ?? "?"} ${
            c.workloadSize ?? "?"
          } → ${e.workloadType} ${e.workloadSize}`,
        );
      }
      if (!!c.scaleToZero !== !!e.scaleToZero) {
        out.push(`${e.model} v${e.version}: scale to zero ${e.scaleToZero ? "on" : "off"}`);
      }
    }
  }
  for (const c of current.entities) {
    if (!spec.entities.some((e) => e.model === c.model && e.version === c.version)) {
      out.push(`${c.model} v${c.version}: removed`);
    }
  }
  if (!!current.inferenceTables !== !!spec.inferenceTables) {
    out.push(`inference tables ${spec.inferenceTables ? "on" : "off"}`);
  }
  return out.length ? out : ["nothing changes"];
}

async function digestOf(request: PlannedRequest): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(request));
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...h.slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A zod error as one sentence: each problem says its field and what was given. */
export function zodMessage(err: z.ZodError): string {
  const all = issueMessages(err);
  return `The request is not valid: ${all.slice(0, 5).join("; ")}${
    all.length > 5 ? ` (and ${all.length - 5} more)` : ""
  }.`;
}
