/**
 * What a finished (or running) training run used and cost: wall and queue time, GPU and CPU
 * hours, peak memory and throughput when the job reported them (status.json `resources`,
 * written by jobs/lakevision_jobs/resources.py), and estimated DBUs and money.
 *
 * Resources are copied out of status.json once per run (background) into
 * ["history","resources",runId] so analytics never read run folders on a request.
 */
import { getKv } from "@/lib/store/kv.ts";
import type { RunRates } from "@/lib/store/rates.ts";
import { listRuns } from "@/lib/training/records.ts";
import { readJobStatus } from "@/lib/training/run_files.ts";
import { primaryMetric, type RunRecord, TERMINAL } from "@/lib/training/types.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

/** What status.json `resources` holds (all optional: a job reports what it can measure). */
export interface RunResources {
  peakCpuMemMb?: number;
  peakGpuMemMb?: number;
  imagesPerSecond?: number;
}

/** One run's usage and estimated cost. */
export interface RunFacts {
  id: string;
  name: string;
  createdBy: string;
  createdAt: number;
  status: RunRecord["status"];
  task: string;
  model: string;
  compute: "local" | "databricks";
  nodeType: string | null;
  nodes: number;
  gpus: number;
  /** Seconds from launch to start, when known. */
  queueSeconds: number | null;
  /** Seconds from start to end (or to now while running). */
  wallSeconds: number | null;
  gpuHours: number;
  /** Local runs: hours of the local process. */
  cpuHours: number;
  metric: { name: string; value: number | null };
  resources: RunResources | null;
  /** Estimated DBUs (Databricks runs; null locally). */
  dbu: number | null;
  /** Estimated money, in the serving rates' currency (null locally). */
  cost: number | null;
}

/** Usage and estimated cost of one run; `now` closes a run still going. */
export function runFacts(
  r: RunRecord,
  rates: RunRates,
  resources: RunResources | null = null,
  now = Date.now(),
): RunFacts {
  const start = r.startedAt ?? null;
  const end = r.endedAt ?? (TERMINAL.has(r.status) ? r.updatedAt : now);
  const wall = start !== null ? Math.max(0, end - start) / 1000 : null;
  const queue = start !== null ? Math.max(0, start - r.createdAt) / 1000 : null;
  const hours = (wall ?? 0) / 3600;
  const c = r.compute;
  const databricks = c.kind === "databricks";
  const nodes = databricks ? c.nodes : 1;
  const gpus = databricks ? c.nodes * c.gpusPerNode : c.device === "cuda" ? 1 : 0;
  const nodeType = databricks ? c.nodeType ?? null : null;
  const perHour = nodeType
    ? rates.nodeTypes.find((n) => n.nodeType === nodeType)?.dbuPerHour ?? rates.defaultDbuPerHour
    : rates.defaultDbuPerHour;
  const dbu = databricks ? nodes * hours * perHour : null;
  return {
    id: r.id,
    name: r.name,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    status: r.status,
    task: r.config.task,
    model: r.config.model,
    compute: c.kind,
    nodeType,
    nodes,
    gpus,
    queueSeconds: queue,
    wallSeconds: wall,
    gpuHours: gpus * hours,
    cpuHours: databricks ? 0 : hours,
    metric: primaryMetric(r),
    resources,
    dbu,
    cost: dbu === null ? null : dbu * rates.pricePerDbu,
  };
}

const resKey = (id: string) => ["history", "resources", id];

/** Reads `resources` from a status.json object (snake_case as the job writes it). */
export function resourcesFromStatus(st: unknown): RunResources | null {
  const r = (st as { resources?: Record<string, unknown> } | null)?.resources;
  if (!r || typeof r !== "object") return null;
  const n = (v: unknown) => typeof v === "number" && Number.isFinite(v) ? v : undefined;
  const out: RunResources = {
    peakCpuMemMb: n(r.peak_cpu_mem_mb),
    peakGpuMemMb: n(r.peak_gpu_mem_mb),
    imagesPerSecond: n(r.images_per_second),
  };
  return Object.values(out).some((v) => v !== undefined) ? out : null;
}

/** Every stored resources record, by run id (one range read). */
export async function allResources(): Promise<Map<string, RunResources>> {
  const kv = await getKv();
  const out = new Map<string, RunResources>();
  for await (const e of kv.list<RunResources>({ prefix: ["history", "resources"] })) {
    out.set(e.key[2] as string, e.value);
  }
  return out;
}

