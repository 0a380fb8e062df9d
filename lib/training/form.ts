/**
 * The launch form's fields → a LaunchRequest. Shared by the POST handler (no JavaScript
 * needed) and the launch island's live preview. Browser-safe: it validates with the zod/mini
 * compute schema and only takes types from the classic schemas.
 */
import { type ComputeChoice, ComputeChoiceSchema } from "./compute_choice.ts";
import type { LaunchRequest } from "./schemas.ts";
import { MAX_RUN_NAME } from "./status.ts";
import type { ComputeInfo } from "@/lib/workspace/types.ts";
import { slugifyName } from "@/lib/config/names.ts";

/** Form values by field name (strings, as a browser sends them). */
export type LaunchForm = Record<string, string>;

function int(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : NaN;
}

/** Where a run can be launched. */
export type ComputeKind = "local" | "databricks";

/** A node type's form value: its id and its GPU count (the form sends both). */
export function nodeTypeValue(n: { id: string; gpus: number }): string {
  return `${n.id}|${n.gpus}`;
}

/**
 * A new launch form's compute from a person's preferences: the preferred compute when the app
 * can launch on it (else the first it can), and on Databricks the preferred GPU node type when
 * the workspace offers it. A preference this workspace cannot honour is passed over, not an
 * error: the form starts from what is available.
 */
export function computeDefaults(
  prefs: { compute: ComputeKind; nodeType: string },
  available: readonly [ComputeKind, ...ComputeKind[]],
  info: ComputeInfo | null,
): { compute: ComputeKind; nodeType?: string } {
  const compute = available.includes(prefs.compute) ? prefs.compute : available[0];
  const wanted = prefs.nodeType.trim();
  if (compute !== "databricks" || !wanted) return { compute };
  const offered = info?.nodeTypes?.find((n) => n.id === wanted && n.gpus > 0);
  return offered ? { compute, nodeType: nodeTypeValue(offered) } : { compute };
}

/** Problems per field (empty when the form is fine). */
export type FieldProblems = Record<string, string>;

/** The compute choice the form describes, or the problems that stop it. */
export function computeFromForm(
  f: LaunchForm,
): { choice?: ComputeChoice; problems: FieldProblems } {
  const problems: FieldProblems = {};
  const kind = f.compute === "databricks" ? "databricks" : "local";
  const raw: Record<string, unknown> = { kind };
  if (kind === "local") {
    raw.device = f.device || "auto";
  } else {
    const [nodeType, gpus] = (f.nodeType ?? "").split("|");
    if (f.existingClusterId?.trim()) {
      raw.existingClusterId = f.existingClusterId.trim();
      raw.gpusPerNode = int(f.gpusPerNode) ?? 1;
    } else {
      if (!nodeType) problems.nodeType = "pick a GPU node type";
      if (!f.runtime) problems.runtime = "pick an ML GPU runtime";
      raw.nodeType = nodeType || undefined;
      raw.gpusPerNode = Number(gpus) || 0;
      raw.runtime = f.runtime || undefined;
    }
    raw.nodes = int(f.nodes) ?? 1;
    raw.spot = f.spot === "on" || f.spot === "true";
    raw.timeoutMinutes = int(f.timeoutMinutes) ?? 0;
    raw.distribution = f.distribution || "auto";
    raw.emails = (f.emails ?? "").split(/[\s,;]+/).filter(Boolean);
    if (!raw.existingClusterId && nodeType && raw.gpusPerNode === 0) {
      problems.nodeType = `${nodeType} has no GPU; pick a GPU node type`;
    }
  }
  const parsed = ComputeChoiceSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const key = String(i.path[0] ?? "compute");
      problems[key] ??= i.message;
    }
  }
  return { choice: parsed.success ? parsed.data : undefined, problems };
}

/** The whole launch request, or the problems per field. */
export function launchFromForm(
  f: LaunchForm,
): { request?: LaunchRequest; problems: FieldProblems } {
  const { choice, problems } = computeFromForm(f);
  const req: Partial<LaunchRequest> = {};
  if (f.configPath?.trim()) {
    if (!f.configPath.trim().startsWith("/Volumes/")) {
      problems.configPath = "must be a path under /Volumes/";
    } else req.configPath = f.configPath.trim();
  } else if (f.config) {
    const m = f.config.match(/^(.+)@(\d+)$/);
    req.config = m ? { name: m[1], version: Number(m[2]) } : { name: f.config };
  }
  for (const key of ["maxSteps", "maxEpochs"] as const) {
    const n = int(f[key]);
    if (n === undefined) continue;
    if (!Number.isInteger(n) || n < 1) problems[key] = "must be a whole number of at least 1";
    else req[key] = n;
  }
  if (f.token && /^[A-Za-z0-9_-]{8,64}$/.test(f.token)) req.idempotencyToken = f.token;
  const name = f.name?.trim();
  if (name && name.length > MAX_RUN_NAME) {
    problems.name = `must be at most ${MAX_RUN_NAME} characters (this one has ${name.length})`;
  } else if (name) req.name = name;
  if (Object.keys(problems).length || !choice) return { problems };
  return { request: { ...req, compute: choice } as LaunchRequest, problems };
}

/** A stored config as the launch form lists it. */
export interface LaunchConfigChoice {
  name: string;
  /** Newest first. */
  versions: number[];
  /** The active version, when this config is the active one. */
  active: number | null;
}

/**
 * The config file the launch will hand to train.py, as the launch writes it
 * (`<volume>/configs/<name>/v<N>.yaml`): the chosen version's, the newest version's when none
 * is picked, the active version's when no config is; a YAML given by path is saved as a
 * version of the config named after its file first, whose number is known only then (`v<N>`).
 */
export function launchConfigPath(
  f: LaunchForm,
  configs: readonly LaunchConfigChoice[],
  volume: string,
): string {
  const root = `${volume.replace(/\/+$/, "")}/configs`;
  const file = f.configPath?.trim();
  if (file) {
    const stem = file.split("/").pop()!.replace(/\.ya?ml$/i, "");
    return `${root}/${slugifyName(stem)}/v<N>.yaml`;
  }
  const m = f.config?.match(/^(.+)@(\d+)$/);
  const name = m ? m[1] : f.config;
  const chosen = name ? configs.find((c) => c.name === name) : undefined;
  const version = m ? Number(m[2]) : chosen?.versions[0];
  if (name && version) return `${root}/${name}/v${version}.yaml`;
  const active = configs.find((c) => c.active !== null);
  return active ? `${root}/${active.name}/v${active.active}.yaml` : `${root}/<name>/v<N>.yaml`;
}
