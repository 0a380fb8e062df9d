/**
 * Run records in Deno KV, and the in-process bus that tells open pages (SSE) a run changed.
 *
 * Keys: ["training","run",id] → RunRecord · ["training","token",token] → id (a launch's
 * idempotency token, claimed atomically so a double submit finds the first run).
 */
import { NotFoundError } from "@/lib/errors.ts";
import { checkKeyPart, createOnce, getKv } from "@/lib/store/kv.ts";
import { type RunRecord, RunRecordSchema, type RunStatus, TERMINAL } from "./types.ts";

/** Run ids are generated (`newRunId`, 20 characters); launch tokens are at most 64. */
const MAX_ID = 128;
const runKey = (id: string) => ["training", "run", checkKeyPart("run id", id, MAX_ID)];
const tokenKey = (t: string) => ["training", "token", checkKeyPart("idempotency token", t, MAX_ID)];

/** A sortable, readable run id: `20261126-031500-ab12`. */
export function newRunId(now = new Date()): string {
  const iso = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${iso}-${crypto.randomUUID().slice(0, 4)}`;
}

/** Update notifications for one process: `run` events carry the new record. */
export const runBus: EventTarget = new EventTarget();

function emit(rec: RunRecord): void {
  runBus.dispatchEvent(new CustomEvent("run", { detail: rec }));
}

/**
 * Stores a new run unless its idempotency token was already used; returns the stored record
 * and whether it is the existing one.
 */
export async function createRun(rec: RunRecord): Promise<{ run: RunRecord; existing: boolean }> {
  const value = RunRecordSchema.parse(rec);
  const r = await createOnce(
    { record: runKey(value.id), token: tokenKey(value.idempotencyToken) },
    value.id,
    value,
    (id) => getRun(id).catch(() => null),
    "could not store the run: too many concurrent launches",
  );
  if (!r.existing) emit(value);
  return { run: r.value, existing: r.existing };
}

/** One run; NotFoundError when unknown. */
export async function getRun(id: string): Promise<RunRecord> {
  const kv = await getKv();
  const e = await kv.get(runKey(id));
  if (!e.value) throw new NotFoundError(`No training run "${id}".`);
  return RunRecordSchema.parse(e.value);
}

/**
 * Applies `change` to the stored record atomically (retrying on a concurrent write) and
 * notifies listeners. A record that reached a terminal status keeps it: late refreshes cannot
 * turn a finished run back into a running one. Returns the new record.
 */
export async function updateRun(
  id: string,
  change: (cur: RunRecord) => Partial<RunRecord> | null,
): Promise<RunRecord> {
  const kv = await getKv();
  for (let attempt = 0; attempt < 50; attempt++) {
    const e = await kv.get(runKey(id));
    if (!e.value) throw new NotFoundError(`No training run "${id}".`);
    const cur = RunRecordSchema.parse(e.value);
    const patch = change(cur);
    if (!patch) return cur;
    const next: RunRecord = { ...cur, ...patch, updatedAt: Date.now() };
    if (TERMINAL.has(cur.status) && next.status !== cur.status) {
      next.status = cur.status;
      next.phase = cur.phase;
    }
    const valid = RunRecordSchema.parse(next);
    const res = await kv.atomic().check(e).set(runKey(id), valid).commit();
    if (res.ok) {
      emit(valid);
      return valid;
    }
  }
  throw new Error(`could not update run ${id}: too many concurrent writes`);
}

/** Filters of the runs list. */
export interface RunFilter {
  status?: RunStatus | "active";
  compute?: "local" | "databricks";
  config?: string;
  /** Free text over name, config, model, id. */
  q?: string;
  limit?: number;
}

/** Runs, newest first. */
export async function listRuns(f: RunFilter = {}): Promise<RunRecord[]> {
  const kv = await getKv();
  const out: RunRecord[] = [];
  const q = f.q?.trim().toLowerCase();
  for await (const e of kv.list({ prefix: ["training", "run"] }, { reverse: true })) {
    const p = RunRecordSchema.safeParse(e.value);
    if (!p.success) continue;
    const r = p.data;
    if (f.status === "active" ? TERMINAL.has(r.status) : f.status && r.status !== f.status) {
      continue;
    }
    if (f.compute && r.compute.kind !== f.compute) continue;
    if (f.config && r.config.name !== f.config) continue;
    if (
      q && ![r.id, r.name, r.config.name, r.config.model, r.config.task, r.createdBy]
        .some((s) => s.toLowerCase().includes(q))
    ) continue;
    out.push(r);
    if (out.length >= (f.limit ?? 500)) break;
  }
  return out;
}
