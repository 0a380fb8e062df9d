/**
 * Deno KV, opened once per process. Locally it is a SQLite file in the data dir; tests use
 * `setKv(await Deno.openKv(":memory:"))`.
 */
import type { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";

/**
 * The longest string a request may put into one key part. Deno KV refuses keys over 2 KiB with
 * "Key too large", which would otherwise surface as a 500.
 */
export const MAX_KEY_PART_BYTES = 1024;

/**
 * Returns `value` when it fits in a KV key; otherwise a 400 naming `field` and the limit
 * (`maxChars` characters, and never more than MAX_KEY_PART_BYTES bytes).
 */
export function checkKeyPart(field: string, value: string, maxChars?: number): string {
  const bytes = new TextEncoder().encode(value).length;
  if ((maxChars !== undefined && value.length > maxChars) || bytes > MAX_KEY_PART_BYTES) {
    const limit = maxChars !== undefined
      ? `${Math.min(maxChars, MAX_KEY_PART_BYTES)} characters`
      : `${MAX_KEY_PART_BYTES} bytes`;
    const message = `must be at most ${limit} (it has ${
      maxChars !== undefined ? `${value.length} characters` : `${bytes} bytes`
    })`;
    throw new BadRequestError(`The ${field} is too long: it ${message}.`, [
      { path: field, message },
    ]);
  }
  return value;
}

let kv: Deno.Kv | null = null;
let opening: Promise<Deno.Kv> | null = null;

/** Opens the KV store at `path` (idempotent; the first path wins). */
export function openKv(path?: string): Promise<Deno.Kv> {
  if (kv) return Promise.resolve(kv);
  opening ??= Deno.openKv(path).then((k) => (kv = k));
  return opening;
}

/** The open KV store; throws if `openKv` was not called. */
export async function getKv(): Promise<Deno.Kv> {
  if (kv) return kv;
  if (opening) return await opening;
  throw new Error("KV store is not open: call openKv() at start-up.");
}

/** Replaces the store (tests). */
export function setKv(k: Deno.Kv): void {
  kv = k;
  opening = Promise.resolve(k);
}

/** Closes the store. */
export function closeKv(): void {
  kv?.close();
  kv = null;
  opening = null;
}

/**
 * A tiny typed repository over one key prefix: values are validated with a zod schema when
 * read, so a record written by an older version fails loudly instead of rendering garbage.
 */
export class Repo<T> {
  constructor(
    private readonly kv: Deno.Kv,
    readonly prefix: Deno.KvKey,
    private readonly schema: z.ZodType<T>,
  ) {}

  /** One record, or null. */
  async get(id: Deno.KvKeyPart): Promise<T | null> {
    const r = await this.kv.get(this.#key(id));
    return r.value === null ? null : this.schema.parse(r.value);
  }

  /** Writes a record (validated first). */
  async put(id: Deno.KvKeyPart, value: T): Promise<void> {
    await this.kv.set(this.#key(id), this.schema.parse(value));
  }

  /** Deletes a record. */
  async delete(id: Deno.KvKeyPart): Promise<void> {
    await this.kv.delete(this.#key(id));
  }

  #key(id: Deno.KvKeyPart): Deno.KvKey {
    return [...this.prefix, typeof id === "string" ? checkKeyPart("id", id) : id];
  }

  /** Records in key order (or reverse), at most `limit`. */
  async list(opts: { limit?: number; reverse?: boolean } = {}): Promise<T[]> {
    const out: T[] = [];
    for await (const e of this.kv.list({ prefix: [...this.prefix] }, opts)) {
      out.push(this.schema.parse(e.value));
    }
    return out;
  }
}

/**
 * Stores a new record under `recordKey` unless its idempotency token (`tokenKey` → id) was
 * claimed before; token and record are written in one atomic step, so a double submit finds the
 * first record (through `read`) instead of storing a second. `busy` is the error text when
 * concurrent writers keep winning.
 */
export async function createOnce<T>(
  keys: { record: Deno.KvKey; token: Deno.KvKey },
  id: string,
  value: T,
  read: (id: string) => Promise<T | null>,
  busy: string,
): Promise<{ value: T; existing: boolean }> {
  const kv = await getKv();
  for (let attempt = 0; attempt < 20; attempt++) {
    const tok = await kv.get<string>(keys.token);
    if (tok.value) {
      const prev = await read(tok.value);
      if (prev) return { value: prev, existing: true };
    }
    const res = await kv.atomic()
      .check(tok)
      .check({ key: keys.record, versionstamp: null })
      .set(keys.token, id)
      .set(keys.record, value)
      .commit();
    if (res.ok) return { value, existing: false };
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
  }
  throw new Error(busy);
}
