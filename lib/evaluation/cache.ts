/**
 * Computed evaluations in Deno KV, keyed by run and by the SHA-256 of the files they were
 * computed from: a changed predictions or ground-truth file gets a new key, so a stale result is
 * never shown. KV values are limited to 64 KiB, so the JSON is gzipped and split into chunks.
 *
 * Keys: ["evaluation","result",runId] → { hash, chunks, bytes, at } ·
 *       ["evaluation","chunk",runId,hash,i] → Uint8Array
 */
import { gunzipSync, gzipSync, strFromU8, strToU8 } from "fflate";
import { getKv } from "@/lib/store/kv.ts";

const CHUNK = 60_000;

interface Meta {
  hash: string;
  chunks: number;
  bytes: number;
  at: number;
}

/** SHA-256 (hex) over several byte arrays, each length-prefixed so boundaries count. */
export async function contentHash(parts: Uint8Array[]): Promise<string> {
  let total = 0;
  for (const p of parts) total += 8 + p.length;
  const buf = new Uint8Array(total);
  const view = new DataView(buf.buffer);
  let off = 0;
  for (const p of parts) {
    view.setFloat64(off, p.length);
    buf.set(p, off + 8);
    off += 8 + p.length;
  }
  const digest = await crypto.subtle.digest("SHA-256", buf);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The cached value for the run if it was computed from files with this hash, else null. */
export async function readCached<T>(runId: string, hash: string): Promise<T | null> {
  const kv = await getKv();
  const meta = (await kv.get<Meta>(["evaluation", "result", runId])).value;
  if (!meta || meta.hash !== hash) return null;
  const keys = Array.from(
    { length: meta.chunks },
    (_, i) => ["evaluation", "chunk", runId, hash, i],
  );
  const parts: Uint8Array[] = [];
  for (let i = 0; i < keys.length; i += 10) {
    const got = await kv.getMany<Uint8Array[]>(keys.slice(i, i + 10));
    for (const g of got) {
      if (!g.value) return null; // half-written: recompute
      parts.push(g.value);
    }
  }
  const all = new Uint8Array(meta.bytes);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  try {
    return JSON.parse(strFromU8(gunzipSync(all))) as T;
  } catch {
    return null;
  }
}

/** Stores the value for the run under this hash and drops the chunks of the previous one. */
export async function writeCached(runId: string, hash: string, value: unknown): Promise<void> {
  const kv = await getKv();
  const gz = gzipSync(strToU8(JSON.stringify(value)), { level: 6 });
  const chunks = Math.max(1, Math.ceil(gz.length / CHUNK));
  const prev = (await kv.get<Meta>(["evaluation", "result", runId])).value;
  for (let i = 0; i < chunks; i += 8) {
    let op = kv.atomic();
    for (let j = i; j < Math.min(chunks, i + 8); j++) {
      op = op.set(["evaluation", "chunk", runId, hash, j], gz.slice(j * CHUNK, (j + 1) * CHUNK));
    }
    await op.commit();
  }
  await kv.set(
    ["evaluation", "result", runId],
    {
      hash,
      chunks,
      bytes: gz.length,
      at: Date.now(),
    } satisfies Meta,
  );
  if (prev && prev.hash !== hash) await dropChunks(kv, runId, prev.hash);
}

async function dropChunks(kv: Deno.Kv, runId: string, hash: string): Promise<void> {
  for await (const e of kv.list({ prefix: ["evaluation", "chunk", runId, hash] })) {
    await kv.delete(e.key);
  }
}

/** Forgets a run's cached evaluation (its files were deleted, or a test wants a fresh one). */
export async function dropCached(runId: string): Promise<void> {
  const kv = await getKv();
  const meta = (await kv.get<Meta>(["evaluation", "result", runId])).value;
  if (meta) await dropChunks(kv, runId, meta.hash);
  await kv.delete(["evaluation", "result", runId]);
}
