/**
 * Id bookkeeping for a million records: duplicate detection by sorting and a flat id → index
 * table, both without a Map of doubles on the hot path.
 */

/** Ids that occur more than once (sorting a copy: no Map of a million entries). */
export function duplicateIds(ids: Float64Array, n: number): Set<number> {
  const s = ids.slice(0, n).sort();
  const dup = new Set<number>();
  for (let i = 1; i < n; i++) if (s[i] === s[i - 1] && Number.isFinite(s[i])) dup.add(s[i]);
  return dup;
}

/**
 * id → index. COCO ids are integers, usually dense: a flat table beats a Map of doubles by ~10× on
 * a million lookups. Falls back to a Map for sparse or non-integer ids.
 */
export class IdLookup {
  private table?: Int32Array;
  private base = 0;
  private map?: Map<number, number>;

  constructor(ids: ArrayLike<number>, n: number) {
    let min = Infinity, max = -Infinity, ints = true;
    for (let i = 0; i < n; i++) {
      const v = ids[i];
      if (!Number.isInteger(v)) ints = false;
      else {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (ints && n > 0 && max - min < Math.max(4 * n, 1 << 20) && max - min < 1 << 26) {
      this.base = min;
      this.table = new Int32Array(max - min + 1).fill(-1);
    } else this.map = new Map();
  }

  /** Registers `id` → `index`; false when the id was registered already. */
  set(id: number, index: number): boolean {
    if (this.table) {
      const k = id - this.base;
      if (this.table[k] !== -1) return false;
      this.table[k] = index;
      return true;
    }
    if (this.map!.has(id)) return false;
    this.map!.set(id, index);
    return true;
  }

  has(id: number): boolean {
    return this.get(id) >= 0;
  }

  /** Index of `id`, or -1. */
  get(id: number): number {
    if (this.table) {
      const k = id - this.base;
      return k >= 0 && k < this.table.length && Number.isInteger(k) ? this.table[k] : -1;
    }
    return this.map!.get(id) ?? -1;
  }
}
