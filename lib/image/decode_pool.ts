/**
 * Image decodes off the request thread. A decode is synchronous CPU work: a 40-megapixel PNG
 * takes seconds, during which the server answers nobody. So every request path decodes through
 * here: the header is checked against the pixel budget first, on the calling thread (an image
 * over it is a 422 at once, nothing spawned or allocated); small images (up to
 * INLINE_MAX_PIXELS) decode in-thread, faster than a round trip; the rest go to a small pool of
 * Deno workers. Label images come back as what their callers use (a class or segment id map,
 * pixel counts), computed in the worker and transferred, so no per-pixel pass is left to the
 * request thread. Workers start on first use and stop after IDLE_MS without work, so a CLI that
 * decoded something can still exit; a decode that runs past its deadline has its worker
 * terminated.
 *
 * Where no worker can start (a runtime without `Worker`, or one whose workers fail to load) the
 * pool says so once in the log and decodes on the calling thread instead, one decode per turn of
 * the event loop, under the same budget, queue limit and deadline (a decode that cannot be
 * interrupted is still refused when it ran past it); it tries a worker again after
 * WORKER_RETRY_MS.
 */
import { HttpError } from "@/lib/errors.ts";
import { checkImageBytes, ImageTooLargeError } from "./budget.ts";
import { type DecodeRequest, type DecodeResults, runDecode } from "./decode_ops.ts";
import type { ClassCounts, ClassMap, PanopticMap, SegmentAreas } from "./label_maps.ts";
import type { DecodedPng } from "./png.ts";
import type { RgbaImage } from "./rgba.ts";

export type { DecodeRequest, DecodeResults };

/** Images with at most this many pixels decode on the calling thread (≈ 10 ms). */
export const INLINE_MAX_PIXELS = 1_000_000;
/** Workers in the pool: enough to overlap decodes, never all the cores. */
export const POOL_SIZE = Math.max(1, Math.min(2, (navigator.hardwareConcurrency ?? 2) - 1));
/** A decode running longer than this is stopped (its worker terminated) with a 422. */
export const DECODE_TIMEOUT_MS = 30_000;
/** Workers stop after this long without work. */
export const IDLE_MS = 10_000;
/** Decodes that may wait for a worker; more are refused with a 503 rather than queued. */
export const MAX_QUEUED = 256;
/** After a worker failed to start, decodes run in-thread this long before one is tried again. */
export const WORKER_RETRY_MS = 60_000;

type Op = DecodeRequest["op"];
type Timer = ReturnType<typeof setTimeout>;

interface Job {
  id: number;
  req: DecodeRequest;
  resolve: (v: DecodeResults[Op]) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  /** The worker said its modules loaded; an error before that means it could not start. */
  ready: boolean;
  timer?: Timer;
}

let nextId = 1;
const slots: Slot[] = [];
const queue: Job[] = [];
let idleTimer: Timer | undefined;
/** Test hook: the pixel count below which decodes stay in-thread. */
let inlineMax = INLINE_MAX_PIXELS;
/** Test hook: the deadline of one decode. */
let timeoutMs = DECODE_TIMEOUT_MS;
/** Test hook: how a worker is made. */
let makeWorker: () => Worker = defaultWorker;
/** Until this time (performance.now()), decodes run in-thread: a worker failed to start. */
let noWorkersUntil = -Infinity;
let warned = false;
/** The next in-thread decode, when workers cannot start. */
let inThreadTimer: Timer | undefined;

function defaultWorker(): Worker {
  const W = (globalThis as { Worker?: typeof Worker }).Worker;
  if (typeof W !== "function") throw new Error("this runtime offers no Worker");
  return new W(new URL("./decode_worker.ts", import.meta.url), { type: "module" });
}

/** RGBA pixels of a JPEG or PNG photo (e.g. an upload for a model), decoded off-thread. */
export function decodeImageOffThread(bytes: Uint8Array, what: string): Promise<RgbaImage> {
  return submit({ op: "rgba", bytes, what });
}

/** A sample-exact PNG decode (class-id and panoptic masks), off-thread. */
export function decodePngOffThread(bytes: Uint8Array, what: string): Promise<DecodedPng> {
  return submit({ op: "png", bytes, what });
}

