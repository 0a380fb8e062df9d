/**
 * The scan job: resolve the dataset, read it with progress, validate, aggregate, cache by content.
 * Parsing yields to the event loop every ~25 ms and image checks are async, so a server can run
 * scans beside requests; an AbortSignal stops a scan between two steps.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import type { ScanCache } from "./cache.ts";
import type { DeltaTableReader } from "./delta.ts";
import { runDeltaScan } from "./delta_scan.ts";
import { checkCoco, imagePaths } from "./coco_check.ts";
import { parseCoco } from "./coco_parse.ts";
import { DatasetError, detectDataset, planFromPaths } from "./detect.ts";
import { checkFiles, type FileInfo, findLeakage, type SplitFiles } from "./files_check.ts";
import { scanImageFolder } from "./imagefolder.ts";
import { scanMasks } from "./masks.ts";
import { scanPanoptic } from "./panoptic.ts";
import { ProblemSink } from "./problems.ts";
import type {
  DatasetPlan,
  ScanProgress,
  ScanResult,
  ScanSpec,
  SplitPlan,
  SplitReport,
} from "./types.ts";

/** Bump when the result shape or any rule changes, so old cached results are not reused. */
export const SCAN_VERSION = 3;

export interface ScanOptions {
  onProgress?: (p: ScanProgress) => void;
  signal?: AbortSignal;
  cache?: ScanCache;
  /** Reads Delta tables (the Databricks adapter's); needed for a `spec.delta` scan. */
  delta?: DeltaTableReader;
}

/** A running scan. */
export interface ScanJob {
  /** Resolves with the result (from the cache when the content is unchanged). */
  readonly done: Promise<ScanResult>;
  /** Latest progress (also pushed to `onProgress`). */
  readonly progress: ScanProgress;
  cancel(reason?: string): void;
}

/** Starts a scan; progress is reported through `onProgress` and `job.progress`. */
export function startScan(spec: ScanSpec, files: FilesApi, opts: ScanOptions = {}): ScanJob {
  const ac = new AbortController();
  const onAbort = () => ac.abort(opts.signal?.reason);
  if (opts.signal?.aborted) ac.abort(opts.signal.reason);
  else opts.signal?.addEventListener("abort", onAbort, { once: true });
  const t0 = performance.now();
  const progress: ScanProgress = {
    phase: "listing",
    imagesRead: 0,
    annotationsRead: 0,
    bytesRead: 0,
    bytesTotal: 0,
    filesChecked: 0,
    filesTotal: 0,
    elapsedMs: 0,
  };
  const emit = (patch: Partial<ScanProgress>, fraction?: number) => {
    Object.assign(progress, patch);
    progress.elapsedMs = performance.now() - t0;
    progress.etaMs = fraction && fraction > 0.02 && fraction < 1
      ? (progress.elapsedMs * (1 - fraction)) / fraction
      : undefined;
    opts.onProgress?.({ ...progress });
  };
  const work = spec.delta
    ? runDeltaScan(spec.delta, opts.delta, files, {
      signal: ac.signal,
      emit,
      version: SCAN_VERSION,
      t0,
    })
    : runScan(spec, files, opts.cache, ac.signal, emit, t0);
  // Work that finished after a cancel (its last await was past every abort check) still counts
  // as cancelled: whoever cancelled was told so.
  const done = work.then((r) => {
    ac.signal.throwIfAborted();
    return r;
  }).finally(() => opts.signal?.removeEventListener("abort", onAbort));
  return {
    done,
    progress,
    cancel: (reason) => ac.abort(new DOMException(reason ?? "scan cancelled", "AbortError")),
  };
}

