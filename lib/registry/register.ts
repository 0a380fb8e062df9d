/**
 * Registering a model version: from a finished run's `model.onnx` + `model.json`, or from an
 * imported ONNX file and its model.json. Everything is checked before the workspace is touched
 * (name rules, aliases, the model.json schema, the ONNX graph against its decoding); the
 * workspace adapter then registers (local: at once; Databricks: a short `jobs/register.py` job)
 * and `followRegistration` moves the stored record along until the version is READY or failed.
 *
 * Key: ["registry","registration",id] → RegistrationRecord.
 */
import { BadRequestError, HttpError, NotFoundError } from "@/lib/errors.ts";
import { formatBytes } from "@/lib/format.ts";
import { checkModelFits } from "@/lib/inference/check_model.ts";
import { labelNames, type ModelJson, parseModelJson } from "@/lib/inference/model_json.ts";
import { readOnnxGraph } from "@/lib/inference/onnx_graph.ts";
import { logActivity } from "@/lib/store/activity.ts";
import { getKv } from "@/lib/store/kv.ts";
import type { Registration, Workspace } from "@/lib/workspace/types.ts";
import { modelsDir } from "./files.ts";
import { aliasProblems, modelNameProblems, normalizeModelName } from "./names.ts";
import { launchTags } from "./launch_settings.ts";
import { type RunFacts, runFacts } from "./run_facts.ts";
import { buildCard, type CardInput } from "./card.ts";

/** What a registry call needs: the workspace, the app's volume and the acting person. */
export interface RegistryContext {
  ws: Workspace;
  volume: string;
  user: string;
}

/** The options a person gives for a new version. */
export interface VersionOptions {
  name: string;
  aliases?: string[];
  description?: string;
  tags?: Record<string, string>;
}

/** A registration as the app keeps it. */
export interface RegistrationRecord {
  id: string;
  /** `run` or `import`. */
  kind: "run" | "import";
  runId?: string;
  registration: Registration;
  createdBy: string;
  updatedAt: number;
}

const key = (id: string) => ["registry", "registration", id];

/** Longest tag key and value Unity Catalog and MLflow accept. */
const MAX_TAG_KEY = 250;
const MAX_TAG_VALUE = 5000;
/** Largest ONNX model accepted for import through the app (bigger ones: copy to the volume). */
export const MAX_IMPORT_BYTES = 500_000_000;

/** Checks the name, aliases and tags; returns them normalised. */
export function checkVersionOptions(o: VersionOptions): Required<VersionOptions> {
  const name = normalizeModelName(o.name ?? "");
  const problems = modelNameProblems(name);
  if (problems.length) throw new BadRequestError(`Model name: ${problems.join(" ")}`);
  const aliases = [...new Set((o.aliases ?? []).map((a) => a.trim()).filter(Boolean))];
  for (const a of aliases) {
    const p = aliasProblems(a);
    if (p.length) throw new BadRequestError(`Alias: ${p.join(" ")}`);
  }
  const tags = o.tags ?? {};
  for (const [k, v] of Object.entries(tags)) {
    if (!k || k.length > MAX_TAG_KEY) {
      throw new BadRequestError(`Tag key "${k.slice(0, 40)}" must be 1–${MAX_TAG_KEY} characters.`);
    }
    if (v.length > MAX_TAG_VALUE) {
      throw new BadRequestError(`Tag ${k}'s value is over ${MAX_TAG_VALUE} characters.`);
    }
  }
  const description = (o.description ?? "").trim();
  if (description.length > 20_000) {
    throw new BadRequestError("The description is over 20,000 characters.");
  }
  return { name, aliases, description, tags };
}

/**
 * Checks a model.onnx + model.json pair: the schema, the ONNX file itself, and that the graph's
 * inputs and outputs fit what model.json says to feed and decode. Returns the parsed model.json.
 */
export function checkModelPair(onnx: Uint8Array, modelJson: string, where: string): ModelJson {
  const meta = parseModelJson(modelJson, `${where}/model.json`);
  const graph = readOnnxGraph(onnx, `${where}/model.onnx`);
  checkModelFits(graph, meta);
  return meta;
}

