/**
 * What the Playground can run, for its routes: registered versions with files in the app's
 * volume, succeeded runs that exported model.onnx, and serving endpoints — and, for the one
 * chosen, what the browser needs before downloading (size, checksum, the parsed model.json, the
 * recommended threshold), and whether a key names a model that runs in the browser. Versions are
 * downloaded through the registry's checksum-verified route; runs through
 * routes/api/inference/runs/.
 */
import { NotFoundError, UnprocessableError } from "@/lib/errors.ts";
import { getRecommendedThreshold } from "@/lib/evaluation/threshold.ts";
import { listModels, modelDetail, readVersionMetrics } from "@/lib/registry/browse.ts";
import { readManifest, readVerified, versionDir } from "@/lib/registry/files.ts";
import type { RegistryContext } from "@/lib/registry/register.ts";
import { labelNames, type ModelJson, parseModelJson } from "@/lib/inference/model_json.ts";
import { getRun, listRuns } from "@/lib/training/records.ts";

/** One model the picker offers. */
export interface ModelChoice {
  /** `version:<name>:<n>`, `run:<id>` or `endpoint:<name>`. */
  key: string;
  kind: "version" | "run" | "endpoint";
  label: string;
  name?: string;
  version?: string;
  runId?: string;
  endpoint?: string;
  task?: string;
  /** model.onnx bytes, when known without reading it. */
  bytes?: number;
  aliases?: string[];
  /** Endpoint state (READY, NOT_READY, ...). */
  state?: string;
}

/** Everything the browser needs about a chosen model before it downloads or calls it. */
export interface ModelInfo {
  choice: ModelChoice;
  /** Browser sources: where model.onnx is, its size, checksum and cache key. */
  onnxUrl?: string;
  bytes?: number;
  sha256?: string;
  cacheKey?: string;
  /** model.json, validated, defaults filled in (browser sources). */
  meta?: ModelJson;
  task?: string;
  labels?: string[];
  /** The evaluation's recommended confidence threshold, and where it comes from. */
  threshold: { value: number; source: string } | null;
  defaults: { confidence_threshold: number; max_detections: number; top_k: number };
  /** Endpoints: the versions they serve. */
  serves?: { model: string; version: string; trafficPercent?: number }[];
}

/** Upper bound on models read for the picker (each costs a registry call). */
const MAX_MODELS = 50;

/** The choices, newest versions first per model; problems reading one source are listed. */
export async function listChoices(
  ctx: RegistryContext,
): Promise<{ choices: ModelChoice[]; problems: string[] }> {
  const problems: string[] = [];
  const note = (what: string) => (e: unknown) => {
    problems.push(`${what}: ${(e as Error).message}`);
    return [];
  };
  const versions = listModels(ctx).then(async (models) => {
    const rows = await Promise.all(
      models.slice(0, MAX_MODELS).map((m) =>
        modelDetail(ctx, m.name).then((d) => d.versions, note(`Versions of ${m.name}`))
      ),
    );
    return rows.flat().filter((v) => v.hasFiles).map((v): ModelChoice => ({
      key: `version:${v.name}:${v.version}`,
      kind: "version",
      label: `${v.name} v${v.version}${v.aliases.length ? ` @${v.aliases.join(" @")}` : ""}`,
      name: v.name,
      version: v.version,
      bytes: v.bytes,
      aliases: v.aliases,
      task: v.tags["lakevision.task"],
    }));
  }, note("Registered models"));
  const runs = listRuns({ status: "succeeded", limit: 100 }).then(
    (rs) =>
      rs.map((r): ModelChoice => ({
        key: `run:${r.id}`,
        kind: "run",
        label: `${r.name} (run ${r.id}, ${r.config.model})`,
        runId: r.id,
        task: r.config.task,
      })),
    note("Training runs"),
  );
  const endpoints = ctx.ws.serving.list().then((eps) =>
    eps.map((e): ModelChoice => ({
      key: `endpoint:${e.name}`,
      kind: "endpoint",
      label: `${e.name} (${e.state.toLowerCase().replace("_", " ")})`,
      endpoint: e.name,
      state: e.state,
    })), note("Serving endpoints"));
  const all = await Promise.all([versions, runs, endpoints]);
  return { choices: all.flat(), problems };
}

/** A choice key taken apart; NotFoundError when it has none of the three shapes. */
function parseKey(
  key: string,
):
  | { kind: "version"; name: string; version: string }
  | { kind: "run"; runId: string }
  | { kind: "endpoint"; name: string } {
  const [kind, ...rest] = key.split(":");
  if (kind === "version" && rest.length >= 2) {
    const version = rest.pop()!;
    return { kind, name: rest.join(":"), version };
  }
  if (kind === "run" && rest.length === 1 && rest[0]) return { kind, runId: rest[0] };
  if (kind === "endpoint" && rest.length >= 1 && rest.join(":")) {
    return { kind, name: rest.join(":") };
  }
  throw new NotFoundError(
    `"${key.slice(0, 200)}" names no model: use version:<name>:<n>, run:<id> or endpoint:<name>.`,
  );
}

/** What the browser needs for the choice `key`. NotFoundError when it does not exist. */
export async function modelInfo(ctx: RegistryContext, key: string): Promise<ModelInfo> {
  const k = parseKey(key);
  if (k.kind === "version") return await versionInfo(ctx, k.name, k.version);
  if (k.kind === "run") return await runInfo(ctx, k.runId);
  return await endpointInfo(ctx, k.name);
}

/**
 * The choice `key` names when the Playground runs it in the browser: a registered version with
 * model files in the app's volume, or a succeeded run that exported model.onnx — read through
 * this person's workspace, by the same checks as modelInfo. NotFoundError when there is no such
 * model here; UnprocessableError for an endpoint, which runs on the server, not in the browser.
 */
