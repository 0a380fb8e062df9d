/**
 * Where the evaluation readers (eval_files.ts) get their files: a port with the local disk as
 * its default implementation (the CLI, the metric tests), JSON and PNG reading that names the
 * file in every failure, and the read-ahead that keeps images in a fixed order.
 */
import * as nodePath from "node:path";
import { MetricsInputError } from "./input_error.ts";
import { HttpError } from "../errors.ts";
import { type DecodedPng, decodePng } from "../image/png.ts";

/**
 * Where evaluation inputs are read from. `readBytes`, `stat` and `listPngs` throw a
 * MetricsInputError naming the path when it is missing or unreadable (other failures, such as a
 * workspace that does not answer, are thrown as they are); `decodePng` throws an Error saying
 * what is wrong with the bytes (the caller adds the file's name).
 */
export interface EvalSource {
  readBytes(path: string): Promise<Uint8Array>;
  stat(path: string): Promise<{ isDirectory: boolean }>;
  /** Names (not paths) of the PNG files directly in `dir`, sorted. */
  listPngs(dir: string): Promise<string[]>;
  decodePng(bytes: Uint8Array): Promise<DecodedPng>;
  /** Path joins for this source's paths: node:path on disk, node:path/posix on volumes. */
  path: Pick<typeof nodePath.posix, "join" | "resolve" | "dirname" | "basename" | "extname">;
  /** How many images are read ahead of the one being scored (default 1: none). */
  readAhead?: number;
}

function ioProblem(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "file not found";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory, expected a file";
  return (e as Error).message;
}

const onDisk = <T>(path: string, p: Promise<T>): Promise<T> =>
  p.catch((e) => {
    throw new MetricsInputError(path, "", ioProblem(e));
  });

/** The local disk, decoding on the calling thread (the CLI and tests). */
export const diskSource: EvalSource = {
  readBytes: (path) => onDisk(path, Deno.readFile(path)),
  stat: (path) => onDisk(path, Deno.stat(path)),
  listPngs: (dir) =>
    onDisk(
      dir,
      (async () => {
        const out: string[] = [];
        for await (const e of Deno.readDir(dir)) {
          if (e.isFile && nodePath.extname(e.name).toLowerCase() === ".png") out.push(e.name);
        }
        return out.sort();
      })(),
    ),
  decodePng: (bytes) => Promise.resolve().then(() => decodePng(bytes)),
  path: nodePath,
};

/** Parses JSON bytes read from `path`; a syntax error names the file. */
export function parseJsonBytes(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new MetricsInputError(path, "", `invalid JSON (${(e as Error).message})`);
  }
}

/** Reads and parses a JSON file, turning I/O and syntax errors into MetricsInputError. */
export async function readJsonFile(path: string, src: EvalSource = diskSource): Promise<unknown> {
  return parseJsonBytes(await src.readBytes(path), path);
}

async function readPng(src: EvalSource, path: string): Promise<DecodedPng> {
  const bytes = await src.readBytes(path);
  try {
    return await src.decodePng(bytes);
  } catch (e) {
    // a decoder that is stopped or overloaded is the server's problem, not the file's
    if (e instanceof HttpError && e.status >= 500) throw e;
    throw new MetricsInputError(path, "", (e as Error).message);
  }
}

/** Reads and decodes PNGs `paths` together; a failure is that of the first failing path. */
export function readPngs(src: EvalSource, paths: string[]): Promise<DecodedPng[]> {
  const all = paths.map((p) => readPng(src, p));
  all.forEach((p) => p.catch(() => {})); // the ones not awaited after a failure
  return (async () => {
    const out: DecodedPng[] = [];
    for (const p of all) out.push(await p);
    return out;
  })();
}

/** Gives the event loop a turn when more than 10 ms of work ran since the last one. */
export function breather(): () => Promise<void> {
  let turn = performance.now();
  return async () => {
    if (performance.now() - turn <= 10) return;
    await new Promise((res) => setTimeout(res, 0));
    turn = performance.now();
  };
}

/**
 * Runs `load` on up to `width` items at once and `score` on the results strictly in the items'
 * order, so what accumulates (and the first error reported) never depends on which read
 * finished first.
 */
export async function inOrder<T, R>(
  items: T[],
  width: number,
  load: (t: T) => Promise<R>,
  score: (r: R, t: T) => void | Promise<void>,
): Promise<void> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && pending.length < Math.max(1, width)) {
      const p = load(items[next++]);
      p.catch(() => {}); // a rejection is seen when its turn comes, or not at all after one
      pending.push(p);
    }
  };
  for (let i = 0; i < items.length; i++) {
    fill();
    const r = await pending.shift()!;
    fill(); // the next reads run while this one is scored
    await score(r, items[i]);
  }
}
