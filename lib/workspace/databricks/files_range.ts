/**
 * Ranged reads over the Files API: `FilesApi.readFrom` (the bytes of a file from an offset on,
 * for following a file that grows, such as a job's metrics.jsonl) and the resumable download
 * behind `FilesClient.download` with `offset` / `retries` (a broken download picked up again
 * from the byte reached).
 *
 * Both ask with `Range: bytes=<offset>-` (the download takes RFC 9110's Range header), answered
 * 206 with `Content-Range: bytes <offset>-<last>/<size>`. A server or proxy that ignores the
 * header answers 200 with the whole file: its first `offset` bytes are dropped here (they are
 * the bytes already held; asking again from byte 0 would send the same bytes). A 206 that does
 * not start at the offset is an error (UNEXPECTED_RANGE), never appended; a 416 means the offset
 * is at or past the end of the file (of a shorter file, when it was replaced meanwhile).
 *
 * A resumed download also checks that it still reads the file it began with: the size the
 * answer gives must be the one first seen, and each ranged request carries `If-Unmodified-Since`
 * with the file's Last-Modified (as the Databricks SDK's resumable download does), which the
 * service answers with 412 when the file was written since.
 */
import { BadRequestError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import { checkVolumePath, encodePath, type FilesClient, guardBody } from "./files.ts";
import type { OnProgress } from "./files_multipart.ts";

/** What `readFrom` answers: the tail and the file's size when it was read. */
export interface FileTail {
  bytes: Uint8Array;
  size: number;
}

const EMPTY = new Uint8Array(0);

function checkOffset(p: string, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new BadRequestError(`Offset ${offset} into ${p} is not a byte position.`);
  }
}

/** How an answer to `Range: bytes=<offset>-` lines up with the file. */
export interface RangeAnswer {
  /** Leading bytes of the body that come before the offset (all `offset` of them for a 200). */
  skip: number;
  /** Bytes the body holds, when the answer says. */
  length?: number;
  /** The file's size, when the answer says. */
  size?: number;
}

/**
 * Reads the status and headers of a download asked from `offset`: 206 must start there (else
 * UNEXPECTED_RANGE); any other success is the whole file, the range not applied.
 */
export function rangeAnswer(res: Response, p: string, offset: number): RangeAnswer {
  if (res.status !== 206) {
    const len = res.headers.get("content-length");
    const n = len !== null && /^\d+$/.test(len.trim()) ? Number(len) : undefined;
    return { skip: offset, length: n, size: n };
  }
  const range = res.headers.get("content-range") ?? "";
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range.trim());
  if (!m || Number(m[1]) !== offset || Number(m[2]) < offset) {
    throw unexpectedRange(res, p, offset, range ? `the range "${range}"` : "no Content-Range");
  }
  return {
    skip: 0,
    length: Number(m[2]) - offset + 1,
    size: m[3] === "*" ? undefined : Number(m[3]),
  };
}

function unexpectedRange(
  res: Response,
  p: string,
  offset: number,
  what: string,
): DatabricksError {
  return new DatabricksError(
    `Reading ${p} from byte ${offset} failed: the workspace answered with ${what}.`,
    "UNEXPECTED_RANGE",
    502,
    res.headers.get("x-request-id") ?? undefined,
    "Something between the app and the workspace changed the answer; try again.",
  );
}

/** The file's bytes from `offset` on and its size; null when there is no such file. */
export async function readFileFrom(
  fc: FilesClient,
  path: string,
  offset: number,
  opts: { idleMs?: number } = {},
): Promise<FileTail | null> {
  const p = checkVolumePath(path);
  checkOffset(p, offset);
  if (offset > 0) {
    const head = await fc.headFile(p);
    if (!head) return null;
    if (head.size !== undefined && head.size <= offset) return { bytes: EMPTY, size: head.size };
  }
  const stall = new AbortController();
  let res: Response;
  try {
    res = await fc.http.raw({
      method: "GET",
      path: `/api/2.0/fs/files${encodePath(p)}`,
      headers: offset > 0 ? { range: `bytes=${offset}-` } : undefined,
      signal: stall.signal,
      what: `Reading ${p}`,
    });
  } catch (e) {
    if (e instanceof DatabricksError && e.status === 404) return null;
    if (e instanceof DatabricksError && e.status === 416) {
      const head = await fc.headFile(p);
      return head ? { bytes: EMPTY, size: head.size ?? offset } : null;
    }
    throw e;
  }
  let answer: RangeAnswer;
  try {
    answer = rangeAnswer(res, p, offset);
  } catch (e) {
    await res.body?.cancel();
    throw e;
  }
  const body = res.body
    ? new Uint8Array(
      await new Response(guardBody(res.body, p, opts.idleMs ?? 60_000, () => stall.abort()))
        .arrayBuffer(),
    )
    : EMPTY;
  if (answer.skip) {
    // The whole file: the range was not applied.
    return { bytes: body.subarray(Math.min(answer.skip, body.length)), size: body.length };
  }
  if (answer.length !== body.length) {
    throw unexpectedRange(
      res,
      p,
      offset,
      `the range "${res.headers.get("content-range")}" and ${body.length} bytes`,
    );
  }
  return { bytes: body, size: answer.size ?? offset + body.length };
}

/** Options of a resumable download (see `FilesClient.download`). */
export interface ResumeOptions {
  signal?: AbortSignal;
  idleMs?: number;
  offset?: number;
  retries?: number;
  onProgress?: OnProgress;
}