async function sha256(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A 128-bit content hash (four murmur3 lanes) for cache keys: ~4× faster than SHA-256 on a
 * 450 MB annotation file, and the key only has to notice changes, not resist an attacker.
 */
export function contentHash(buf: Uint8Array): string {
  const aligned = buf.byteOffset % 4 === 0 ? buf : buf.slice();
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length >>> 2);
  let h1 = 0x9747b28c | 0, h2 = 0x85ebca6b | 0, h3 = 0xc2b2ae35 | 0, h4 = 0x27d4eb2f | 0;
  const c1 = 0xcc9e2d51, c2 = 0x1b873593;
  const mix = (h: number, k: number) => {
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    return (Math.imul(h, 5) + 0xe6546b64) | 0;
  };
  const n4 = words.length & ~3;
  for (let i = 0; i < n4; i += 4) {
    h1 = mix(h1, words[i]);
    h2 = mix(h2, words[i + 1]);
    h3 = mix(h3, words[i + 2]);
    h4 = mix(h4, words[i + 3]);
  }
  for (let i = n4; i < words.length; i++) h1 = mix(h1, words[i]);
  for (let i = words.length * 4; i < aligned.length; i++) h2 = mix(h2, aligned[i]);
  const fmix = (h: number) => {
    h ^= aligned.length;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return (h >>> 0).toString(16).padStart(8, "0");
  };
  return fmix(h1 ^ h3) + fmix(h2 ^ h4) + fmix(h3 + h1) + fmix(h4 + h2);
}

/** Recursive listing (names, sizes, times) used in the content key. */
async function listingKey(files: FilesApi, dir: string, depth = 2): Promise<string> {
  const rows: string[] = [];
  const walk = async (d: string, level: number) => {
    let list;
    try {
      list = files.list(d);
      for await (const e of list) {
        if (e.isDirectory) {
          if (level < depth) await walk(e.path, level + 1);
          else rows.push(`${e.path}/`);
        } else rows.push(`${e.path}\t${e.size ?? ""}\t${e.modifiedAt ?? ""}`);
        if (rows.length > 500_000) return;
      }
    } catch {
      rows.push(`${d}\tmissing`);
    }
  };
  await walk(dir, 0);
  rows.sort();
  return await sha256(rows.join("\n"));
}

/** Reads a whole file with byte progress. */
async function readWithProgress(
  files: FilesApi,
  path: string,
  onBytes: (n: number, total: number) => void,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const st = await files.stat(path);
  if (!st || st.isDirectory) throw new DatasetError(`${path} does not exist`);
  const total = st.size ?? 0;
  const reader = (await files.read(path)).getReader();
  let buf = new Uint8Array(Math.max(total, 1024));
  let n = 0;
  let last = 0;
  try {
    while (true) {
      signal.throwIfAborted();
      const { value, done } = await reader.read();
      if (done) break;
      if (n + value.length > buf.length) {
        const b = new Uint8Array(Math.max(buf.length * 2, n + value.length));
        b.set(buf.subarray(0, n));
        buf = b;
      }
      buf.set(value, n);
      n += value.length;
      if (n - last > 4 << 20) {
        last = n;
        onBytes(n, total);
      }
    }
  } finally {
    reader.releaseLock();
  }
  onBytes(n, total);
  return buf.subarray(0, n);
}

/** The first `file_name` in a COCO JSON (from its first MiB), to test image-folder guesses. */
function firstFileName(buf: Uint8Array): string | undefined {
  const head = new TextDecoder().decode(buf.subarray(0, 1 << 20));
  const m = head.match(/"file_name"\s*:\s*"((?:[^"\\]|\\.)*)"/);
  return m ? JSON.parse(`"${m[1]}"`) : undefined;
}

async function resolveImagesDir(
  files: FilesApi,
  sp: SplitPlan,
  first: string | undefined,
): Promise<string | undefined> {
  if (sp.imagesDir || !sp.imagesDirCandidates || !first) return sp.imagesDir;
  for (const c of sp.imagesDirCandidates) {
    const st = await files.stat(`${c}/${first}`).catch(() => null);
    if (st && !st.isDirectory) return c;
  }
  return undefined;
}

type Emit = (patch: Partial<ScanProgress>, fraction?: number) => void;

