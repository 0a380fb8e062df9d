/**
 * The Files API's multipart upload, as the Databricks SDK's `FilesExt` does it: `POST
 * /api/2.0/fs/files{path}?action=initiate-upload` gives a session token; each part goes to a
 * presigned cloud-storage URL from `POST /api/2.0/fs/create-upload-part-urls` (sent without the
 * workspace's Authorization header, keeping the part's ETag); `POST
 * …?action=complete-upload&upload_type=multipart&session_token=…` with `{parts: [{part_number,
 * etag}]}` makes the file appear. Parts are read one at a time, so memory stays at one part.
 * A failed upload keeps its session and finished parts in `MultipartState`, so a later call
 * with `resume` sends only the missing parts.
 */
import { z } from "zod";
import { DatabricksError } from "./api_error.ts";
import type { HttpClient } from "./http.ts";

/** SDK defaults: parts of 10 MiB (S3's minimum is 5 MiB), up to 3 retries of a part. */
export const DEFAULT_PART_SIZE = 10 * 1024 * 1024;
const PART_RETRIES = 3;
/** Presigned part URLs are asked for with a one-hour expiry, as the SDK does. */
const URL_TTL_MS = 3600_000;

/** Where a multipart upload stands; pass it back as `resume` to continue after a failure. */
export interface MultipartState {
  path: string;
  sessionToken: string;
  partSize: number;
  size: number;
  /** part number (1-based) → ETag of parts already stored. */
  etags: Record<number, string>;
}

/** Progress of a long transfer: bytes done so far and the total, when known. */
export type OnProgress = (done: number, total?: number) => void;

/** An upload failure that can be resumed with `error.resume`. */
export class ResumableUploadError extends DatabricksError {
  constructor(base: DatabricksError, readonly resume: MultipartState) {
    super(
      `${base.message} ${Object.keys(resume.etags).length} of ${
        Math.ceil(resume.size / resume.partSize)
      } parts are stored; the upload can be resumed.`,
      base.errorCode,
      base.status,
      base.requestId,
      base.hint,
      base.databricksMessage,
      base.attempts,
      base,
    );
  }
}

const InitiateSchema = z.looseObject({
  multipart_upload: z.looseObject({ session_token: z.string().min(1) }).optional(),
  resumable_upload: z.looseObject({ session_token: z.string().min(1) }).optional(),
});

const PartUrlsSchema = z.looseObject({
  upload_part_urls: z.array(z.looseObject({
    part_number: z.number(),
    url: z.string().min(1),
    headers: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional(),
  })).min(1),
});