/**
 * The fields of a run record the facts need, checked without parsing the whole record (the
 * analytics read every run; the full schema costs most of the page's time).
 */
export function asRunRecord(v: unknown): RunRecord | null {
  const r = v as Partial<RunRecord> | null;
  if (
    !r || typeof r.id !== "string" || typeof r.createdAt !== "number" ||
    typeof r.status !== "string" || !r.config || !r.compute ||
    typeof r.createdBy !== "string"
  ) return null;
  return { ...r, lastMetrics: r.lastMetrics ?? {} } as RunRecord;
}

/** Every run's facts (resources included), newest first. */
export async function allRunFacts(rates: RunRates, now = Date.now()): Promise<RunFacts[]> {
  const kv = await getKv();
  const [res, runs] = await Promise.all([
    allResources(),
    (async () => {
      const out: RunRecord[] = [];
      for await (const e of kv.list({ prefix: ["training", "run"] }, { reverse: true })) {
        const r = asRunRecord(e.value);
        if (r) out.push(r);
      }
      return out;
    })(),
  ]);
  return runs.map((r) => runFacts(r, rates, res.get(r.id) ?? null, now));
}

/** Stored resources of many runs (missing ones are absent from the map). */
export async function storedResources(ids: string[]): Promise<Map<string, RunResources>> {
  const kv = await getKv();
  const out = new Map<string, RunResources>();
  for (let i = 0; i < ids.length; i += 10) {
    const got = await kv.getMany(ids.slice(i, i + 10).map(resKey));
    got.forEach((e, j) => {
      if (e.value) out.set(ids[i + j], e.value as RunResources);
    });
  }
  return out;
}

/** Saves what a run reported (tests and import). */
export async function saveResources(id: string, r: RunResources): Promise<void> {
  await (await getKv()).set(resKey(id), r);
}

/** Job phases after which status.json is not written again. */
const FINAL_PHASES = new Set(["succeeded", "failed", "cancelled"]);

/**
 * Copies one finished run's `resources` out of its status.json into the history. Returns
 * whether the run is settled: its figures (or the lack of them) are stored for good. A folder
 * that cannot be read, or a status.json the job may still rewrite, is left for a later try.
 */
export async function harvestRun(ws: Workspace, r: RunRecord): Promise<boolean> {
  if (!TERMINAL.has(r.status)) return false;
  let st: unknown;
  try {
    st = await readJobStatus(ws, r.runDir);
  } catch {
    return false; // the workspace did not answer: try again next time
  }
  const res = resourcesFromStatus(st);
  if (res) {
    await saveResources(r.id, res);
    return true;
  }
  const phase = (st as { phase?: unknown } | null)?.phase;
  if (st !== null && !FINAL_PHASES.has(String(phase))) return false;
  // no status.json at all, or a finished job that measured nothing: nothing will come
  await saveResources(r.id, {});
  return true;
}

/**
 * Copies `resources` out of the status.json of finished runs that have none stored yet
 * (background work; a run folder that cannot be read is tried again next time).
 */
export async function harvestResources(ws: Workspace, limit = 50): Promise<number> {
  const runs = (await listRuns({ limit: 2000 })).filter((r) => TERMINAL.has(r.status));
  const have = await storedResources(runs.map((r) => r.id));
  let n = 0;
  for (const r of runs) {
    if (have.has(r.id) || n >= limit) continue;
    n++;
    await harvestRun(ws, r);
  }
  return n;
}

/**
 * Copies a run's resources as soon as it ends (as the run bus tells it), instead of at the next
 * hourly pass. Returns a stop function.
 */
export function harvestOnFinish(ws: Workspace, bus: EventTarget): () => void {
  const pending = new Set<string>();
  const onRun = (e: Event) => {
    const r = (e as CustomEvent<RunRecord>).detail;
    if (!r || !TERMINAL.has(r.status) || pending.has(r.id)) return;
    pending.add(r.id);
    storedResources([r.id])
      .then((have) => have.has(r.id) ? true : harvestRun(ws, r))
      .catch((err) => {
        console.error(`run resources of ${r.id}: ${err instanceof Error ? err.message : err}`);
      })
      .finally(() => pending.delete(r.id));
  };
  bus.addEventListener("run", onRun);
  return () => bus.removeEventListener("run", onRun);
}
