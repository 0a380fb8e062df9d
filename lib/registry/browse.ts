/**
 * Reading the registry for the pages and the CLI: models with their aliases, a model's versions
 * with size and source, one version with its card, frozen metrics, files and lineage (config
 * version → dataset → run → version → endpoints). What is shown comes from the workspace's
 * registry itself (Unity Catalog on Databricks), so models registered outside the app show too.
 */
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import { logActivity } from "@/lib/store/activity.ts";
import type { ModelVersion, RegisteredModelInfo } from "@/lib/workspace/types.ts";
import {
  type Manifest,
  modelBytes,
  readManifest,
  readVerified,
  VERSION_FILES,
  versionDir,
} from "./files.ts";
import { normalizeModelName } from "./names.ts";
import type { RegistryContext } from "./register.ts";
import type { ClassMetric } from "./run_facts.ts";
import type { Headline } from "@/lib/evaluation/types.ts";
import { DEFINITIONS } from "@/lib/evaluation/headline.ts";

/** metrics.json of a version, as written at registration. */
export interface VersionMetrics {
  task?: string;
  primary?: { name: string; value: number | null };
  headline?: Headline[];
  classMetric?: string;
  classes?: ClassMetric[];
  logged?: Record<string, number>;
  threshold?: { threshold: number; f1: number; precision: number; recall: number } | null;
  evaluatedAt?: number;
  evaluationNote?: string;
}

/** A model version with what the app keeps beside it. */
export interface VersionRow extends ModelVersion {
  /** Bytes of model.onnx, when its files are in the app's volume. */
  bytes?: number;
  /** The version's folder in the app's volume. */
  dir: string;
  hasFiles: boolean;
}

/**
 * Headline metrics a version's table row can show, by preference: the task's main number
 * (mask mAP of an instance model before its box mAP, then PQ, mIoU, accuracy), as the
 * evaluation scored it or, when it could not run, as the job logged it (`eval_<key>`).
 */
const ROW_METRICS = ["segm_map", "map", "pq", "miou", "accuracy"] as const;

/**
 * The main validation metric a version was registered with, from its `lakevision.metric.*`
 * tags (so listing versions reads no files), e.g. `{ label: "mAP", value: 0.348 }`; null for a
 * version registered without one (imported, or outside Lakevision).
 */
export function rowMetric(tags: Record<string, string>): { label: string; value: number } | null {
  for (const key of ROW_METRICS) {
    for (const tag of [`lakevision.metric.${key}`, `lakevision.metric.eval_${key}`]) {
      const v = Number(tags[tag]);
      if (tags[tag] !== undefined && Number.isFinite(v)) {
        return { label: DEFINITIONS[key]?.[0] ?? key, value: v };
      }
    }
  }
  return null;
}

