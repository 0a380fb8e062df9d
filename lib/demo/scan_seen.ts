/**
 * What the scan cache says for the Overview's "Scan its dataset" step: the newest scan, and
 * whether one of the last few read a given config's dataset.
 */
import { KvScanCache } from "@/lib/data/cache.ts";
import type { ScanResult } from "@/lib/data/types.ts";

/** What the scan cache shows: the newest result, or only that results exist. */
export interface ScanSeen {
  result: ScanResult | null;
  any: boolean;
  /** The next newest scans' keys, newest first, to look a little further back. */
  older: string[];
  cache: KvScanCache;
}

/**
 * Whether a scan read one of these dataset paths (a config's annotation files or split folders):
 * a source that is the path, or lies inside it (a mask split's images/ and masks/ folders).
 */
export function scanCovers(scan: ScanResult, paths: readonly string[]): boolean {
  const read = scan.splits.flatMap((s) => s.sources.map((p) => p.replace(/\/+$/, "")));
  return paths.some((p) => read.some((r) => r === p || r.startsWith(`${p}/`)));
}

/** The newest of the latest few scans that read the config's dataset, or null. */
export async function scanOf(seen: ScanSeen, paths: readonly string[]): Promise<ScanResult | null> {
  if (seen.result && scanCovers(seen.result, paths)) return seen.result;
  for (const key of seen.older) {
    const r = await seen.cache.get(key).catch(() => null);
    if (r && scanCovers(r, paths)) return r;
  }
  return null;
}

/**
 * The newest cached scan result. KV versionstamps grow with every write, so the highest meta
 * entry marks the latest scan; only that result is read. The listing also returns the cached
 * chunks' bytes, so it stops after a bounded number of entries.
 */
export async function latestScan(kv: Deno.Kv, maxEntries = 200): Promise<ScanSeen> {
  const metas: { key: string; stamp: string }[] = [];
  let n = 0;
  for await (const e of kv.list({ prefix: ["eda", "scan"] })) {
    if (e.key.length === 4 && e.key[3] === "meta") {
      metas.push({ key: String(e.key[2]), stamp: e.versionstamp });
    }
    if (++n >= maxEntries) break;
  }
  // versionstamps are hex strings of one length: the greatest is the newest write
  metas.sort((a, b) => (a.stamp < b.stamp ? 1 : a.stamp > b.stamp ? -1 : 0));
  const cache = new KvScanCache(kv);
  const result = metas[0] ? await cache.get(metas[0].key).catch(() => null) : null;
  return { result, any: n > 0, older: metas.slice(1, 5).map((m) => m.key), cache };
}
