/**
 * Scan results cached by content: the key hashes the annotation files' bytes and the folder
 * listings, so an unchanged dataset is never scanned twice and a changed one always is.
 */
import { gunzipSync, gzipSync } from "fflate";
import type { ScanResult } from "./types.ts";

/** Where scan results are kept (injected: memory in tests and the CLI, KV in the server). */
export interface ScanCache {
  get(key: string): Promise<ScanResult | null>;
  set(key: string, result: ScanResult): Promise<void>;
}

/** A small in-process LRU. */
export class MemoryScanCache implements ScanCache {
  private readonly map = new Map<string, ScanResult>();
  constructor(private readonly max = 16) {}
  get(key: string): Promise<ScanResult | null> {
    const r = this.map.get(key);
    if (r) {
      this.map.delete(key);
      this.map.set(key, r);
    }
    return Promise.resolve(r ?? null);
  }
  set(key: string, result: ScanResult): Promise<void> {
    this.map.set(key, result);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    return Promise.resolve();
  }
}

const CHUNK = 60 * 1024; // Deno KV values are limited to 64 KiB

/**
 * Deno KV storage: gzip'd JSON split into 60 KiB chunks; the `meta` entry is written last, so a
 * partly written result is never read back.
 */
export class KvScanCache implements ScanCache {
  constructor(
    private readonly kv: Deno.Kv,
    private readonly prefix: Deno.KvKey = ["eda", "scan"],
    private readonly expireIn = 30 * 24 * 3600 * 1000,
  ) {}

  async get(key: string): Promise<ScanResult | null> {
    const meta = await this.kv.get<{ chunks: number; bytes: number }>([
      ...this.prefix,
      key,
      "meta",
    ]);
    if (!meta.value) return null;
    const out = new Uint8Array(meta.value.bytes);
    let off = 0;
    for await (const e of this.kv.list<Uint8Array>({ prefix: [...this.prefix, key, "chunk"] })) {
      out.set(e.value, off);
      off += e.value.length;
    }
    if (off !== meta.value.bytes) return null;
    return JSON.parse(new TextDecoder().decode(gunzipSync(out)));
  }

  async set(key: string, result: ScanResult): Promise<void> {
    const z = gzipSync(new TextEncoder().encode(JSON.stringify(result)));
    const chunks = Math.ceil(z.length / CHUNK);
    for (let i = 0; i < chunks; i += 8) {
      const op = this.kv.atomic();
      for (let j = i; j < Math.min(chunks, i + 8); j++) {
        op.set([...this.prefix, key, "chunk", j], z.subarray(j * CHUNK, (j + 1) * CHUNK), {
          expireIn: this.expireIn,
        });
      }
      await op.commit();
    }
    await this.kv.set([...this.prefix, key, "meta"], { chunks, bytes: z.length }, {
      expireIn: this.expireIn,
    });
  }
}