/** A class-index PNG's class id per pixel (classIndexMap), computed off-thread. */
export function classMapOffThread(bytes: Uint8Array, what: string): Promise<ClassMap> {
  return submit({ op: "classMap", bytes, what });
}

/** A COCO panoptic PNG's segment id per pixel (panopticIdMap), computed off-thread. */
export function panopticMapOffThread(bytes: Uint8Array, what: string): Promise<PanopticMap> {
  return submit({ op: "panopticMap", bytes, what });
}

/** A class-id mask PNG's pixel count per value (for dataset scans), off-thread. */
export function classCountsOffThread(bytes: Uint8Array, what: string): Promise<ClassCounts> {
  return submit({ op: "classCounts", bytes, what });
}

/** A COCO panoptic PNG's pixel count per segment id (for dataset scans), off-thread. */
export function segmentAreasOffThread(bytes: Uint8Array, what: string): Promise<SegmentAreas> {
  return submit({ op: "segmentAreas", bytes, what });
}

/** A class-id mask PNG as a translucent overlay in the class colours (lib/data/colors.ts). */
export function colorizeMaskOffThread(bytes: Uint8Array, what: string): Promise<Uint8Array> {
  return submit({ op: "colorize", bytes, what });
}

/** A JPEG thumbnail (longer side ≤ `size`) of a JPEG or PNG photo, off-thread. */
export function thumbnailOffThread(
  bytes: Uint8Array,
  size: number,
  what: string,
): Promise<Uint8Array> {
  return submit({ op: "thumbnail", bytes, what, size });
}

/** Stops every worker and fails queued decodes; the next decode starts the pool again. */
export function closeDecodePool(): void {
  clearTimeout(idleTimer);
  idleTimer = undefined;
  clearTimeout(inThreadTimer);
  inThreadTimer = undefined;
  for (const s of slots.splice(0)) {
    clearTimeout(s.timer);
    s.worker.terminate();
    s.job?.reject(new HttpError(503, "Image decoding was stopped."));
  }
  for (const j of queue.splice(0)) j.reject(new HttpError(503, "Image decoding was stopped."));
}

/** Pool state, for tests and health pages; `inThread` while no worker can start. */
export function decodePoolStats(): {
  workers: number;
  busy: number;
  queued: number;
  inThread: boolean;
} {
  return {
    workers: slots.length,
    busy: slots.filter((s) => s.job).length,
    queued: queue.length,
    inThread: workersDown(),
  };
}

/** Test hook: sets the in-thread limit (0 sends every decode to a worker); returns the old one. */
export function setInlineMaxPixels(n: number): number {
  const old = inlineMax;
  inlineMax = n;
  return old;
}

/** Test hook: sets the deadline of one decode in ms; returns the old one. */
export function setDecodeTimeoutMs(ms: number): number {
  const old = timeoutMs;
  timeoutMs = ms;
  return old;
}

/**
 * Test hook: how workers are made (null: the real decode worker). Also forgets an earlier
 * start-up failure and its warning, so the next decode tries a worker again.
 */
export function setWorkerFactory(make: (() => Worker) | null): void {
  makeWorker = make ?? defaultWorker;
  noWorkersUntil = -Infinity;
  warned = false;
}