/** Models, sorted by name; `search` matches name or description. */
export async function listModels(
  ctx: RegistryContext,
  opts: { search?: string } = {},
): Promise<RegisteredModelInfo[]> {
  const q = opts.search?.trim().toLowerCase();
  const out: RegisteredModelInfo[] = [];
  for await (const m of ctx.ws.registry.listModels()) {
    if (q && !m.name.includes(q) && !(m.description ?? "").toLowerCase().includes(q)) continue;
    out.push(m);
    if (out.length >= 1000) break;
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A model and its versions, newest first. */
export async function modelDetail(
  ctx: RegistryContext,
  name: string,
): Promise<{ model: RegisteredModelInfo; versions: VersionRow[] }> {
  const n = normalizeModelName(name);
  const model = await ctx.ws.registry.getModel(n);
  const versions: VersionRow[] = [];
  for await (const v of ctx.ws.registry.listVersions(n)) {
    versions.push(await withFiles(ctx, v));
    if (versions.length >= 200) break;
  }
  return { model, versions };
}

async function withFiles(ctx: RegistryContext, v: ModelVersion, m?: Manifest | null) {
  const dir = versionDir(ctx.volume, v.name, v.version);
  const manifest = m === undefined ? await readManifest(ctx.ws, dir).catch(() => null) : m;
  return { ...v, dir, bytes: modelBytes(manifest), hasFiles: manifest !== null };
}

/** One version with its card, metrics and lineage. */
export interface VersionDetail {
  model: RegisteredModelInfo;
  version: VersionRow;
  card: string | null;
  metrics: VersionMetrics | null;
  files: { name: string; bytes?: number }[];
  lineage: {
    config?: { name: string; version: string };
    dataset?: string;
    valDataset?: string;
    runId?: string;
    endpoints: { name: string; state: string }[];
  };
  /** Why the files cannot be shown, when they are not in the app's volume. */
  filesNote?: string;
}

/** A version with everything its page shows. */
export async function versionDetail(
  ctx: RegistryContext,
  name: string,
  version: string,
): Promise<VersionDetail> {
  const n = normalizeModelName(name);
  const [model, v] = await Promise.all([
    ctx.ws.registry.getModel(n),
    ctx.ws.registry.getVersion(n, version),
  ]);
  const dir = versionDir(ctx.volume, n, v.version);
  const manifest = await readManifest(ctx.ws, dir).catch(() => null);
  const row = await withFiles(ctx, v, manifest);
  const [card, metrics] = await Promise.all([
    manifest ? ctx.ws.files.readText(`${dir}/card.md`).catch(() => null) : null,
    manifest ? readVersionMetrics(ctx, n, v.version) : null,
  ]);
  const t = v.tags;
  const endpoints = await ctx.ws.serving.list().then(
    (eps) =>
      eps.filter((e) => e.entities.some((s) => s.model === n && s.version === v.version))
        .map((e) => ({ name: e.name, state: e.state })),
    () => [],
  );
  return {
    model,
    version: row,
    card,
    metrics,
    files: VERSION_FILES.filter((f) => manifest?.files[f] || f === "card.md" && card !== null)
      .map((f) => ({ name: f, bytes: manifest?.files[f]?.bytes })),
    lineage: {
      config: t["lakevision.config"]
        ? { name: t["lakevision.config"], version: t["lakevision.config_version"] ?? "" }
        : undefined,
      dataset: t["lakevision.dataset"],
      valDataset: t["lakevision.val_dataset"],
      runId: t["lakevision.run_id"] ?? v.runId,
      endpoints,
    },
    filesNote: manifest ? undefined : `This version's files are not in ${dir}: it was registered ` +
      "outside Lakevision (or before its files were copied), so the card, metrics and " +
      "downloads are not available here.",
  };
}

/** metrics.json of a version, or null. */
export async function readVersionMetrics(
  ctx: RegistryContext,
  name: string,
  version: string,
): Promise<VersionMetrics | null> {
  try {
    const bytes = await readVerified(ctx.ws, versionDir(ctx.volume, name, version), "metrics.json");
    return JSON.parse(new TextDecoder().decode(bytes)) as VersionMetrics;
  } catch (e) {
    if (e instanceof NotFoundError || (e as { status?: number }).status === 404) return null;
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}

/** Replaces a version's model card (Markdown); logged. */
export async function saveCard(
  ctx: RegistryContext,
  name: string,
  version: string,
  markdown: string,
): Promise<void> {
  const n = normalizeModelName(name);
  if (markdown.length > 200_000) {
    throw new BadRequestError("The model card is over 200,000 characters.");
  }
  await ctx.ws.registry.getVersion(n, version);
  await ctx.ws.files.write(`${versionDir(ctx.volume, n, version)}/card.md`, markdown, {
    overwrite: true,
  });
  await logActivity({
    who: ctx.user,
    what: "edited model card",
    subject: `model:${n}@${version}`,
    details: { chars: markdown.length },
  });
}

/** A version's downloadable file, checked against its registered checksum. */
export async function downloadFile(
  ctx: RegistryContext,
  name: string,
  version: string,
  file: string,
): Promise<{ bytes: Uint8Array; type: string; filename: string }> {
  if (!(VERSION_FILES as readonly string[]).includes(file)) {
    throw new NotFoundError(`A version has no file "${file}" (${VERSION_FILES.join(", ")}).`);
  }
  const n = normalizeModelName(name);
  await ctx.ws.registry.getVersion(n, version);
  const bytes = await readVerified(ctx.ws, versionDir(ctx.volume, n, version), file);
  const type = file.endsWith(".json")
    ? "application/json"
    : file.endsWith(".md")
    ? "text/markdown; charset=utf-8"
    : "application/octet-stream";
  return { bytes, type, filename: `${n.replaceAll(".", "_")}-v${version}-${file}` };
}
