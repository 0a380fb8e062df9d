/**
 * The launch form's fields → a LaunchRequest. Shared by the POST handler (no JavaScript
 * needed) and the launch island's live preview. Browser-safe.
 */
import { type ComputeChoice, ComputeChoiceSchema, type LaunchRequest } from "./types.ts";

/** Form values by field name (strings, as a browser sends them). */
export type LaunchForm = Record<string, string>;

function int(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : NaN;
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
    if (!Number.isInteger(n) || n < 1) problems[key] = "a whole number of at least 1";
    else req[key] = n;
  }
  if (f.token && /^[A-Za-z0-9_-]{8,64}$/.test(f.token)) req.idempotencyToken = f.token;
  if (f.name?.trim()) req.name = f.name.trim().slice(0, 120);
  if (Object.keys(problems).length || !choice) return { problems };
  return { request: { ...req, compute: choice } as LaunchRequest, problems };
}