async function runScan(
  spec: ScanSpec,
  files: FilesApi,
  cache: ScanCache | undefined,
  signal: AbortSignal,
  emit: Emit,
  t0: number,
): Promise<ScanResult> {
  emit({ phase: "listing" });
  let plan: DatasetPlan;
  if (spec.plan) plan = spec.plan;
  else if (spec.splits?.length) {
    plan = await planFromPaths(files, spec.splits, spec.format ?? "auto");
  } else if (spec.path) {
    plan = await detectDataset(files, spec.path, spec.format ?? "auto", spec.images);
  } else throw new DatasetError("nothing to scan: give a path or a plan");
  if (plan.format === "delta") {
    throw new DatasetError(
      "Delta tables are read through the Databricks workspace adapter; they cannot be scanned locally",
    );
  }
  signal.throwIfAborted();

  // 1. read annotation files and build the content key
  const bytes = new Map<string, Uint8Array>();
  const keyParts: string[] = [`v${SCAN_VERSION}`, plan.format, String(spec.leakage ?? true)];
  let bytesTotal = 0;
  for (const sp of plan.splits) {
    if (sp.annotationFile) bytesTotal += (await files.stat(sp.annotationFile))?.size ?? 0;
  }
  let bytesBefore = 0;
  const splits = plan.splits.map((s) => ({ ...s }));
  for (const sp of splits) {
    emit({ phase: "reading", split: sp.name, bytesTotal });
    if (sp.annotationFile) {
      const b = await readWithProgress(
        files,
        sp.annotationFile,
        (n) =>
          emit(
            { bytesRead: bytesBefore + n },
            bytesTotal ? (bytesBefore + n) / bytesTotal * 0.2 : undefined,
          ),
        signal,
      );
      bytesBefore += b.length;
      bytes.set(sp.name, b);
      keyParts.push(`${sp.name}:${sp.annotationFile}:${b.length}:${contentHash(b)}`);
      sp.imagesDir = await resolveImagesDir(files, sp, firstFileName(b));
    }
    for (const d of [sp.imagesDir, sp.root, sp.masksDir, sp.panopticDir]) {
      if (d) keyParts.push(`${d}:${await listingKey(files, d)}`);
    }
    keyParts.push(JSON.stringify(sp));
  }
  const key = await sha256(keyParts.join("\n"));
  const hit = await cache?.get(key);
  if (hit) {
    emit({ phase: "done" }, 1);
    return {
      ...hit,
      notes: [
        ...hit.notes.filter((n) => !n.startsWith("cached")),
        `cached result from ${new Date(hit.createdAt).toISOString()} (content unchanged)`,
      ],
    };
  }

  // 2. scan each split
  const sink = new ProblemSink();
  const sinks = new Map<string, ProblemSink>();
  const sinkFor = (name: string) => {
    let s = sinks.get(name);
    if (!s) sinks.set(name, s = new ProblemSink(name));
    return s;
  };
  const reports: SplitReport[] = [];
  const notes: string[] = [];
  const leak: SplitFiles[] = [];
  let imagesRead = 0, annsRead = 0;
  for (const sp of splits) {
    const s = sinkFor(sp.name);
    let fileInfo: FileInfo[] | undefined;
    let stats;
    const sources: string[] = [];
    const fileProgress = (done: number, total: number) =>
      emit(
        { phase: "checking-files", split: sp.name, filesChecked: done, filesTotal: total },
        0.5 + 0.45 * done / Math.max(1, total),
      );
    if (plan.format === "coco") {
      const buf = bytes.get(sp.name)!;
      sources.push(sp.annotationFile!);
      emit({ phase: "parsing", split: sp.name });
      const idx = await parseCoco(buf, sp.annotationFile!, {
        signal,
        onTick: (i, a, pos) =>
          emit(
            { imagesRead: imagesRead + i, annotationsRead: annsRead + a },
            0.2 + 0.3 * pos / buf.length,
          ),
      });
      imagesRead += idx.images.n;
      annsRead += idx.anns.n;
      if (idx.panoptic) {
        throw new DatasetError(
          `${sp.annotationFile} is a COCO panoptic file (annotations have segments_info); scan it with format coco-panoptic`,
        );
      }
      if (sp.imagesDir) {
        sources.push(sp.imagesDir);
        const paths = imagePaths(idx, sp.imagesDir);
        const list = paths.filter((p) => p);
        const info = await checkFiles(files, list, { signal, onProgress: fileProgress });
        const byPath = new Map(info.map((f) => [f.path, f]));
        fileInfo = paths.map((p) => byPath.get(p)!);
        const idOf = new Map(paths.map((p, i) => [p, idx.images.id[i]]));
        leak.push({ split: sp.name, files: info, imageIdOf: (p) => idOf.get(p) });
      } else {
        notes.push(
          `${sp.name}: image files not checked (no images folder given${
            sp.imagesDirCandidates ? " or found" : ""
          }); sizes come from the JSON`,
        );
      }
      emit({ phase: "stats", split: sp.name }, 0.95);
      stats = await checkCoco(idx, s, fileInfo, signal);
      bytes.delete(sp.name);
    } else if (plan.format === "coco-panoptic") {
      sources.push(sp.annotationFile!, sp.panopticDir!);
      const text = new TextDecoder().decode(bytes.get(sp.name)!);
      bytes.delete(sp.name);
      emit({ phase: "parsing", split: sp.name });
      const r = await scanPanoptic(files, sp.annotationFile!, text, s, {
        pngDir: sp.panopticDir,
        imagesDir: sp.imagesDir,
        signal,
        onProgress: fileProgress,
      });
      imagesRead += r.imagesRead;
      annsRead += r.annotationsRead;
      stats = r.stats;
      if (r.files) leak.push({ split: sp.name, files: r.files });
      else {notes.push(
          `${sp.name}: image files not checked (no images folder given); panoptic PNGs were read`,
        );}
    } else if (plan.format === "imagefolder") {
      sources.push(sp.root!);
      const r = await scanImageFolder(files, sp.root!, s, {
        signal,
        onProgress: fileProgress,
        classNames: sp.classNames,
      });
      stats = r.stats;
      imagesRead += stats.images;
      leak.push({ split: sp.name, files: r.files });
    } else {
      sources.push(sp.imagesDir!, sp.masksDir!);
      if (!sp.classNames) {
        notes.push(
          `${sp.name}: no class_names.txt/labels.txt found; class ids are not checked against a label set`,
        );
      }
      const r = await scanMasks(files, sp.imagesDir!, sp.masksDir!, s, {
        classNames: sp.classNames,
        signal,
        onProgress: fileProgress,
      });
      stats = r.stats;
      imagesRead += stats.images;
      leak.push({ split: sp.name, files: r.files });
    }
    emit({ imagesRead, annotationsRead: annsRead });
    reports.push({
      name: sp.name,
      format: plan.format,
      sources,
      fileChecks: fileInfo !== undefined || plan.format === "imagefolder" ||
        plan.format === "masks",
      stats,
    });
  }

  // 3. the same image in two splits
  if ((spec.leakage ?? true) && leak.length) {
    emit({ phase: "hashing" }, 0.97);
    await findLeakage(files, leak, sinkFor, signal);
  }
  for (const s of sinks.values()) sink.merge(s);
  const fileChecks = reports.every((r) => r.fileChecks);
  const result: ScanResult = {
    version: SCAN_VERSION,
    key,
    format: plan.format,
    reason: plan.reason,
    createdAt: Date.now(),
    durationMs: Math.round(performance.now() - t0),
    fileChecks,
    notes,
    splits: reports,
    problems: sink.list,
    problemCounts: sink.counts,
    truncated: sink.truncated,
    plan: { ...plan, splits },
  };
  await cache?.set(key, result);
  emit({ phase: "done" }, 1);
  return result;
}

export { DatasetError };