/** "tag=value" lines (or an object) to a tag map. */
export function parseTags(lines: string | string[]): Record<string, string> {
  const list = Array.isArray(lines) ? lines : lines.split(/\r?\n/);
  const out: Record<string, string> = {};
  for (const raw of list) {
    const line = raw.trim();
    if (!line) continue;
    const i = line.indexOf("=");
    if (i <= 0) throw new BadRequestError(`Tag "${line.slice(0, 40)}" is not key=value.`);
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Registers a finished run's model. */
export async function registerRun(
  ctx: RegistryContext,
  runId: string,
  opts: VersionOptions,
): Promise<RegistrationRecord> {
  const o = checkVersionOptions(opts);
  const facts = await runFacts(ctx.ws, runId);
  const [onnx, json] = await Promise.all([
    readSource(ctx.ws, facts.runDir, "model.onnx", runId),
    readSource(ctx.ws, facts.runDir, "model.json", runId),
  ]);
  const meta = checkModelPair(onnx, new TextDecoder().decode(json), facts.runDir);
  const tags = { ...lineageTags(facts, meta), ...o.tags };
  return await start(ctx, "run", facts.runDir, o, tags, cardInputs(o.name, meta, facts), runId);
}

/** Imports an ONNX model and its model.json as a new version. */
export async function importModel(
  ctx: RegistryContext,
  onnx: Uint8Array,
  modelJson: string,
  opts: VersionOptions,
): Promise<RegistrationRecord> {
  const o = checkVersionOptions(opts);
  if (onnx.byteLength > MAX_IMPORT_BYTES) {
    throw new HttpError(
      413,
      `model.onnx is ${formatBytes(onnx.byteLength)}; imports through the app are ` +
        `limited to ${formatBytes(MAX_IMPORT_BYTES)}.`,
    );
  }
  const meta = checkModelPair(onnx, modelJson, "upload");
  const staging = `${ctx.volume.replace(/\/+$/, "")}/models/.staging/${crypto.randomUUID()}`;
  await ctx.ws.files.write(`${staging}/model.onnx`, onnx, { overwrite: true });
  await ctx.ws.files.write(`${staging}/model.json`, modelJson, { overwrite: true });
  const tags = {
    "lakevision.source": "import",
    "lakevision.task": meta.task,
    ...(meta.model_name ? { "lakevision.base_model": String(meta.model_name) } : {}),
    ...o.tags,
  };
  const card = cardInputs(o.name, meta, null);
  try {
    return await start(ctx, "import", staging, o, tags, card);
  } finally {
    // Local registration has copied the files by now; a Databricks job still reads them, and
    // `followRegistration` removes the staging folder when it ends.
    const rec = await latestFor(staging);
    if (!rec || rec.registration.state !== "running") {
      await ctx.ws.files.delete(staging, { recursive: true }).catch(() => {});
    }
  }
}

async function start(
  ctx: RegistryContext,
  kind: "run" | "import",
  sourceDir: string,
  o: Required<VersionOptions>,
  tags: Record<string, string>,
  card: CardInput,
  runId?: string,
): Promise<RegistrationRecord> {
  const metrics = JSON.stringify(card.metrics ?? {}, null, 2);
  const registration = await ctx.ws.registry.register({
    name: o.name,
    sourceDir,
    modelsDir: modelsDir(ctx.volume, o.name),
    runId,
    description: o.description || undefined,
    tags,
    aliases: o.aliases,
    extras: { "card.md": buildCard(card), "metrics.json": metrics },
    createdBy: ctx.user,
  });
  const rec: RegistrationRecord = {
    id: crypto.randomUUID(),
    kind,
    runId,
    registration,
    createdBy: ctx.user,
    updatedAt: Date.now(),
  };
  const kv = await getKv();
  await kv.set(key(rec.id), rec);
  await kv.set(["registry", "registration-by-source", sourceDir], rec.id);
  await logOutcome(rec);
  return rec;
}

async function latestFor(sourceDir: string): Promise<RegistrationRecord | null> {
  const kv = await getKv();
  const id = await kv.get<string>(["registry", "registration-by-source", sourceDir]);
  return id.value ? await getRegistration(id.value).catch(() => null) : null;
}

/** A stored registration; NotFoundError when unknown. */
export async function getRegistration(id: string): Promise<RegistrationRecord> {
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new NotFoundError(`No registration "${id}".`);
  const kv = await getKv();
  const e = await kv.get<RegistrationRecord>(key(id));
  if (!e.value) throw new NotFoundError(`No registration "${id}".`);
  return e.value;
}

/** Registrations still running, newest first (for the registry page). */
export async function runningRegistrations(): Promise<RegistrationRecord[]> {
  const kv = await getKv();
  const out: RegistrationRecord[] = [];
  for await (const e of kv.list<RegistrationRecord>({ prefix: ["registry", "registration"] })) {
    if (e.value.registration?.state === "running") out.push(e.value);
  }
  return out.sort((a, b) => b.registration.startedAt - a.registration.startedAt);
}

/** Asks the workspace for a registration's next state and stores it. */
export async function followRegistration(
  ctx: RegistryContext,
  id: string,
): Promise<RegistrationRecord> {
  const rec = await getRegistration(id);
  if (rec.registration.state !== "running") return rec;
  const next = await ctx.ws.registry.registration(rec.registration);
  const updated: RegistrationRecord = { ...rec, registration: next, updatedAt: Date.now() };
  const kv = await getKv();
  await kv.set(key(id), updated);
  if (next.state !== "running") {
    await logOutcome(updated);
    if (rec.kind === "import") {
      await ctx.ws.files.delete(rec.registration.request.sourceDir, { recursive: true })
        .catch(() => {});
    }
  }
  return updated;
}

/** Follows a registration until it ends or `timeoutMs` passes. */
export async function waitRegistration(
  ctx: RegistryContext,
  id: string,
  opts: { timeoutMs?: number; intervalMs?: number; onUpdate?: (r: RegistrationRecord) => void } =
    {},
): Promise<RegistrationRecord> {
  const until = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  let rec = await followRegistration(ctx, id);
  while (rec.registration.state === "running" && Date.now() < until) {
    opts.onUpdate?.(rec);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 5000));
    rec = await followRegistration(ctx, id);
  }
  return rec;
}

