/**
 * Files API for Unity Catalog volumes (`/api/2.0/fs/...`) and volume browsing. Bodies stream in
 * both directions; whole files are never held in memory.
 */
import { z } from "zod";
import { parseVolumePath } from "../volume_path.ts";
import { DatabricksError } from "./api_error.ts";
import { type HttpClient, paginate } from "./http.ts";
import {
  DEFAULT_PART_SIZE,
  initiateMultipart,
  type MultipartState,
  type OnProgress,
  uploadParts,
} from "./files_multipart.ts";
import { resumingDownload } from "./files_range.ts";

/** Largest body one Files API PUT accepts (5 GiB). */
export const SINGLE_PUT_LIMIT = 5 * 1024 ** 3;

/** One entry of a Files API directory listing. */
export const DirEntrySchema = z.looseObject({
  path: z.string(),
  name: z.string().optional(),
  is_directory: z.boolean().optional().default(false),
  file_size: z.number().optional(),
  last_modified: z.number().optional(),
});
export type DirEntry = z.infer<typeof DirEntrySchema>;

/** One page of a directory listing. */
export const DirListingSchema = z.looseObject({
  contents: z.array(DirEntrySchema).optional().default([]),
  next_page_token: z.string().nullish(),
});

/** A Unity Catalog volume. */
export const VolumeInfoSchema = z.looseObject({
  name: z.string(),
  full_name: z.string(),
  catalog_name: z.string(),
  schema_name: z.string(),
  volume_type: z.string().optional(),
  storage_location: z.string().optional(),
  owner: z.string().optional(),
});
/** One page of volumes. */
export const VolumeListSchema = z.looseObject({
  volumes: z.array(VolumeInfoSchema).optional().default([]),
  next_page_token: z.string().nullish(),
});
/** Catalogs visible to the identity. */
export const CatalogListSchema = z.looseObject({
  catalogs: z.array(z.looseObject({ name: z.string(), comment: z.string().optional() }))
    .optional().default([]),
  next_page_token: z.string().nullish(),
});

/**
 * Checks and normalises a `/Volumes/<catalog>/<schema>/<volume>/...` path with the rules the
 * local adapter uses; anything else is refused before a request is made.
 */
export function checkVolumePath(path: string): string {
  return parseVolumePath(path).path;
}

/** Percent-encodes each segment (names may hold spaces, `#`, `?`, unicode). */
export function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/**
 * Wraps an upload stream: errors once more than `limit` bytes pass, counts what went through,
 * remembers a failure of the source itself, and calls `onProgress` per chunk and `onDone`
 * after the last (for the stall watchdog).
 */
function limitStream(
  src: ReadableStream<Uint8Array>,
  limit: number,
  path: string,
  onProgress: () => void,
  onDone: () => void,
): { stream: ReadableStream<Uint8Array>; sent: () => number; sourceError: () => unknown } {
  let n = 0;
  let sourceError: unknown;
  const reader = src.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        sourceError = e ?? new Error("the source stream failed");
        ctl.error(e);
        return;
      }
      if (r.done) {
        onDone();
        return ctl.close();
      }
      n += r.value.byteLength;
      if (n > limit) {
        const err = tooLarge(path, n, limit, true);
        ctl.error(err);
        await reader.cancel(err).catch(() => {});
        return;
      }
      onProgress();
      ctl.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { stream, sent: () => n, sourceError: () => sourceError };
}

function tooLarge(path: string, size: number, limit: number, atLeast = false): DatabricksError {
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;
  const mb = (b: number) => b >= 1024 ** 3 ? gib(b) : `${(b / 1024 ** 2).toFixed(1)} MiB`;
  return new DatabricksError(
    `Uploading ${path} failed: the file is ${atLeast ? "over " : ""}${mb(size)}, above the ` +
      `Files API's single-upload limit of ${mb(limit)}. Nothing was written.`,
    "REQUEST_TOO_LARGE",
    413,
    undefined,
    "Split the file, or copy it into the volume with the Databricks CLI (`databricks fs cp`) or a job.",
  );
}

/**
 * Passes a download through, turning a broken or stalled connection (no bytes for `idleMs`)
 * into a DatabricksError that says how far it got, instead of a bare stream error or a hang.
 */
