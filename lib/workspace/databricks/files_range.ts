/**
 * `FilesApi.readFrom` over the Files API: the bytes of a file from an offset on, for following
 * a file that grows (a job's metrics.jsonl) without downloading it again from the start.
 *
 * One HEAD says the size; only when the file grew past the offset does a GET follow, with
 * `Range: bytes=<offset>-` (the download takes RFC 9110's Range header), answered 206 with
 * `Content-Range: bytes <offset>-<last>/<size>`. A server or proxy that ignores the header
 * answers 200 with the whole file, whose first `offset` bytes are then dropped here; a 416 (the
 * file was replaced by a shorter one between the two calls) is an empty tail of a shorter file.
 */
import { BadRequestError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import { checkVolumePath, encodePath, type FilesClient, guardBody } from "./files.ts";

/** What `readFrom` answers: the tail and the file's size when it was read. */
export interface FileTail {
  bytes: Uint8Array;
  size: number;
}

const EMPTY = new Uint8Array(0);

/** The file's bytes from `offset` on and its size; null when there is no such file. */
export async function readFileFrom(
  fc: FilesClient,
  path: string,
  offset: number,
  opts: { idleMs?: number } = {},
): Promise<FileTail | null> {
  const p = checkVolumePath(path);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new BadRequestError(`Offset ${offset} into ${p} is not a byte position.`);
  }
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
  const body = res.body
    ? new Uint8Array(
      await new Response(guardBody(res.body, p, opts.idleMs ?? 60_000, () => stall.abort()))
        .arrayBuffer(),
    )
    : EMPTY;
  if (res.status !== 206) {
    // The whole file: the range was not applied.
    return { bytes: body.subarray(Math.min(offset, body.length)), size: body.length };
  }
  const range = res.headers.get("content-range") ?? "";
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range.trim());
  if (!m || Number(m[1]) !== offset || Number(m[2]) - offset + 1 !== body.length) {
    throw new DatabricksError(
      `Reading ${p} from byte ${offset} failed: the workspace answered with ` +
        `${range ? `the range "${range}"` : "no Content-Range"} and ${body.length} bytes.`,
      "UNEXPECTED_RANGE",
      502,
      res.headers.get("x-request-id") ?? undefined,
      "Something between the app and the workspace changed the answer; try again.",
    );
  }
  return { bytes: body, size: m[3] === "*" ? offset + body.length : Number(m[3]) };
}
