/**
 * A synthetic history for the bench and tests: `n` events spread over `days` days, types and
 * users in a fixed rotation (so counts are known), and some run records. Deterministic.
 */
import {
  type Activity,
  ACTIVITY_TYPES,
  ensureIndexed,
  idFloor,
  insertActivities,
} from "@/lib/store/activity.ts";
import { getKv } from "@/lib/store/kv.ts";
import { PRIMARY_METRIC, type RunRecord, RunRecordSchema } from "@/lib/training/types.ts";

/** Users of the generated history. */
export const GEN_USERS = ["ana", "bo", "chen", "dara", "eli", "fay", "gus"];
const VERBS: Record<string, [string, string]> = {
  config: ["saved config", "config:detection-demo@v"],
  scan: ["scanned dataset", "dataset:/Volumes/main/cv/coco"],
  run: ["launched run", "run:20261101-000000-"],
  evaluation: ["ran evaluation", "evaluation:20261101-000000-"],
  report: ["exported report", "report:20261101-000000-"],
  model: ["registered model", "model:main.cv.detector@"],
  alias: ["moved alias", "model:main.cv.detector@"],
  endpoint: ["created endpoint", "endpoint:ep-"],
  batch: ["started batch inference", "batch:b"],
  inference: ["started inference session", "inference:version:main.cv.detector:"],
  settings: ["edited cost rates", "settings:serving_rates"],
  demo: ["seeded the demo workspace", "demo:/Volumes/demo/cv/data"],
  other: ["did something", "misc:"],
};

/** The i-th generated event (the same every time). */
export function generatedEvent(i: number, n: number, start: number, days: number): Activity {
  const when = start + Math.floor((i * days * 86_400_000) / n);
  const type = ACTIVITY_TYPES[i % ACTIVITY_TYPES.length];
  const who = GEN_USERS[i % GEN_USERS.length];
  const [what, subject] = VERBS[type];
  const id = `${idFloor(when)}-${(i & 0xffff).toString(16).padStart(4, "0")}${
    (i >>> 16).toString(16).padStart(4, "0")
  }`;
  const tail = subject.endsWith(":") || /[-@v/b]$/.test(subject) ? String(i % 97) : "";
  return { id, who, what, when, subject: subject + tail, details: { i }, type };
}

/** Writes the history; returns the time range it covers. */
export async function generateHistory(
  n: number,
  opts: { start?: number; days?: number; concurrency?: number } = {},
): Promise<{ start: number; end: number }> {
  const start = opts.start ?? Date.UTC(2025, 0, 1);
  const days = opts.days ?? 365;
  const c = opts.concurrency ?? 8;
  await ensureIndexed();
  const chunk = 200;
  const jobs: Promise<number>[] = [];
  for (let i = 0; i < n; i += chunk) {
    const events = [];
    for (let j = i; j < Math.min(n, i + chunk); j++) events.push(generatedEvent(j, n, start, days));
    jobs.push(insertActivities(events));
    if (jobs.length >= c) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
  return { start, end: start + days * 86_400_000 };
}

const TASKS = ["detection", "classification", "semantic_segmentation"];
const MODELS = ["detr-resnet-50", "vit-base", "segformer-b0", "yolos-tiny"];
const STATUSES = ["succeeded", "succeeded", "succeeded", "failed", "cancelled"] as const;

/** `n` finished run records over the same range (status, task and model in rotation). */
export async function generateRuns(
  n: number,
  opts: { start?: number; days?: number } = {},
): Promise<RunRecord[]> {
  const start = opts.start ?? Date.UTC(2025, 0, 1);
  const days = opts.days ?? 365;
  const kv = await getKv();
  const out: RunRecord[] = [];
  for (let i = 0; i < n; i++) {
    const createdAt = start + Math.floor((i * days * 86_400_000) / n);
    const task = TASKS[i % TASKS.length];
    const databricks = i % 2 === 0;
    const rec = RunRecordSchema.parse({
      id: `gen-${String(i).padStart(6, "0")}`,
      name: `run ${i}`,
      createdAt,
      createdBy: GEN_USERS[i % GEN_USERS.length],
      config: { name: "cfg", version: 1, task, model: MODELS[i % MODELS.length] },
      compute: databricks
        ? { kind: "databricks", nodeType: "g5.xlarge", gpusPerNode: 1, nodes: 1 + (i % 2) }
        : { kind: "local", device: "cpu" },
      distribution: databricks ? "single" : "local",
      status: STATUSES[i % STATUSES.length],
      phase: "succeeded",
      runDir: `/Volumes/main/lakevision/data/runs/gen-${i}`,
      configPath: "/Volumes/main/lakevision/data/runs/config.yaml",
      command: ["python", "train.py"],
      idempotencyToken: `gen-token-${String(i).padStart(6, "0")}`,
      startedAt: createdAt + 60_000 * (1 + (i % 5)),
      endedAt: createdAt + 60_000 * (1 + (i % 5)) + 600_000 * (1 + (i % 7)),
      updatedAt: createdAt + 5_000_000,
      lastMetrics: { [PRIMARY_METRIC[task]]: 0.3 + (i % 50) / 100 },
    });
    out.push(rec);
  }
  for (let i = 0; i < out.length; i += 50) {
    const op = kv.atomic();
    for (const r of out.slice(i, i + 50)) op.set(["training", "run", r.id], r);
    await op.commit();
  }
  return out;
}
