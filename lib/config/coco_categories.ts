/**
 * A COCO annotation file's `categories`, and nothing else: the file is streamed and scanned for
 * the top-level key, the bytes of its list alone are kept and parsed, and reading stops as soon
 * as the list has been read. A file that lists its categories first costs a few KB whatever its
 * size; one that lists them after its images and annotations is read up to
 * `COCO_CATEGORIES_MAX_BYTES`, past which its categories count as unknown. Answers are kept per
 * file, size and modification time, so the editor's checks on each edit read a file once.
 * Server-only.
 */
import type { FileEntry, FilesApi } from "@/lib/workspace/types.ts";

/** How far into a file the categories are looked for (a COCO file's images come first). */
export const COCO_CATEGORIES_MAX_BYTES = 64 * 1024 * 1024;

/** One category as the training job reads it: an integer id and a name. */
export interface CocoCategoryRef {
  /** Null when the category has no integer id (the job refuses such a file). */
  id: number | null;
  name: string;
}

/** What the file says about its categories. */
export type CategoriesAnswer =
  | { kind: "found"; categories: CocoCategoryRef[] }
  /** The file is a JSON object without a `categories` list (or it is not a list). */
  | { kind: "missing" }
  /** Not known cheaply: too far into a large file, not JSON, or not readable. */
  | { kind: "unknown" };

const CACHE_MAX = 64;
const cache = new Map<string, CategoriesAnswer>();

const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a, COMMA = 0x2c;
const OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_LIST = 0x5b, CLOSE_LIST = 0x5d;
const KEY = new TextEncoder().encode("categories");

/**
 * The categories of the COCO file at `path`. `entry` (its stat) keys the cache; without a size
 * and modification time nothing is kept. Read errors answer "unknown": the data path checks
 * report a missing or unreadable file themselves.
 */
export async function readCocoCategories(
  files: FilesApi,
  path: string,
  entry?: FileEntry | null,
  maxBytes = COCO_CATEGORIES_MAX_BYTES,
): Promise<CategoriesAnswer> {
  const key = entry?.size !== undefined && entry.modifiedAt !== undefined
    ? `${path}\0${entry.size}\0${entry.modifiedAt}\0${maxBytes}`
    : null;
  const known = key ? cache.get(key) : undefined;
  if (known) return known;
  let answer: CategoriesAnswer;
  try {
    answer = await scan(await files.read(path), maxBytes);
  } catch {
    return { kind: "unknown" };
  }
  if (key) {
    cache.set(key, answer);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  return answer;
}

/** Scans a JSON stream for its top-level `categories` list; cancels the stream when done. */
async function scan(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<CategoriesAnswer> {
  const reader = stream.getReader();
  const s = new Scanner();
  let read = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return s.end();
      const found = s.feed(value);
      if (found) return found;
      read += value.length;
      if (read >= maxBytes) return { kind: "unknown" };
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * A byte-level walk of the JSON structure: nesting depth, strings (with escapes), and at depth 1
 * (inside the top-level object) which key each value belongs to. Only the `categories` list's
 * bytes are copied.
 */
class Scanner {
  depth = 0;
  started = false;
  inString = false;
  escaped = false;
  /** At depth 1, the next string is a key. */
  expectKey = false;
  /** Bytes of the key being read that matched `categories` so far; -1 when not reading a key. */
  keyLen = -1;
  keyMatch = false;
  /** The key whose value comes next is `categories`. */
  isCategories = false;
  afterColon = false;
  capturing = false;
  captured: Uint8Array[] = [];

  feed(buf: Uint8Array): CategoriesAnswer | null {
    let start = this.capturing ? 0 : -1;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.keyLen >= 0) {
            this.isCategories = this.keyMatch && this.keyLen === KEY.length;
            this.keyLen = -1;
            this.expectKey = false;
          }
          continue;
        }
        if (this.keyLen >= 0 && this.keyMatch) {
          if (this.keyLen < KEY.length && b === KEY[this.keyLen]) this.keyLen++;
          else this.keyMatch = false;
        }
        continue;
      }
      if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
      if (!this.started) {
        this.started = true;
        if (b === 0xef && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) { // byte order mark
          i += 2;
          this.started = false;
          continue;
        }
        if (b !== OPEN_OBJ) return { kind: "unknown" };
      }
      if (this.depth === 1 && this.afterColon) {
        this.afterColon = false;
        if (this.isCategories) {
          if (b !== OPEN_LIST) return { kind: "missing" };
          this.capturing = true;
          start = i;
        }
      }
      if (b === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && this.expectKey) {
          this.keyLen = 0;
          this.keyMatch = true;
        }
      } else if (b === OPEN_OBJ || b === OPEN_LIST) {
        this.depth++;
        if (this.depth === 1) this.expectKey = true;
      } else if (b === CLOSE_OBJ || b === CLOSE_LIST) {
        this.depth--;
        if (this.capturing && this.depth === 1) {
          this.captured.push(buf.subarray(start, i + 1));
          return this.parse();
        }
        if (this.depth === 0) return { kind: "missing" };
      } else if (this.depth === 1) {
        if (b === COMMA) this.expectKey = true;
        else if (b === COLON) this.afterColon = true;
      }
    }
    if (this.capturing) this.captured.push(buf.slice(start));
    return null;
  }

  end(): CategoriesAnswer {
    return { kind: "unknown" };
  }

  parse(): CategoriesAnswer {
    const bytes = new Uint8Array(this.captured.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.captured) {
      bytes.set(c, at);
      at += c.length;
    }
    let list: unknown;
    try {
      list = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return { kind: "unknown" };
    }
    if (!Array.isArray(list)) return { kind: "missing" };
    return {
      kind: "found",
      categories: list.map((c) => {
        const o = typeof c === "object" && c !== null ? c as Record<string, unknown> : {};
        const id = typeof o.id === "number" && Number.isInteger(o.id) ? o.id : null;
        return { id, name: typeof o.name === "string" ? o.name : String(o.id ?? "?") };
      }),
    };
  }
}