/** Drops the first `n` bytes of a stream; a stream shorter than that is an error. */
function dropFirst(n: number, fail: (got: number) => Error): TransformStream<Uint8Array> {
  let left = n;
  return new TransformStream({
    transform(chunk, ctl) {
      if (left >= chunk.byteLength) {
        left -= chunk.byteLength;
        return;
      }
      ctl.enqueue(left ? chunk.subarray(left) : chunk);
      left = 0;
    },
    flush(ctl) {
      if (left) ctl.error(fail(n - left));
    },
  });
}

/**
 * The file's bytes from `opts.offset` (default 0) on, as one stream. A connection that drops,
 * stalls or ends early is opened again from the byte reached, up to `retries` times; an answer
 * that cannot continue the bytes already passed on (another file, an unexpected range) ends
 * the stream with an error at once, whatever retries are left.
 */
export function resumingDownload(
  fc: FilesClient,
  path: string,
  opts: ResumeOptions,
): ReadableStream<Uint8Array> {
  const p = checkVolumePath(path);
  const start = opts.offset ?? 0;
  checkOffset(p, start);
  let at = start;
  let left = opts.retries ?? 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let file: { size?: number; modifiedAt?: number } | undefined;
  let ended = false;
  /** Errors a new attempt cannot mend. */
  const final = new WeakSet<object>();
  const stop = (e: DatabricksError) => (final.add(e), e);
  const changed = (why: string) =>
    stop(
      new DatabricksError(
        `Reading ${p} from byte ${at} failed: ${why}; the bytes already read belong to the ` +
          "file as it was.",
        "FILE_CHANGED",
        409,
        undefined,
        "The file was written while it was being read; download it again from the start.",
      ),
    );

  const open = async () => {
    file ??= (await fc.headFile(p)) ?? {};
    const size = file.size;
    if (size !== undefined && at >= size) {
      if (at === size) return void (ended = true);
      throw stop(
        new DatabricksError(
          `Reading ${p} from byte ${at} failed: the file has only ${size} bytes.`,
          "INVALID_PARAMETER_VALUE",
          416,
          undefined,
          "Ask for an offset within the file.",
        ),
      );
    }
    const headers: Record<string, string> = {};
    if (at > 0) headers.range = `bytes=${at}-`;
    if (at > 0 && file.modifiedAt) {
      headers["if-unmodified-since"] = new Date(file.modifiedAt).toUTCString();
    }
    const stall = new AbortController();
    let res: Response;
    try {
      res = await fc.http.raw({
        method: "GET",
        path: `/api/2.0/fs/files${encodePath(p)}`,
        headers,
        signal: opts.signal ? AbortSignal.any([stall.signal, opts.signal]) : stall.signal,
        what: `Reading ${p}`,
      });
    } catch (e) {
      if (e instanceof DatabricksError && e.status === 412) {
        throw changed(`it was written after ${headers["if-unmodified-since"]}`);
      }
      if (e instanceof DatabricksError && e.status === 416) {
        const now = (await fc.headFile(p))?.size;
        if (now === at) return void (ended = true);
        throw changed(now === undefined ? "it is gone" : `it now has ${now} bytes`);
      }
      // The client already retried what may pass; a refusal (404, 403) stays one.
      const refused = e instanceof DatabricksError && e.status >= 400 && e.status < 500;
      throw refused ? stop(e) : e;
    }
    let answer: RangeAnswer;
    try {
      answer = rangeAnswer(res, p, at);
      if (answer.size !== undefined && size !== undefined && answer.size !== size) {
        throw changed(`its size went from ${size} to ${answer.size} bytes`);
      }
    } catch (e) {
      await res.body?.cancel();
      throw e instanceof DatabricksError ? stop(e) : e;
    }
    file.size ??= answer.size;
    let body = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    body = guardBody(body, p, opts.idleMs ?? 60_000, () => stall.abort());
    if (answer.skip) {
      // The range was ignored: the whole file came, and what this stream has passed on is
      // its beginning.
      body = body.pipeThrough(dropFirst(answer.skip, (got) =>
        new DatabricksError(
          `Reading ${p} failed: the whole file was sent (the range was not applied) and the ` +
            `connection ended after ${got} bytes, before byte ${at}.`,
          "NETWORK_ERROR",
          502,
          undefined,
          "The connection to the workspace broke off; nothing was changed. Try again.",
        )));
    }
    reader = body.getReader();
  };

  return new ReadableStream<Uint8Array>({
    pull: async (ctl) => {
      for (;;) {
        try {
          if (!reader && !ended) await open();
          if (ended) return ctl.close();
          const r = await reader!.read();
          const size = file?.size;
          if (r.done) {
            reader = undefined;
            if (size !== undefined && at < size) {
              throw new DatabricksError(
                `Reading ${p} failed: the connection ended after ${at} of ${size} bytes.`,
                "NETWORK_ERROR",
                502,
                undefined,
                "The connection to the workspace broke off; nothing was changed. Try again.",
              );
            }
            ended = true;
            return ctl.close();
          }
          if (size !== undefined && at + r.value.byteLength > size) {
            throw changed(`more than its ${size} bytes came`);
          }
          at += r.value.byteLength;
          opts.onProgress?.(at, size);
          return ctl.enqueue(r.value);
        } catch (e) {
          reader?.cancel(e).catch(() => {});
          reader = undefined;
          if (final.has(e as object) || left-- <= 0 || opts.signal?.aborted) throw e;
        }
      }
    },
    cancel: (reason) => reader?.cancel(reason),
  }, { highWaterMark: 0 });
}
