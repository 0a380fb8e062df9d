/**
 * Differences between two config versions: field by field (what changed, for the history
 * list) and line by line (for the side-by-side YAML view). Browser-safe.
 */

import { SECTION_KEYS } from "./fields.ts";
import type { ConfigDoc } from "./schema.ts";
import { isObject } from "./validate.ts";

export interface FieldChange {
  /** Dotted path, e.g. `model.learning_rate`. */
  path: string;
  kind: "added" | "removed" | "changed";
  before?: unknown;
  after?: unknown;
}

/** Leaves of a document by dotted path; lists are compared whole. */
export function flatten(doc: unknown, prefix = "", out = new Map<string, unknown>()) {
  if (isObject(doc)) {
    const keys = Object.keys(doc);
    if (keys.length === 0 && prefix) out.set(prefix, {});
    for (const k of keys) flatten(doc[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, doc);
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sectionRank(path: string): number {
  const i = (SECTION_KEYS as readonly string[]).indexOf(path.split(".")[0]);
  return i === -1 ? SECTION_KEYS.length : i;
}

/** Field-level changes from `before` to `after`, in section order. */
export function diffConfigs(before: ConfigDoc, after: ConfigDoc): FieldChange[] {
  const a = flatten(before), b = flatten(after);
  const changes: FieldChange[] = [];
  for (const [path, v] of a) {
    if (!b.has(path)) changes.push({ path, kind: "removed", before: v });
    else if (!same(v, b.get(path))) {
      changes.push({ path, kind: "changed", before: v, after: b.get(path) });
    }
  }
  for (const [path, v] of b) if (!a.has(path)) changes.push({ path, kind: "added", after: v });
  const order = [...a.keys(), ...[...b.keys()].filter((k) => !a.has(k))];
  return changes.sort((x, y) =>
    sectionRank(x.path) - sectionRank(y.path) || order.indexOf(x.path) - order.indexOf(y.path)
  );
}

export interface DiffRow {
  kind: "same" | "changed" | "removed" | "added";
  /** 1-based line number and text on the left (older) side. */
  left?: { n: number; text: string };
  right?: { n: number; text: string };
}

/** Most lines compared with the exact LCS; longer texts fall back to a line-by-line pairing. */
const MAX_LCS_LINES = 3000;

/**
 * Aligns two YAML texts for a side-by-side view (longest common subsequence of lines;
 * neighbouring removed+added lines are paired as "changed").
 */
export function lineDiff(beforeText: string, afterText: string): DiffRow[] {
  const a = beforeText.replace(/\n$/, "").split("\n");
  const b = afterText.replace(/\n$/, "").split("\n");
  if (a.length > MAX_LCS_LINES || b.length > MAX_LCS_LINES) return pairwise(a, b);
  const n = a.length, m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const rows: DiffRow[] = [];
  let i = 0, j = 0;
  const removed: number[] = [], added: number[] = [];
  const flush = () => {
    const k = Math.max(removed.length, added.length);
    for (let x = 0; x < k; x++) {
      const l = removed[x], r = added[x];
      rows.push({
        kind: l !== undefined && r !== undefined
          ? "changed"
          : l !== undefined
          ? "removed"
          : "added",
        left: l !== undefined ? { n: l + 1, text: a[l] } : undefined,
        right: r !== undefined ? { n: r + 1, text: b[r] } : undefined,
      });
    }
    removed.length = 0;
    added.length = 0;
  };
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      flush();
      rows.push({ kind: "same", left: { n: i + 1, text: a[i] }, right: { n: j + 1, text: b[j] } });
      i++, j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      added.push(j++);
    } else {
      removed.push(i++);
    }
  }
  flush();
  return rows;
}

function pairwise(a: string[], b: string[]): DiffRow[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, k) => {
    const l = a[k], r = b[k];
    return {
      kind: l === r ? "same" : l === undefined ? "added" : r === undefined ? "removed" : "changed",
      left: l !== undefined ? { n: k + 1, text: l } : undefined,
      right: r !== undefined ? { n: k + 1, text: r } : undefined,
    } as DiffRow;
  });
}