/** Reads exactly `n` bytes (fewer only at the end) from a reader, keeping the remainder. */
class PartReader {
  #buf: Uint8Array[] = [];
  #have = 0;
  #done = false;
  constructor(readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}
  async take(n: number): Promise<Uint8Array> {
    while (this.#have < n && !this.#done) {
      const r = await this.reader.read();
      if (r.done) this.#done = true;
      else {
        this.#buf.push(r.value);
        this.#have += r.value.byteLength;
      }
    }
    const out = new Uint8Array(Math.min(n, this.#have));
    let off = 0;
    while (off < out.length) {
      const c = this.#buf[0];
      const k = Math.min(c.byteLength, out.length - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.byteLength) this.#buf.shift();
      else this.#buf[0] = c.subarray(k);
    }
    this.#have -= out.length;
    return out;
  }
}

/** Starts a multipart session; undefined when the workspace offers only another kind. */
export async function initiateMultipart(
  http: HttpClient,
  encodedPath: string,
  path: string,
  overwrite: boolean,
): Promise<string | undefined> {
  const r = await http.json({
    method: "POST",
    path: `/api/2.0/fs/files${encodedPath}`,
    query: { action: "initiate-upload", overwrite },
    what: `Starting the multipart upload of ${path}`,
  }, InitiateSchema);
  return r.multipart_upload?.session_token;
}

/**
 * Uploads `data` (bytes, or a stream of exactly `size` bytes) as parts of the session in
 * `state`, skipping parts already in `state.etags`, then completes it.
 */
export async function uploadParts(
  http: HttpClient,
  encodedPath: string,
  state: MultipartState,
  data: Uint8Array | ReadableStream<Uint8Array>,
  opts: { onProgress?: OnProgress; signal?: AbortSignal } = {},
): Promise<void> {
  const parts = Math.max(1, Math.ceil(state.size / state.partSize));
  const reader = data instanceof ReadableStream ? new PartReader(data.getReader()) : undefined;
  let done = Object.keys(state.etags).length * state.partSize;
  try {
    for (let n = 1; n <= parts; n++) {
      opts.signal?.throwIfAborted();
      const start = (n - 1) * state.partSize;
      const end = Math.min(state.size, start + state.partSize);
      const chunk = reader
        ? await reader.take(end - start)
        : (data as Uint8Array).subarray(start, end);
      if (chunk.byteLength !== end - start) {
        throw new DatabricksError(
          `Uploading ${state.path} failed: the data ended after ${
            start + chunk.byteLength
          } of ${state.size} bytes.`,
          "UPLOAD_SOURCE_FAILED",
          400,
          undefined,
          "The file being uploaded is shorter than its stated size; upload a complete file.",
        );
      }
      if (state.etags[n]) continue;
      state.etags[n] = await putPart(http, state, n, chunk, opts.signal);
      done = Math.min(state.size, done + chunk.byteLength);
      opts.onProgress?.(done, state.size);
    }
  } catch (e) {
    if (reader) await reader.reader.cancel().catch(() => {});
    if (e instanceof DatabricksError && !(e instanceof ResumableUploadError)) {
      if (e.errorCode === "UPLOAD_SOURCE_FAILED") throw e;
      throw new ResumableUploadError(e, state);
    }
    throw e;
  }
  await http.json({
    method: "POST",
    path: `/api/2.0/fs/files${encodedPath}`,
    query: {
      action: "complete-upload",
      upload_type: "multipart",
      session_token: state.sessionToken,
    },
    body: {
      parts: Object.entries(state.etags).map(([k, etag]) => ({ part_number: Number(k), etag }))
        .sort((a, b) => a.part_number - b.part_number),
    },
    // Completing twice with the same parts is harmless.
    idempotent: true,
    what: `Completing the multipart upload of ${state.path}`,
  }, z.unknown());
}

/** One part to its presigned URL (fresh URL per try: an expired one answers 403). */
async function putPart(
  http: HttpClient,
  state: MultipartState,
  n: number,
  chunk: Uint8Array,
  signal?: AbortSignal,
): Promise<string> {
  for (let attempt = 1;; attempt++) {
    const urls = await http.json({
      method: "POST",
      path: "/api/2.0/fs/create-upload-part-urls",
      body: {
        path: state.path,
        session_token: state.sessionToken,
        start_part_number: n,
        count: 1,
        expire_time: new Date(http.clock.now() + URL_TTL_MS).toISOString(),
      },
      idempotent: true,
      what: `Getting the upload URL of part ${n} of ${state.path}`,
    }, PartUrlsSchema);
    const u = urls.upload_part_urls[0];
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    for (const h of u.headers ?? []) headers[h.name] = h.value;
    try {
      const res = await http.raw({
        method: "PUT",
        path: "",
        url: u.url,
        anonymous: true,
        headers,
        rawBody: chunk,
        signal,
        what: `Uploading part ${n} of ${state.path}`,
      });
      await res.body?.cancel();
      const etag = res.headers.get("etag");
      if (!etag) {
        throw new DatabricksError(
          `Uploading part ${n} of ${state.path} failed: the storage answer had no ETag.`,
          "UNEXPECTED_RESPONSE",
          502,
          undefined,
          "A proxy between the app and cloud storage may be stripping headers.",
        );
      }
      return etag;
    } catch (e) {
      const expired = e instanceof DatabricksError && e.status === 403;
      if (!expired || attempt > PART_RETRIES) throw e;
    }
  }
}

/** Aborts a session (best effort), via the presigned abort URL the SDK also uses. */
export async function abortMultipart(http: HttpClient, state: MultipartState): Promise<void> {
  const r = await http.json({
    method: "POST",
    path: "/api/2.0/fs/create-abort-upload-url",
    body: {
      path: state.path,
      session_token: state.sessionToken,
      expire_time: new Date(http.clock.now() + URL_TTL_MS).toISOString(),
    },
    idempotent: true,
    what: `Aborting the multipart upload of ${state.path}`,
  }, z.looseObject({ abort_upload_url: z.looseObject({ url: z.string() }) }));
  const res = await http.raw({
    method: "DELETE",
    path: "",
    url: r.abort_upload_url.url,
    anonymous: true,
    what: `Aborting the multipart upload of ${state.path}`,
  });
  await res.body?.cancel();
}
