/**
 * The Model Registry stage as routes and the CLI use it: the context for a request and the runs
 * that can be registered.
 */
import { listRuns } from "@/lib/training/records.ts";
import { primaryMetric } from "@/lib/training/types.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { modelNameProblems, normalizeModelName } from "./names.ts";
import type { RegistryContext } from "./register.ts";

/** The registry context of a request (or the CLI's equivalent state). */
export function registryContext(state: {
  workspace: Workspace;
  settings: { volume: string };
  user: { name: string };
}): RegistryContext {
  return {
    ws: state.workspace,
    volume: state.settings.volume.replace(/\/+$/, ""),
    user: state.user.name,
  };
}

/** A run offered for registration. */
export interface RegistrableRun {
  id: string;
  name: string;
  task: string;
  model: string;
  config: string;
  createdAt: number;
  metric: { name: string; value: number | null };
  /** The model name its config registers under (`serving.registered_model_name`), if it names one. */
  registeredName?: string;
}

/** Reads a config version's document (the route passes the config store's). */
export type ConfigDocReader = (name: string, version: number) => Promise<{ doc: unknown }>;

/** The registered model name a config document names, normalised, or undefined. */
export function registeredNameOf(doc: unknown): string | undefined {
  const serving = (doc as { serving?: { registered_model_name?: unknown } } | null)?.serving;
  const name = serving?.registered_model_name;
  if (typeof name !== "string") return undefined;
  const n = normalizeModelName(name);
  return n && modelNameProblems(n).length === 0 ? n : undefined;
}

/**
 * Succeeded runs, newest first (those without model.onnx are refused with a reason on submit),
 * each with the model name its config version registers under when `readConfig` can tell.
 */
export async function registrableRuns(
  limit = 100,
  readConfig?: ConfigDocReader,
): Promise<RegistrableRun[]> {
  const runs = await listRuns({ status: "succeeded", limit });
  const names = new Map<string, Promise<string | undefined>>();
  const nameOf = (config: string, version: number) => {
    const k = `${config}@${version}`;
    if (!names.has(k)) {
      names.set(
        k,
        readConfig
          ? readConfig(config, version).then((v) => registeredNameOf(v.doc), () => undefined)
          : Promise.resolve(undefined),
      );
    }
    return names.get(k)!;
  };
  return await Promise.all(runs.map(async (r) => ({
    id: r.id,
    name: r.name,
    task: r.config.task,
    model: r.config.model,
    config: `${r.config.name} v${r.config.version}`,
    createdAt: r.createdAt,
    metric: primaryMetric(r),
    registeredName: await nameOf(r.config.name, r.config.version),
  })));
}
