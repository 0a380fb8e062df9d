/**
 * The Files API's multipart upload for the fake workspace, as the SDK drives it: initiate-upload
 * on the file path, presigned part URLs (served here under /__storage/, which like real cloud
 * storage refuses a workspace Authorization header and answers an ETag), complete-upload with
 * every part's ETag in order (parts other than the last at least `minPartBytes`, as S3 requires),
 * and abort. Parts are kept as temp files, so large uploads stay out of memory.
 */
import { apiError, badRequest, json, readJson } from "./util.ts";
import type { FakeDatabricks } from "./server.ts";

interface Session {
  path: string;
  overwrite: boolean;
  /** part number → temp file and ETag. */
  parts: Map<number, { file: string; etag: string; size: number }>;
}

export class FakeMultipart {
  readonly sessions = new Map<string, Session>();
  /** S3's minimum for every part but the last (tests lower it). */
  minPartBytes = 5 * 1024 * 1024;
  /** Part PUTs answered so far (tests count resumed parts). */
  partPuts = 0;
  /** Answer the next N part PUTs with an expired-URL 403, as S3 does. */
  expireNext = 0;
  /** Break the connection on part N (once). */
  failPart?: number;
  #seq = 0;
  constructor(readonly fake: FakeDatabricks) {}

  /** POST /api/2.0/fs/files{path}?action=initiate-upload | complete-upload. */
  async fileAction(req: Request, url: URL, vpath: string, exists: boolean): Promise<Response> {
    const q = url.searchParams;
    const action = q.get("action");
    if (action === "initiate-upload") {
      const overwrite = q.get("overwrite") === "true";
      if (exists && !overwrite) {
        return apiError(409, "ALREADY_EXISTS", "The file being created already exists.");
      }
      const token = `mpu-${++this.#seq}-${crypto.randomUUID().slice(0, 8)}`;
      this.sessions.set(token, { path: vpath, overwrite, parts: new Map() });
      return json({ multipart_upload: { session_token: token } });
    }
    if (action === "complete-upload") {
      if (q.get("upload_type") !== "multipart") return badRequest("upload_type must be multipart.");
      const s = this.sessions.get(q.get("session_token") ?? "");
      if (!s || s.path !== vpath) return apiError(404, "NOT_FOUND", "Upload session not found.");
      const body = await readJson(req);
      const parts = body?.parts as { part_number: number; etag: string }[] | undefined;
      if (!Array.isArray(parts) || !parts.length) return badRequest("parts is required.");
      for (let i = 0; i < parts.length; i++) {
        const p = s.parts.get(parts[i].part_number);
        if (parts[i].part_number !== i + 1) return badRequest("Parts must be 1..N in order.");
        if (!p || p.etag !== parts[i].etag) {
          return badRequest(`Part ${parts[i].part_number} is missing or its ETag does not match.`);
        }
        if (i < parts.length - 1 && p.size < this.minPartBytes) {
          return badRequest(`Part ${i + 1} is smaller than the minimum part size.`);
        }
      }
      const tmp = `${this.fake.files.root}/mpu-out-${this.#seq++}`;
      const out = await Deno.open(tmp, { write: true, create: true, truncate: true });
      for (const { part_number } of parts) {
        const f = await Deno.open(s.parts.get(part_number)!.file, { read: true });
        await f.readable.pipeTo(out.writable, { preventClose: true });
      }
      out.close();
      await this.fake.files.moveIn(vpath, tmp);
      await this.#drop(q.get("session_token")!);
      return json({});
    }
    return badRequest(`Unknown action '${action}'.`);
  }

  /** POST /api/2.0/fs/create-upload-part-urls and /api/2.0/fs/create-abort-upload-url. */
  async urls(req: Request, path: string): Promise<Response | undefined> {
    if (req.method !== "POST") return undefined;
    if (
      path !== "/api/2.0/fs/create-upload-part-urls" &&
      path !== "/api/2.0/fs/create-abort-upload-url"
    ) {
      return undefined;
    }
    const b = await readJson(req);
    const token = String(b?.session_token ?? "");
    const s = this.sessions.get(token);
    if (!s || s.path !== b?.path) return apiError(404, "NOT_FOUND", "Upload session not found.");
    if (typeof b.expire_time !== "string" || Number.isNaN(Date.parse(b.expire_time))) {
      return badRequest("expire_time must be an RFC 3339 timestamp.");
    }
    const base = `${this.fake.url}/__storage/${token}`;
    if (path.endsWith("abort-upload-url")) {
      return json({ abort_upload_url: { url: `${base}/abort`, headers: [] } });
    }
    const start = Number(b.start_part_number);
    const count = Number(b.count);
    if (!(start >= 1) || !(count >= 1)) {
      return badRequest("start_part_number and count must be ≥ 1.");
    }
    return json({
      upload_part_urls: Array.from({ length: count }, (_, i) => ({
        part_number: start + i,
        url: `${base}/${start + i}?X-Amz-Signature=fake`,
        headers: [{ name: "x-amz-server-side-encryption", value: "AES256" }],
      })),
    });
  }

  /** The cloud-storage side: PUT a part, DELETE to abort. No workspace auth here. */
  async storage(req: Request, path: string): Promise<Response> {
    const m = /^\/__storage\/([^/]+)\/(\d+|abort)$/.exec(path);
    const s = m && this.sessions.get(m[1]);
    if (req.headers.get("authorization")) {
      await req.body?.cancel();
      return xmlError(400, "InvalidArgument", "Only one auth mechanism allowed.");
    }
    if (!m || !s) return xmlError(404, "NoSuchUpload", "The specified upload does not exist.");
    if (m[2] === "abort" && req.method === "DELETE") {
      await this.#drop(m[1]);
      return new Response(null, { status: 204 });
    }
    if (req.method !== "PUT" || !req.body) return xmlError(400, "InvalidRequest", "PUT a part.");
    const n = Number(m[2]);
    if (this.expireNext > 0) {
      this.expireNext--;
      await req.body.cancel();
      return xmlError(403, "AccessDenied", "Request has expired");
    }
    if (this.failPart === n) {
      this.failPart = undefined;
      await req.body.cancel();
      return xmlError(500, "InternalError", "We encountered an internal error. Please try again.");
    }
    const file = `${this.fake.files.root}/mpu-part-${m[1]}-${n}`;
    const f = await Deno.open(file, { write: true, create: true, truncate: true });
    await req.body.pipeTo(f.writable);
    const size = (await Deno.stat(file)).size;
    const etag = `"etag-${n}-${size}"`;
    s.parts.set(n, { file, etag, size });
    this.partPuts++;
    return new Response(null, { status: 200, headers: { etag } });
  }

  async #drop(token: string): Promise<void> {
    const s = this.sessions.get(token);
    this.sessions.delete(token);
    for (const p of s?.parts.values() ?? []) await Deno.remove(p.file).catch(() => {});
  }
}

function xmlError(status: number, code: string, message: string): Response {
  return new Response(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    { status, headers: { "content-type": "application/xml" } },
  );
}
