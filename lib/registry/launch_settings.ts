/**
 * What a run was launched with beyond its config version — a step or epoch limit, the run it
 * resumed, the compute — and the data section it trained on. The run record says it first;
 * a run folder without a record (registered elsewhere, or its record pruned) still has the
 * job's config.resolved.json, whose `args` are the launch's command line.
 */
import { parse as parseYaml } from "yaml";
import type { ComputeChoice, RunRecord } from "@/lib/training/types.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

/** Launch overrides of one run (each absent when not set). */
export interface LaunchSettings {
  maxSteps?: number;
  maxEpochs?: number;
  /** The run id this run continued from its checkpoint. */
  resumedFrom?: string;
  /** The compute in words ("local, device auto", "2× g5.xlarge, 1 GPU each, 15.4.x-gpu-ml"). */
  compute?: string;
}

/** The lineage tags a registered version keeps them under. */
export const LAUNCH_TAGS = {
  maxSteps: "lakevision.launch.max_steps",
  maxEpochs: "lakevision.launch.max_epochs",
  resumedFrom: "lakevision.launch.resumed_from",
  compute: "lakevision.launch.compute",
} as const satisfies Record<keyof LaunchSettings, string>;

/** The compute of a launch in words, the same for the same choice. */
export function computeWords(c: ComputeChoice): string {
  if (c.kind === "local") return `local, device ${c.device}`;
  if (c.existingClusterId) {
    return `existing cluster ${c.existingClusterId}, ${c.gpusPerNode} GPU per node`;
  }
  const parts = [`${c.nodes}× ${c.nodeType ?? "node"}`, `${c.gpusPerNode} GPU per node`];
  if (c.runtime) parts.push(c.runtime);
  if (c.spot) parts.push("spot");
  if (c.distribution !== "auto") parts.push(c.distribution);
  return parts.join(", ");
}

async function readJson(ws: Workspace, path: string): Promise<Record<string, unknown> | null> {
  try {
    const v = JSON.parse(await ws.files.readText(path));
    return v && typeof v === "object" ? v : null;
  } catch {
    return null;
  }
}

const obj = (v: unknown) =>
  v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : {};
const whole = (
  v: unknown,
) => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined);

/** The run's launch overrides: from its record, else from config.resolved.json's `args`. */
export async function launchSettings(
  ws: Workspace,
  runDir: string,
  record?: RunRecord,
): Promise<LaunchSettings> {
  if (record) {
    return dropEmpty({
      maxSteps: record.maxSteps,
      maxEpochs: record.maxEpochs,
      resumedFrom: record.resumedFrom,
      compute: computeWords(record.compute),
    });
  }
  const args = obj((await readJson(ws, `${runDir}/config.resolved.json`))?.args);
  const resume = typeof args.resume === "string" ? args.resume : "";
  return dropEmpty({
    maxSteps: whole(args.max_steps),
    maxEpochs: whole(args.max_epochs),
    resumedFrom: resume.match(/\/runs\/([^/]+)\/checkpoints\//)?.[1] ?? (resume || undefined),
    compute: typeof args.device === "string" ? `device ${args.device}` : undefined,
  });
}

/** The settings as lineage tags (only those set). */
export function launchTags(s: LaunchSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, tag] of Object.entries(LAUNCH_TAGS)) {
    const v = s[k as keyof LaunchSettings];
    if (v !== undefined) out[tag] = String(v);
  }
  return out;
}

/** The settings a version's tags recorded, or null when it was registered without them. */
export function launchFromTags(tags: Record<string, string>): LaunchSettings | null {
  if (!(LAUNCH_TAGS.compute in tags)) return null;
  const n = (t: string) => whole(Number(tags[t]));
  return dropEmpty({
    maxSteps: n(LAUNCH_TAGS.maxSteps),
    maxEpochs: n(LAUNCH_TAGS.maxEpochs),
    resumedFrom: tags[LAUNCH_TAGS.resumedFrom] || undefined,
    compute: tags[LAUNCH_TAGS.compute] || undefined,
  });
}

function dropEmpty(s: LaunchSettings): LaunchSettings {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined && v !== ""));
}

/**
 * The data section the run trained on: the launch config's values (volume paths as the config
 * version has them), then the job's config.resolved.json for what the launch config left out.
 */
export async function runDataSection(
  ws: Workspace,
  runDir: string,
  record?: RunRecord,
): Promise<Record<string, unknown>> {
  const fromJob = obj(obj((await readJson(ws, `${runDir}/config.resolved.json`))?.config).data);
  if (!record?.configPath) return fromJob;
  try {
    const doc = obj(parseYaml(await ws.files.readText(record.configPath)));
    const launched = Object.entries(obj(doc.data)).filter(([, v]) => v !== null);
    return { ...fromJob, ...Object.fromEntries(launched) };
  } catch {
    return fromJob; // the config file is gone: the job's copy is all there is
  }
}