function submit<K extends Op>(req: DecodeRequest & { op: K }): Promise<DecodeResults[K]> {
  let h;
  try {
    h = checkImageBytes(req.bytes, req.what); // over budget: a 422 now, nothing allocated
  } catch (e) {
    return Promise.reject(e);
  }
  // Small images, and bytes too short to hide a big one, are cheaper to decode right here.
  if (h ? h.width * h.height <= inlineMax : req.bytes.length <= 256 * 1024) {
    try {
      return Promise.resolve(runDecode(req) as DecodeResults[K]);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  if (queue.length >= MAX_QUEUED) {
    return Promise.reject(new HttpError(503, "Too many images are being decoded; try again."));
  }
  return new Promise<DecodeResults[K]>((resolve, reject) => {
    queue.push({
      id: nextId++,
      req,
      resolve: resolve as (v: DecodeResults[Op]) => void,
      reject,
    });
    pump();
  });
}

function pump(): void {
  clearTimeout(idleTimer);
  idleTimer = undefined;
  while (queue.length) {
    if (workersDown()) {
      scheduleInThread();
      break;
    }
    let slot = slots.find((s) => !s.job);
    if (!slot && slots.length < POOL_SIZE) slot = spawn() ?? undefined;
    if (!slot) {
      if (workersDown()) continue; // it could not start: the queue runs in-thread
      break;
    }
    assign(slot, queue.shift()!);
  }
  if (slots.every((s) => !s.job) && slots.length) {
    const timer = setTimeout(closeDecodePool, IDLE_MS);
    Deno.unrefTimer(timer);
    idleTimer = timer;
  }
}

function assign(s: Slot, job: Job): void {
  s.job = job;
  const timer = setTimeout(() => {
    retire(s);
    if (!s.ready) {
      // never started: not the image's fault, so it is decoded in-thread instead
      startFailed(`no answer within ${timeoutMs / 1000} s`);
      queue.unshift(job);
    } else job.reject(tooSlow(job));
    pump();
  }, timeoutMs);
  Deno.unrefTimer(timer);
  s.timer = timer;
  s.worker.postMessage({ id: job.id, req: job.req });
}

const tooSlow = (job: Job) =>
  new HttpError(422, `${job.req.what} took longer than ${timeoutMs / 1000} s to decode.`);

function workersDown(): boolean {
  return performance.now() < noWorkersUntil;
}

function startFailed(reason: string): void {
  noWorkersUntil = performance.now() + WORKER_RETRY_MS;
  if (warned) return;
  warned = true;
  console.warn(
    `Image decodes run on the request thread: a decode worker could not start (${reason}). ` +
      `A worker is tried again after ${WORKER_RETRY_MS / 1000} s.`,
  );
}

/** Runs the next queued decode in-thread on a later turn, so requests interleave with them. */
function scheduleInThread(): void {
  if (inThreadTimer !== undefined) return;
  inThreadTimer = setTimeout(() => {
    inThreadTimer = undefined;
    const job = queue.shift();
    if (job) {
      const t0 = performance.now();
      try {
        const value = runDecode(job.req);
        // it could not be stopped, but past its deadline it is refused as a worker's would be
        if (performance.now() - t0 > timeoutMs) job.reject(tooSlow(job));
        else job.resolve(value);
      } catch (e) {
        job.reject(e);
      }
    }
    pump();
  }, 0);
}

function spawn(): Slot | null {
  let worker: Worker;
  try {
    worker = makeWorker();
  } catch (e) {
    startFailed(e instanceof Error ? e.message : String(e));
    return null;
  }
  const slot: Slot = { worker, job: null, ready: false };
  worker.onmessage = (e: MessageEvent) => {
    const { id, value, error, ready } = e.data as {
      id: number;
      value?: DecodeResults[Op];
      error?: { message: string; status?: number; name?: string };
      ready?: boolean;
    };
    if (ready) {
      slot.ready = true;
      return;
    }
    const job = slot.job;
    if (!job || job.id !== id) return;
    clearTimeout(slot.timer);
    slot.job = null;
    if (error) job.reject(rebuild(error));
    else job.resolve(value!);
    pump();
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault(); // a crashed worker fails its decode, not the server
    const job = slot.job;
    retire(slot);
    if (!slot.ready) {
      startFailed(e.message);
      if (job) queue.unshift(job); // decoded in-thread instead
    } else job?.reject(new Error(`image decode worker failed: ${e.message}`));
    pump();
  };
  slots.push(slot);
  return slot;
}

function retire(slot: Slot): void {
  clearTimeout(slot.timer);
  slot.worker.terminate();
  slot.job = null;
  const i = slots.indexOf(slot);
  if (i >= 0) slots.splice(i, 1);
}

/** The worker's error as the same class on this side, so the error mapper shows its message. */
function rebuild(error: { message: string; status?: number; name?: string }): Error {
  if (error.name === "ImageTooLargeError") return new ImageTooLargeError(error.message);
  return error.status ? new HttpError(error.status, error.message) : new Error(error.message);
}