export function guardBody(
  body: ReadableStream<Uint8Array>,
  path: string,
  idleMs: number,
  abort: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let stalled = false;
  const fail = (why: string, cause?: unknown) =>
    new DatabricksError(
      `Reading ${path} failed: ${why} after ${bytes} bytes.`,
      stalled ? "TIMEOUT" : "NETWORK_ERROR",
      stalled ? 504 : 502,
      undefined,
      "The connection to the workspace broke off; nothing was changed. Try again.",
      undefined,
      1,
      cause,
    );
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      const timer = setTimeout(() => {
        stalled = true;
        abort();
      }, idleMs);
      try {
        const { done, value } = await reader.read();
        if (done) return ctl.close();
        bytes += value.byteLength;
        ctl.enqueue(value);
      } catch (e) {
        ctl.error(fail(stalled ? `no data for ${idleMs / 1000} s` : "the connection dropped", e));
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** Limits of uploads: one PUT up to `maxPutBytes`; multipart above `multipartThreshold`. */
export interface FilesLimits {
  maxPutBytes?: number;
  /** Known sizes above this go through multipart upload (default: maxPutBytes). */
  multipartThreshold?: number;
  /** Part size of multipart uploads (default 10 MiB, the SDK's). */
  partSize?: number;
}

/** Low-level Files API calls. */
export class FilesClient {
  readonly maxPutBytes: number;
  readonly multipartThreshold: number;
  readonly partSize: number;
  constructor(readonly http: HttpClient, limits: FilesLimits = {}) {
    this.maxPutBytes = limits.maxPutBytes ?? SINGLE_PUT_LIMIT;
    this.multipartThreshold = Math.min(
      limits.multipartThreshold ?? this.maxPutBytes,
      this.maxPutBytes,
    );
    this.partSize = limits.partSize ?? DEFAULT_PART_SIZE;
  }

  /**
   * Streams a file's bytes; the caller reads or cancels the stream. `offset` continues an
   * earlier download from that byte (`Range: bytes=offset-`); with `retries`, a connection that
   * drops mid-way is picked up again from the byte reached; `onProgress` sees bytes so far.
   * These three go through `resumingDownload` (files_range.ts), which also copes with a server
   * that ignores the range.
   */
  async download(
    path: string,
    opts: {
      range?: string;
      signal?: AbortSignal;
      idleMs?: number;
      offset?: number;
      retries?: number;
      onProgress?: OnProgress;
    } = {},
  ): Promise<ReadableStream<Uint8Array>> {
    if (opts.offset !== undefined || opts.retries || opts.onProgress) {
      return resumingDownload(this, path, opts);
    }
    const p = checkVolumePath(path);
    const stall = new AbortController();
    const res = await this.http.raw({
      method: "GET",
      path: `/api/2.0/fs/files${encodePath(p)}`,
      headers: opts.range ? { range: opts.range } : undefined,
      signal: opts.signal ? AbortSignal.any([stall.signal, opts.signal]) : stall.signal,
      what: `Reading ${p}`,
    });
    if (!res.body) return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    return guardBody(res.body, p, opts.idleMs ?? 60_000, () => stall.abort());
  }

  /**
   * Uploads bytes or a stream in one PUT, then checks the stored size so a silently truncated or
   * empty file is reported, never accepted. `size` lets a stream be refused before sending.
   */
  async upload(
    path: string,
    data: Uint8Array | ReadableStream<Uint8Array>,
    opts: {
      overwrite?: boolean;
      size?: number;
      signal?: AbortSignal;
      idleMs?: number;
      onProgress?: OnProgress;
      /** A failed multipart upload's state (ResumableUploadError.resume) to continue. */
      resume?: MultipartState;
    } = {},
  ): Promise<{ bytes: number }> {
    const p = checkVolumePath(path);
    const known = data instanceof Uint8Array ? data.byteLength : opts.size;
    if (known !== undefined && (known > this.multipartThreshold || opts.resume)) {
      const done = await this.#multipart(p, data, known, opts);
      if (done) return done;
    }
    if (known !== undefined && known > this.maxPutBytes) {
      if (data instanceof ReadableStream) await data.cancel();
      throw tooLarge(p, known, this.maxPutBytes);
    }
    let body: Uint8Array | ReadableStream<Uint8Array> = data;
    let sent = () => known ?? 0;
    let sourceError = (): unknown => undefined;
    // A stream upload may legitimately take hours, so instead of one deadline a watchdog aborts
    // it when no bytes move for `idleMs`, or when the answer takes over 10 min after the last byte.
    const stall = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idleMs = opts.idleMs ?? 120_000;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(), ms);
    };
    if (data instanceof ReadableStream) {
      const l = limitStream(data, this.maxPutBytes, p, () => {
        arm(idleMs);
        opts.onProgress?.(l.sent(), known);
      }, () => arm(600_000));
      body = l.stream;
      sent = l.sent;
      sourceError = l.sourceError;
      arm(idleMs);
    }
    try {
      const res = await this.http.raw({
        method: "PUT",
        path: `/api/2.0/fs/files${encodePath(p)}`,
        query: { overwrite: opts.overwrite ?? true },
        rawBody: body,
        signal: opts.signal ? AbortSignal.any([stall.signal, opts.signal]) : stall.signal,
        what: `Uploading ${p}`,
        timeoutMs: data instanceof ReadableStream ? 24 * 3600_000 : undefined,
      });
      await res.body?.cancel();
    } catch (e) {
      if (e instanceof DatabricksError && e.errorCode === "REQUEST_TOO_LARGE") throw e;
      const cause = (e as { cause?: unknown }).cause;
      if (cause instanceof DatabricksError && cause.errorCode === "REQUEST_TOO_LARGE") throw cause;
      if (sent() > this.maxPutBytes) throw tooLarge(p, sent(), this.maxPutBytes, true);
      const src = sourceError();
      if (src !== undefined) {
        throw new DatabricksError(
          `Uploading ${p} failed: reading the data to upload failed after ${sent()} bytes ` +
            `(${src instanceof Error ? src.message : String(src)}). Nothing was stored.`,
          "UPLOAD_SOURCE_FAILED",
          400,
          undefined,
          "The file being uploaded could not be read to the end; try again with a complete file.",
          undefined,
          1,
          src,
        );
      }
      if (stall.signal.aborted && !opts.signal?.aborted) {
        throw new DatabricksError(
          `Uploading ${p} failed: the upload stalled after ${sent()} bytes and was stopped.`,
          "TIMEOUT",
          504,
          undefined,
          "The connection to the workspace stopped moving; nothing was stored. Upload the file again.",
          undefined,
          1,
          e,
        );
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const bytes = sent();
    const stored = await this.headFile(p);
    if (!stored || (stored.size !== undefined && stored.size !== bytes)) {
      throw new DatabricksError(
        `Uploading ${p} failed: sent ${bytes} bytes but the volume holds ${
          stored ? `${stored.size} bytes` : "no file"
        }.`,
        "UPLOAD_INCOMPLETE",
        502,
        undefined,
        "The upload was cut short; upload the file again.",
      );
    }
    return { bytes };
  }

  /**
   * Multipart upload of a file of known size; undefined when the workspace offers no multipart
   * session (then a single PUT is tried, which refuses sizes over its limit).
   */
  async #multipart(
    p: string,
    data: Uint8Array | ReadableStream<Uint8Array>,
    size: number,
    opts: {
      overwrite?: boolean;
      signal?: AbortSignal;
      onProgress?: OnProgress;
      resume?: MultipartState;
    },
  ): Promise<{ bytes: number } | undefined> {
    const enc = encodePath(p);
    let state = opts.resume;
    if (state && (state.path !== p || state.size !== size)) {
      throw new DatabricksError(
        `Resuming the upload of ${p} failed: the saved state is for ${state.path} (${state.size} bytes).`,
        "INVALID_PARAMETER_VALUE",
        400,
        undefined,
        "Start the upload again without the saved state.",
      );
    }
    if (!state) {
      const token = await initiateMultipart(this.http, enc, p, opts.overwrite ?? true);
      if (!token) return undefined;
      // Parts grow for huge files so that they stay under 10,000 (S3's limit).
      const partSize = Math.max(this.partSize, Math.ceil(size / 10_000));
      state = { path: p, sessionToken: token, partSize, size, etags: {} };
    }
    await uploadParts(this.http, enc, state, data, opts);
    const stored = await this.headFile(p);
    if (!stored || (stored.size !== undefined && stored.size !== size)) {
      throw new DatabricksError(
        `Uploading ${p} failed: sent ${size} bytes in parts but the volume holds ${
          stored ? `${stored.size} bytes` : "no file"
        }.`,
        "UPLOAD_INCOMPLETE",
        502,
        undefined,
        "The upload was cut short; upload the file again.",
      );
    }
    return { bytes: size };
  }

  /** File metadata from headers, or null when no such file. */
  async headFile(path: string): Promise<{ size?: number; modifiedAt?: number } | null> {
    const p = checkVolumePath(path);
    try {
      const res = await this.http.raw({
        method: "HEAD",
        path: `/api/2.0/fs/files${encodePath(p)}`,
        what: `Checking ${p}`,
      });
      await res.body?.cancel();
      const len = res.headers.get("content-length");
      const lm = res.headers.get("last-modified");
      return {
        size: len !== null ? Number(len) : undefined,
        modifiedAt: lm ? Date.parse(lm) || undefined : undefined,
      };
    } catch (e) {
      if (e instanceof DatabricksError && e.status === 404) return null;
      throw e;
    }
  }

  /** True when the directory exists. */
  async dirExists(path: string): Promise<boolean> {
    const p = checkVolumePath(path);
    try {
      const res = await this.http.raw({
        method: "HEAD",
        path: `/api/2.0/fs/directories${encodePath(p)}`,
        what: `Checking ${p}`,
      });
      await res.body?.cancel();
      return true;
    } catch (e) {
      if (e instanceof DatabricksError && e.status === 404) return false;
      throw e;
    }
  }

  /** Directory entries, page by page. */
  list(path: string, pageSize = 1000): AsyncGenerator<DirEntry> {
    const p = checkVolumePath(path);
    return paginate(async (token) => {
      const page = await this.http.json({
        method: "GET",
        path: `/api/2.0/fs/directories${encodePath(p)}`,
        query: { page_size: pageSize, page_token: token },
        what: `Listing ${p}`,
      }, DirListingSchema);
      return { items: page.contents, next: page.next_page_token };
    });
  }

  /** `mkdir -p`; idempotent. */
  async mkdirs(path: string): Promise<void> {
    const p = checkVolumePath(path);
    const res = await this.http.raw({
      method: "PUT",
      path: `/api/2.0/fs/directories${encodePath(p)}`,
      what: `Creating directory ${p}`,
    });
    await res.body?.cancel();
  }

  async deleteFile(path: string): Promise<void> {
    const p = checkVolumePath(path);
    const res = await this.http.raw({
      method: "DELETE",
      path: `/api/2.0/fs/files${encodePath(p)}`,
      what: `Deleting ${p}`,
    });
    await res.body?.cancel();
  }

  /** Deletes an empty directory. */
  async deleteDir(path: string): Promise<void> {
    const p = checkVolumePath(path);
    const res = await this.http.raw({
      method: "DELETE",
      path: `/api/2.0/fs/directories${encodePath(p)}`,
      what: `Deleting directory ${p}`,
    });
    await res.body?.cancel();
  }

  /** Volumes of a schema (Unity Catalog). */
  listVolumes(catalog: string, schema: string) {
    return paginate(async (token) => {
      const page = await this.http.json({
        method: "GET",
        path: "/api/2.1/unity-catalog/volumes",
        query: { catalog_name: catalog, schema_name: schema, page_token: token },
        what: `Listing volumes in ${catalog}.${schema}`,
      }, VolumeListSchema);
      return { items: page.volumes, next: page.next_page_token };
    });
  }

  /** Catalogs visible to the identity; `maxResults` keeps health checks cheap. */
  async listCatalogs(maxResults?: number) {
    const page = await this.http.json({
      method: "GET",
      path: "/api/2.1/unity-catalog/catalogs",
      query: { max_results: maxResults },
      what: "Listing catalogs",
    }, CatalogListSchema);
    return page.catalogs;
  }
}
