/**
 * Where the evaluation readers (eval_files.ts) get their files: a port with the local disk as
 * its default implementation (the CLI, the metric tests), JSON and label-map reading that names
 * the file in every failure, and the read-ahead that keeps images in a fixed order and bounds the
 * decoded bytes it holds (a ByteBudget).
 */
import * as nodePath from "node:path";
import { MetricsInputError } from "./input_error.ts";
import { HttpError } from "../errors.ts";
import { MAX_DECODE_PIXELS } from "../image/budget.ts";
import { parseImageHeader } from "../data/image_header.ts";
import {
  type ClassMap,
  decodeClassMap,
  decodePanopticMap,
  type PanopticMap,
} from "../image/label_maps.ts";

/**
 * Where evaluation inputs are read from. `readBytes`, `stat` and `listPngs` throw a
 * MetricsInputError naming the path when it is missing or unreadable (other failures, such as a
 * workspace that does not answer, are thrown as they are); `classMap` and `panopticMap` decode
 * PNG bytes into one id per pixel (label_maps.ts: classIndexMap, panopticIdMap) and throw an
 * Error saying what is wrong with them (the caller adds the file's name).
 */
export interface EvalSource {
  readBytes(path: string): Promise<Uint8Array>;
  stat(path: string): Promise<{ isDirectory: boolean }>;
  /** Names (not paths) of the PNG files directly in `dir`, sorted. */
  listPngs(dir: string): Promise<string[]>;
  /** A class-index PNG as class ids (Uint16Array, 2 bytes a pixel). */
  classMap(bytes: Uint8Array): Promise<ClassMap>;
  /** A COCO panoptic PNG as segment ids (Uint32Array, 4 bytes a pixel). */
  panopticMap(bytes: Uint8Array): Promise<PanopticMap>;
  /** Path joins for this source's paths: node:path on disk, node:path/posix on volumes. */
  path: Pick<typeof nodePath.posix, "join" | "resolve" | "dirname" | "basename" | "extname">;
  /** How many images are read ahead of the one being scored (default 1: none). */
  readAhead?: number;
  /**
   * The decoded bytes images read ahead may hold together, the one being scored included (it
   * may be shared by several evaluations); default: a budget of READ_AHEAD_BYTES per evaluation.
   */
  memory?: ByteBudget;
}

/** Decoded bytes an evaluation's read-ahead holds at most when its source sets no budget. */
export const READ_AHEAD_BYTES = 256 * 1024 * 1024;

/**
 * Bytes that may be held at once, handed out first come, first served: a request waits until it
 * fits beside what is held, or until nothing is held (so one request always runs, however large).
 * A request at the head of the line is never overtaken by a smaller one behind it.
 */
export class ByteBudget {
  #held = 0;
  #waiting: { bytes: number; grant: () => void }[] = [];

  constructor(readonly limit: number) {
    if (!(limit > 0)) throw new Error(`a byte budget must be positive, got ${limit}`);
  }

  /** Bytes handed out and not yet released. */
  get held(): number {
    return this.#held;
  }

  /** Resolves once `bytes` are granted; rejects with the signal's reason if it aborts first. */
  acquire(bytes: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const entry = {
        bytes,
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(entry);
        if (i < 0) return;
        this.#waiting.splice(i, 1);
        reject(signal!.reason);
        this.#grant(); // the head may have changed
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(entry);
      this.#grant();
    });
  }

  /** Gives back bytes an acquire was granted. */
  release(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
    this.#grant();
  }

  #grant(): void {
    while (this.#waiting.length) {
      const head = this.#waiting[0];
      if (this.#held > 0 && this.#held + head.bytes > this.limit) return;
      this.#waiting.shift();
      this.#held += head.bytes;
      head.grant();
    }
  }
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
  classMap: (bytes) => Promise.resolve().then(() => decodeClassMap(bytes)),
  panopticMap: (bytes) => Promise.resolve().then(() => decodePanopticMap(bytes)),
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

/** One file's bytes, or why they could not be read. */
export type FileRead = { bytes: Uint8Array; error?: undefined } | {
  bytes?: undefined;
  error: unknown;
};

/** Reads `paths` together; every outcome is kept, so the first failure in order is reported. */
export function readFiles(src: EvalSource, paths: string[]): Promise<FileRead[]> {
  return Promise.all(
    paths.map((p) => src.readBytes(p).then((bytes) => ({ bytes }), (error) => ({ error }))),
  );
}

