/**
 * Helpers for training tests: a local workspace whose jobs folder holds a torch-free stand-in
 * for train.py (tests/training_fixtures/train.py), an in-memory KV, a config store, and a
 * valid classification config saved as a version.
 */
import { setKv } from "@/lib/store/kv.ts";
import { newRunId } from "@/lib/training/records.ts";
import type { RunRecord } from "@/lib/training/types.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { stopMonitor } from "@/lib/training/refresh.ts";
import type { TrainingContext } from "@/lib/training/launch.ts";
import { LocalFiles } from "@/lib/workspace/local/files.ts";
import { LocalJobs } from "@/lib/workspace/local/jobs.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

export const VOLUME = "/Volumes/main/lakevision/data";
export const FAKE_JOBS = new URL("./training_fixtures", import.meta.url).pathname;

/** A valid classification config whose data lives in the app volume. */
export function tinyConfig(volume = VOLUME): Record<string, unknown> {
  return {
    model: {
      model_name: "torchvision/mobilenet_v3_small",
      task_type: "classification",
      num_classes: 2,
      pretrained: false,
      image_size: 64,
      learning_rate: 0.001,
    },
    data: {
      train_data_path: `${volume}/datasets/shapes/train/`,
      val_data_path: `${volume}/datasets/shapes/val/`,
      batch_size: 4,
      num_workers: 0,
    },
    training: {
      max_epochs: 2,
      log_every_n_steps: 1,
      monitor_metric: "val_accuracy",
      monitor_mode: "max",
    },
    mlflow: { enabled: false },
  };
}

/** A local training setup on a temp data dir. */
export interface LocalSetup extends AsyncDisposable {
  ctx: TrainingContext;
  ws: Workspace;
  jobs: LocalJobs;
  files: LocalFiles;
  dataDir: string;
  kv: Deno.Kv;
}

/** Builds the setup; `env` goes to the fake job (FAKE_STEP_S, FAKE_FAIL). */
export async function localSetup(env: Record<string, string> = {}): Promise<LocalSetup> {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-training-" });
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  const base = createLocalWorkspace({ dataDir, volume: VOLUME });
  const files = base.files as LocalFiles;
  const jobs = new LocalJobs({ dataDir, files, jobsDir: FAKE_JOBS, killGraceS: 3, env });
  const ws: Workspace = { ...base, jobs };
  const configs = new ConfigStore(kv, { files, volume: VOLUME });
  await configs.save("shapes", tinyConfig(), { author: "tester" });
  return {
    ctx: { workspace: ws, volume: VOLUME, user: "tester", configs },
    ws,
    jobs,
    files,
    dataDir,
    kv,
    async [Symbol.asyncDispose]() {
      stopMonitor();
      await new Promise((r) => setTimeout(r, 50));
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Polls `fn` until it returns a truthy value or `ms` passes (then throws with `what`). */
export async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false>,
  what: string,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    const v = await fn().catch((e) => {
      last = e;
      return null;
    });
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** A local classification run record with its folder under `volume`; `over` sets any field. */
export function storedRun(volume: string, over: Partial<RunRecord> = {}): RunRecord {
  const id = over.id ?? newRunId();
  const now = Date.now();
  return {
    id,
    name: "cls-3ep",
    createdAt: now,
    createdBy: "t",
    config: { name: "demo-classification", version: 1, task: "classification", model: "m" },
    compute: { kind: "local" as const, device: "cpu" as const },
    distribution: "local" as const,
    status: "succeeded" as const,
    phase: "succeeded",
    runDir: `${volume}/runs/${id}`,
    configPath: `${volume}/configs/demo-classification/v1.yaml`,
    command: ["python"],
    idempotencyToken: `tok-${id}`,
    updatedAt: now,
    progress: null,
    lastMetrics: {},
    ...over,
  };
}