async function logOutcome(rec: RegistrationRecord): Promise<void> {
  const r = rec.registration;
  const subject = r.version ? `model:${r.request.name}@${r.version}` : `model:${r.request.name}`;
  if (r.state === "running") {
    await logActivity({
      who: rec.createdBy,
      what: "started model registration",
      subject,
      details: { registration: rec.id, runId: rec.runId, jobRunId: r.jobRunId },
    });
    return;
  }
  await logActivity({
    who: rec.createdBy,
    what: r.state === "succeeded"
      ? (rec.kind === "import" ? "imported model" : "registered model")
      : "model registration failed",
    subject,
    details: {
      registration: rec.id,
      runId: rec.runId,
      version: r.version,
      aliases: r.request.aliases,
      message: r.message,
    },
  });
}

async function readSource(ws: Workspace, dir: string, file: string, runId: string) {
  try {
    return await ws.files.readBytes(`${dir}/${file}`);
  } catch (e) {
    if (e instanceof NotFoundError || (e as { status?: number }).status === 404) {
      throw new BadRequestError(
        `Run ${runId} has no ${file} in ${dir}: the run did not finish its export. ` +
          "Runs write model.onnx and model.json when training succeeds (or run jobs/export.py).",
      );
    }
    throw e;
  }
}

function lineageTags(f: RunFacts, meta: ModelJson): Record<string, string> {
  const t: Record<string, string> = {
    "lakevision.source": "run",
    "lakevision.run_id": f.runId,
    "lakevision.run_dir": f.runDir,
    "lakevision.task": meta.task,
  };
  if (f.config) {
    t["lakevision.config"] = f.config.name;
    t["lakevision.config_version"] = String(f.config.version);
  }
  if (f.model) t["lakevision.base_model"] = f.model;
  if (f.dataset) t["lakevision.dataset"] = f.dataset;
  if (f.valDataset) t["lakevision.val_dataset"] = f.valDataset;
  if (f.mlflowRunId) t["lakevision.mlflow_run_id"] = f.mlflowRunId;
  for (const h of f.headline) {
    if (h.value !== null && h.value >= 0) t[`lakevision.metric.${h.key}`] = h.value.toFixed(4);
  }
  if (f.threshold) t["lakevision.recommended_threshold"] = f.threshold.threshold.toFixed(3);
  if (f.eda?.scanId) t["lakevision.scan_id"] = f.eda.scanId;
  return { ...t, ...launchTags(f.launch ?? {}) };
}

function cardInputs(name: string, meta: ModelJson, facts: RunFacts | null): CardInput {
  return {
    name,
    task: meta.task,
    labels: labelNames(meta),
    baseModel: facts?.model ?? (meta.model_name ? String(meta.model_name) : undefined),
    input: { width: meta.input.width, height: meta.input.height },
    facts,
    metrics: facts
      ? {
        task: meta.task,
        primary: facts.primary,
        headline: facts.headline,
        classes: facts.classes,
        classMetric: facts.classMetric,
        logged: facts.logged,
        threshold: facts.threshold ?? null,
        evaluatedAt: facts.evaluatedAt,
        evaluationNote: facts.evaluationNote,
        eda: facts.eda ?? null,
      }
      : null,
  };
}