/**
 * The bytes `bytesPerPixel`-byte id maps of these files will take, from their PNG headers: only
 * the files before the first failed read are decoded, and a header over the pixel budget (or none
 * at all) is refused before anything is allocated, so it costs nothing.
 */
export function mapBytes(reads: FileRead[], bytesPerPixel: number): number {
  let n = 0;
  for (const r of reads) {
    if (!r.bytes) break;
    const h = parseImageHeader(r.bytes.subarray(0, 64));
    if (h && h !== "need-more" && h.kind === "png") {
      const px = h.width * h.height;
      if (px <= MAX_DECODE_PIXELS) n += px * bytesPerPixel;
    }
  }
  return n;
}

/**
 * Decodes files read by readFiles with `decode`, together; the failure reported is that of the
 * first failing path in order, whether its read or its decode failed. A decode error becomes a
 * MetricsInputError naming the file; a decoder that is stopped or overloaded (an HttpError of
 * 500 or more) is the server's problem, not the file's, and is thrown as it is.
 */
export function decodeFiles<M>(
  reads: FileRead[],
  paths: string[],
  decode: (bytes: Uint8Array) => Promise<M>,
): Promise<M[]> {
  const stop = reads.findIndex((r) => !r.bytes);
  const todo = stop < 0 ? reads : reads.slice(0, stop);
  const all = todo.map(async (r, i) => {
    try {
      return await decode(r.bytes!);
    } catch (e) {
      if (e instanceof HttpError && e.status >= 500) throw e;
      throw new MetricsInputError(paths[i], "", (e as Error).message);
    }
  });
  all.forEach((p) => p.catch(() => {})); // the ones not awaited after a failure
  return (async () => {
    const out: M[] = [];
    for (const p of all) out.push(await p);
    if (stop >= 0) throw reads[stop].error;
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

/** The steps inOrder runs on each item. */
export interface Steps<T, P, R> {
  /** The cheap part (reading the files), started up to `width` items ahead. */
  read(t: T): Promise<P>;
  /** The bytes `decode`'s result holds until the item is scored. */
  cost(p: P, t: T): number;
  /** The costly part, started once its cost fits the budget. */
  decode(p: P, t: T): Promise<R>;
  /** Run strictly in the items' order. */
  score(r: R, t: T): void | Promise<void>;
}

/**
 * Reads up to `width` items ahead of the one being scored and decodes each once its cost fits
 * `budget` (items are admitted in order; one always runs, however large), then scores the
 * results strictly in the items' order, so what accumulates (and the first error reported)
 * never depends on which read finished first. An item's bytes are held from its admission until
 * it is scored; when the run stops early, until its decode has settled.
 */
export async function inOrder<T, P, R>(
  items: T[],
  width: number,
  budget: ByteBudget,
  steps: Steps<T, P, R>,
): Promise<void> {
  const stopped = new AbortController();
  const held = new Map<number, { bytes: number; decoded: Promise<unknown> }>();
  let admitted: Promise<unknown> = Promise.resolve();
  const start = (i: number): Promise<R> => {
    const t = items[i];
    const read = steps.read(t);
    read.catch(() => {});
    const prev = admitted;
    const admit = (async () => {
      await prev; // admissions go in the items' order
      const p = await read;
      const bytes = steps.cost(p, t);
      await budget.acquire(bytes, stopped.signal);
      if (stopped.signal.aborted) {
        budget.release(bytes);
        throw stopped.signal.reason;
      }
      let decoded: Promise<R>;
      try {
        decoded = steps.decode(p, t);
      } catch (e) {
        decoded = Promise.reject(e); // held until its turn all the same
      }
      held.set(i, { bytes, decoded: decoded.catch(() => {}) });
      return { decoded };
    })();
    admitted = admit.then(() => {}, () => {}); // the next item's turn, once this one is in
    const done = admit.then((a) => a.decoded);
    done.catch(() => {}); // a rejection is seen when its turn comes, or not at all after one
    return done;
  };
  const pending: Promise<R>[] = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && pending.length < Math.max(1, width)) {
      pending.push(start(next++));
    }
  };
  try {
    for (let i = 0; i < items.length; i++) {
      fill();
      const r = await pending.shift()!;
      fill(); // the next reads run while this one is scored
      await steps.score(r, items[i]);
      const h = held.get(i);
      held.delete(i);
      if (h) budget.release(h.bytes);
    }
  } finally {
    stopped.abort(new Error("the evaluation stopped"));
    for (const h of held.values()) h.decoded.finally(() => budget.release(h.bytes));
  }
}
