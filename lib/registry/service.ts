/**
 * The Model Registry stage as routes and the CLI use it: the context for a request and the runs
 * that can be registered.
 */
import { listRuns } from "@/lib/training/records.ts";
import { primaryMetric } from "@/lib/training/types.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
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
}

/** Succeeded runs, newest first (those without model.onnx are refused with a reason on submit). */
export async function registrableRuns(limit = 100): Promise<RegistrableRun[]> {
  const runs = await listRuns({ status: "succeeded", limit });
  return runs.map((r) => ({
    id: r.id,
    name: r.name,
    task: r.config.task,
    model: r.config.model,
    config: `${r.config.name} v${r.config.version}`,
    createdAt: r.createdAt,
    metric: primaryMetric(r),
  }));
}

/** Bytes as "12.3 MB". */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
