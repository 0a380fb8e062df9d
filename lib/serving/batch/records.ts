/**
 * Batch records in Deno KV, and the in-process bus that tells open pages a batch changed.
 *
 * Keys: ["batch","run",id] → BatchRecord · ["batch","token",token] → id (claimed atomically, so
 * a double submit finds the first batch).
 */
import { NotFoundError } from "@/lib/errors.ts";
import { checkKeyPart, createOnce, getKv } from "@/lib/store/kv.ts";
import { BATCH_TERMINAL, type BatchRecord, BatchRecordSchema, type BatchStatus } from "./types.ts";

const MAX_ID = 128;
const runKey = (id: string) => ["batch", "run", checkKeyPart("batch id", id, MAX_ID)];
const tokenKey = (t: string) => ["batch", "token", checkKeyPart("idempotency token", t, MAX_ID)];

/** A sortable, readable batch id: `b-20261126-031500-ab12`. */
export function newBatchId(now = new Date()): string {
  const iso = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `b-${iso}-${crypto.randomUUID().slice(0, 4)}`;
}

/** Update notifications for one process: `batch` events carry the new record. */
export const batchBus: EventTarget = new EventTarget();

function emit(rec: BatchRecord): void {
  batchBus.dispatchEvent(new CustomEvent("batch", { detail: rec }));
}

/** Stores a new batch unless its token was used; returns the stored one and whether it existed. */
export async function createBatch(
  rec: BatchRecord,
): Promise<{ batch: BatchRecord; existing: boolean }> {
  const value = BatchRecordSchema.parse(rec);
  const r = await createOnce(
    { record: runKey(value.id), token: tokenKey(value.idempotencyToken) },
    value.id,
    value,
    (id) => getBatch(id).catch(() => null),
    "could not store the batch: too many concurrent submissions",
  );
  if (!r.existing) emit(value);
  return { batch: r.value, existing: r.existing };
}

/** One batch; NotFoundError when unknown. */
export async function getBatch(id: string): Promise<BatchRecord> {
  const kv = await getKv();
  const e = await kv.get(runKey(id));
  if (!e.value) throw new NotFoundError(`No batch inference job "${id}".`);
  return BatchRecordSchema.parse(e.value);
}

/**
 * Applies `change` atomically (retrying on a concurrent write) and notifies listeners. A
 * terminal status only changes when the patch says `reopen` (a resume starts a new attempt), so
 * a late refresh cannot turn a finished batch back into a running one.
 */
export async function updateBatch(
  id: string,
  change: (cur: BatchRecord) => (Partial<BatchRecord> & { reopen?: boolean }) | null,
): Promise<BatchRecord> {
  const kv = await getKv();
  for (let attempt = 0; attempt < 50; attempt++) {
    const e = await kv.get(runKey(id));
    if (!e.value) throw new NotFoundError(`No batch inference job "${id}".`);
    const cur = BatchRecordSchema.parse(e.value);
    const patch = change(cur);
    if (!patch) return cur;
    const { reopen, ...fields } = patch;
    const next: BatchRecord = { ...cur, ...fields, updatedAt: Date.now() };
    if (!reopen && BATCH_TERMINAL.has(cur.status) && next.status !== cur.status) {
      next.status = cur.status;
      next.phase = cur.phase;
    }
    const valid = BatchRecordSchema.parse(next);
    const res = await kv.atomic().check(e).set(runKey(id), valid).commit();
    if (res.ok) {
      emit(valid);
      return valid;
    }
  }
  throw new Error(`could not update batch ${id}: too many concurrent writes`);
}

/** Batches, newest first; `active` = not terminal. */
export async function listBatches(
  f: { status?: BatchStatus | "active"; limit?: number } = {},
): Promise<BatchRecord[]> {
  const kv = await getKv();
  const out: BatchRecord[] = [];
  for await (const e of kv.list({ prefix: ["batch", "run"] }, { reverse: true })) {
    const p = BatchRecordSchema.safeParse(e.value);
    if (!p.success) continue;
    const r = p.data;
    if (f.status === "active" ? BATCH_TERMINAL.has(r.status) : f.status && r.status !== f.status) {
      continue;
    }
    out.push(r);
    if (out.length >= (f.limit ?? 500)) break;
  }
  return out;
}