export async function browserChoice(ctx: RegistryContext, key: string): Promise<ModelChoice> {
  if (!/^(version|run|endpoint):/.test(key)) {
    throw new NotFoundError(
      `"${key.slice(0, 200)}" names no model that runs in the browser: use ` +
        "version:<name>:<n> or run:<id>.",
    );
  }
  const k = parseKey(key);
  if (k.kind === "version") return (await versionFiles(ctx, k.name, k.version)).choice;
  if (k.kind === "run") return (await runExport(ctx, k.runId)).choice;
  throw new UnprocessableError(
    `${key.slice(0, 200)} is a serving endpoint: it runs on the server, never in the browser.`,
  );
}

/** A version's model files in the app's volume, or NotFoundError saying why there are none. */
async function versionFiles(ctx: RegistryContext, name: string, version: string) {
  const v = await ctx.ws.registry.getVersion(name, version);
  const dir = versionDir(ctx.volume, v.name, v.version);
  const manifest = await readManifest(ctx.ws, dir);
  const onnx = manifest?.files["model.onnx"];
  if (!manifest || !onnx) {
    throw new NotFoundError(
      `${v.name} version ${v.version} has no model files in ${dir} (registered outside ` +
        "Lakevision?), so it cannot run in the browser; deploy it and call its endpoint.",
    );
  }
  const choice: ModelChoice = {
    key: `version:${v.name}:${v.version}`,
    kind: "version",
    label: `${v.name} v${v.version}`,
    name: v.name,
    version: v.version,
    aliases: v.aliases,
  };
  return { v, dir, manifest, onnx, choice };
}

async function versionInfo(ctx: RegistryContext, name: string, version: string) {
  const { v, dir, manifest, onnx, choice } = await versionFiles(ctx, name, version);
  const meta = parseModelJson(
    new TextDecoder().decode(await readVerified(ctx.ws, dir, "model.json", manifest)),
    `${dir}/model.json`,
  );
  const metrics = await readVersionMetrics(ctx, v.name, v.version).catch(() => null);
  const base = `/models/${encodeURIComponent(v.name)}/${encodeURIComponent(v.version)}/files`;
  const t = metrics?.threshold?.threshold;
  return withMeta({
    choice,
    onnxUrl: `${base}/model.onnx`,
    bytes: onnx.bytes,
    sha256: onnx.sha256,
    cacheKey: `sha256:${onnx.sha256}`,
    threshold: typeof t === "number"
      ? { value: t, source: "the evaluation's recommended threshold (metrics.json)" }
      : null,
  }, meta);
}

/** A succeeded run's exported model.onnx, or NotFoundError saying why there is none. */
async function runExport(ctx: RegistryContext, runId: string) {
  const run = await getRun(runId);
  if (run.status !== "succeeded") {
    throw new NotFoundError(`Run ${runId} is ${run.status}; only succeeded runs export a model.`);
  }
  const st = await ctx.ws.files.stat(`${run.runDir}/model.onnx`);
  if (!st || st.isDirectory) {
    throw new NotFoundError(`Run ${runId} has no model.onnx in ${run.runDir} (export failed?).`);
  }
  const choice: ModelChoice = {
    key: `run:${run.id}`,
    kind: "run",
    label: `${run.name} (run ${run.id})`,
    runId: run.id,
    task: run.config.task,
  };
  return { run, st, choice };
}

async function runInfo(ctx: RegistryContext, runId: string) {
  const { run, st, choice } = await runExport(ctx, runId);
  const meta = parseModelJson(
    await ctx.ws.files.readText(`${run.runDir}/model.json`),
    `${run.runDir}/model.json`,
  );
  const rec = await getRecommendedThreshold(runId).catch(() => null);
  return withMeta({
    choice,
    onnxUrl: `/api/inference/runs/${encodeURIComponent(run.id)}/model.onnx`,
    bytes: st.size,
    // A run folder has no manifest: its cache entry is keyed by size and modification time.
    cacheKey: `run:${run.id}:${st.size}:${st.modifiedAt ?? 0}`,
    threshold: rec
      ? { value: rec.threshold, source: "the run's evaluation (F1-optimal threshold)" }
      : null,
  }, meta);
}

async function endpointInfo(ctx: RegistryContext, name: string): Promise<ModelInfo> {
  const e = await ctx.ws.serving.get(name);
  const first = e.entities[0];
  const metrics = first
    ? await readVersionMetrics(ctx, first.model, first.version).catch(() => null)
    : null;
  const t = metrics?.threshold?.threshold;
  return {
    choice: {
      key: `endpoint:${e.name}`,
      kind: "endpoint",
      label: `${e.name} (endpoint)`,
      endpoint: e.name,
      state: e.state,
    },
    serves: e.entities.map((s) => ({
      model: s.model,
      version: s.version,
      trafficPercent: s.trafficPercent,
    })),
    task: metrics?.task,
    threshold: typeof t === "number"
      ? { value: t, source: `${first.model} v${first.version}'s recommended threshold` }
      : null,
    defaults: { confidence_threshold: 0.5, max_detections: 100, top_k: 5 },
  };
}

function withMeta(
  info: Omit<ModelInfo, "meta" | "task" | "labels" | "defaults">,
  meta: ModelJson,
): ModelInfo {
  const d = meta.defaults ?? {};
  return {
    ...info,
    meta,
    task: meta.task,
    labels: labelNames(meta),
    defaults: {
      confidence_threshold: d.confidence_threshold ?? 0.5,
      max_detections: d.max_detections ?? 100,
      top_k: d.top_k ?? 5,
    },
  };
}
