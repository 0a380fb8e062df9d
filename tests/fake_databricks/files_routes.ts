/**
 * Files API and volume browsing for the fake workspace. File bodies stream to and from a temp
 * directory, so 100 MB uploads cost the test process no more memory than small ones.
 */
import { apiError, badRequest, json, notFound, page } from "./util.ts";
import type { FakeDatabricks, Identity } from "./server.ts";

interface Volume {
  catalog: string;
  schema: string;
  name: string;
}

export class FakeFiles {
  readonly volumes = new Map<string, Volume>();
  /** Volume full name → privileges that are denied ("READ VOLUME" | "WRITE VOLUME"). */
  readonly denied = new Map<string, Set<string>>();
  fake?: FakeDatabricks;
  #tmpSeq = 0;

  private constructor(readonly root: string) {}

  static async create(): Promise<FakeFiles> {
    return new FakeFiles(await Deno.makeTempDir({ prefix: "fake_databricks_" }));
  }

  async dispose(): Promise<void> {
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }

  /** Creates a volume `catalog.schema.name` (its root directory exists from then on). */
  async addVolume(fullName: string): Promise<void> {
    const [catalog, schema, name] = fullName.split(".");
    if (!name) throw new Error(`volume name must be catalog.schema.volume, got ${fullName}`);
    this.volumes.set(fullName, { catalog, schema, name });
    await Deno.mkdir(`${this.root}/v/${catalog}/${schema}/${name}`, { recursive: true });
  }

  /** Denies a privilege on a volume to every identity. */
  deny(fullName: string, privilege: "READ VOLUME" | "WRITE VOLUME"): void {
    if (!this.denied.has(fullName)) this.denied.set(fullName, new Set());
    this.denied.get(fullName)!.add(privilege);
  }

  /**
   * Writes a file directly (test setup); `modifiedAt` (epoch ms) sets its Last-Modified, e.g.
   * later than a download's If-Unmodified-Since within the same second.
   */
  async put(
    path: string,
    data: Uint8Array | string,
    opts: { modifiedAt?: number } = {},
  ): Promise<void> {
    const local = this.#local(path);
    if (!local) throw new Error(`not in a known volume: ${path}`);
    await Deno.mkdir(local.slice(0, local.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(local, typeof data === "string" ? new TextEncoder().encode(data) : data);
    if (opts.modifiedAt !== undefined) {
      const at = new Date(opts.modifiedAt);
      await Deno.utime(local, at, at);
    }
  }

  /** Moves a finished temp file to a volume path (multipart completion). */
  async moveIn(path: string, tmp: string): Promise<void> {
    const local = this.#local(path)!;
    await Deno.mkdir(local.slice(0, local.lastIndexOf("/")), { recursive: true });
    await Deno.rename(tmp, local);
  }

  /** Size of a stored file, or undefined when absent (test assertions). */
  async sizeOf(path: string): Promise<number | undefined> {
    const local = this.#local(path);
    return local
      ? await Deno.stat(local).then((s) => s.isFile ? s.size : undefined, () => undefined)
      : undefined;
  }

  #local(path: string): string | undefined {
    const m = /^\/Volumes\/([^/]+)\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!m || !this.volumes.has(`${m[1]}.${m[2]}.${m[3]}`)) return undefined;
    if ((m[4] ?? "").split("/").some((s) => s === "..")) return undefined;
    return `${this.root}/v/${m[1]}/${m[2]}/${m[3]}${m[4] ?? ""}`.replace(/\/+$/, "");
  }

  async route(req: Request, url: URL, path: string, _id: Identity): Promise<Response | undefined> {
    if (path.startsWith("/api/2.1/unity-catalog/volumes")) return this.#volumesApi(url, path);
    const urls = await this.fake?.multipart.urls(req, path);
    if (urls) return urls;
    if (path === "/api/2.1/unity-catalog/catalogs") {
      const names = [...new Set([...this.volumes.values()].map((v) => v.catalog))].sort();
      const max = Number(url.searchParams.get("max_results")) || names.length;
      return json({ catalogs: names.slice(0, max).map((name) => ({ name })) });
    }
    const m = /^\/api\/2\.0\/fs\/(files|directories)(\/.*)$/.exec(path);
    if (!m) return undefined;
    const [, kind, vpath] = m;
    const vm = /^\/Volumes\/([^/]+)\/([^/]+)\/([^/]+)/.exec(vpath);
    if (!vm) return badRequest(`Path ${vpath} is not a Unity Catalog volume path.`);
    const volume = `${vm[1]}.${vm[2]}.${vm[3]}`;
    if (!this.volumes.has(volume)) return notFound(`Volume '${volume}'`);
    const reading = req.method === "GET" || req.method === "HEAD";
    const priv = reading ? "READ VOLUME" : "WRITE VOLUME";
    if (this.denied.get(volume)?.has(priv)) {
      return apiError(
        403,
        "PERMISSION_DENIED",
        `User does not have ${priv} on Volume '${volume}'.`,
      );
    }
    const local = this.#local(vpath);
    if (!local) return badRequest(`Invalid path ${vpath}.`);
    return kind === "files"
      ? await this.#file(req, url, vpath, local)
      : await this.#dir(req, url, vpath, local);
  }

  #volumesApi(url: URL, path: string): Response {
    const full = path.slice("/api/2.1/unity-catalog/volumes".length).replace(/^\//, "");
    const info = (v: Volume) => ({
      name: v.name,
      full_name: `${v.catalog}.${v.schema}.${v.name}`,
      catalog_name: v.catalog,
      schema_name: v.schema,
      volume_type: "MANAGED",
      owner: "admins",
    });
    if (full) {
      const v = this.volumes.get(full);
      return v ? json(info(v)) : notFound(`Volume '${full}'`);
    }
    const cat = url.searchParams.get("catalog_name");
    const sch = url.searchParams.get("schema_name");
    if (!cat || !sch) return badRequest("catalog_name and schema_name are required.");
    const all = [...this.volumes.values()].filter((v) => v.catalog === cat && v.schema === sch);
    const { slice, next } = page(
      all.map(info),
      url.searchParams.get("page_token"),
      Number(url.searchParams.get("max_results")) || 1000,
    );
    return json({ volumes: slice, next_page_token: next });
  }

  async #file(req: Request, url: URL, vpath: string, local: string): Promise<Response> {
    const stat = await Deno.stat(local).catch(() => undefined);
    switch (req.method) {
      case "GET":
      case "HEAD": {
        if (!stat?.isFile) return notFound(`File '${vpath}'`);
        const headers = {
          "content-type": "application/octet-stream",
          "content-length": String(stat.size),
          "last-modified": (stat.mtime ?? new Date()).toUTCString(),
        };
        if (modifiedSince(req.headers.get("if-unmodified-since"), stat.mtime)) {
          // "If it has [been modified], a 412 Precondition Failed error will be returned."
          return apiError(
            412,
            "FAILED_PRECONDITION",
            `The file '${vpath}' has been modified since ${
              req.headers.get("if-unmodified-since")
            }.`,
          );
        }
        if (req.method === "HEAD") return new Response(null, { headers });
        const range = byteRange(req.headers.get("range"), stat.size);
        if (range === "unsatisfiable") {
          return apiError(416, "INVALID_PARAMETER_VALUE", "Range not satisfiable.", {
            "content-range": `bytes */${stat.size}`,
          });
        }
        const f = await Deno.open(local, { read: true });
        if (range) {
          const [from, last] = range;
          await f.seek(from, Deno.SeekMode.Start);
          return new Response(f.readable.pipeThrough(take(last - from + 1)), {
            status: 206,
            headers: {
              ...headers,
              "content-length": String(last - from + 1),
              "content-range": `bytes ${from}-${last}/${stat.size}`,
            },
          });
        }
        return new Response(f.readable, { headers });
      }
      case "POST":
        if (stat?.isDirectory) return apiError(409, "ALREADY_EXISTS", `'${vpath}' is a directory.`);
        return await this.fake!.multipart.fileAction(req, url, vpath, !!stat?.isFile);
      case "PUT": {
        if (stat?.isDirectory) return apiError(409, "ALREADY_EXISTS", `'${vpath}' is a directory.`);
        if (stat && url.searchParams.get("overwrite") !== "true") {
          return apiError(409, "ALREADY_EXISTS", `The file being created already exists.`);
        }
        if (!req.body) return badRequest("Missing request body.");
        const tmp = `${this.root}/tmp-${++this.#tmpSeq}`;
        const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
        try {
          await req.body.pipeTo(f.writable);
        } catch {
          await Deno.remove(tmp).catch(() => {});
          return badRequest("The upload was interrupted; nothing was stored.");
        }
        await Deno.mkdir(local.slice(0, local.lastIndexOf("/")), { recursive: true });
        await Deno.rename(tmp, local);
        return new Response(null, { status: 204 });
      }
      case "DELETE": {
        if (!stat?.isFile) return notFound(`File '${vpath}'`);
        await Deno.remove(local);
        return new Response(null, { status: 204 });
      }
    }
    return apiError(405, "METHOD_NOT_ALLOWED", `${req.method} not allowed.`);
  }

  async #dir(req: Request, url: URL, vpath: string, local: string): Promise<Response> {
    const stat = await Deno.stat(local).catch(() => undefined);
    switch (req.method) {
      case "HEAD":
        return stat?.isDirectory ? new Response(null) : notFound(`Directory '${vpath}'`);
      case "GET": {
        if (!stat) return notFound(`Directory '${vpath}'`);
        if (!stat.isDirectory) return badRequest(`'${vpath}' is not a directory.`);
        const entries = [];
        for await (const e of Deno.readDir(local)) {
          const s = await Deno.stat(`${local}/${e.name}`);
          entries.push({
            path: `${vpath.replace(/\/$/, "")}/${e.name}${e.isDirectory ? "/" : ""}`,
            name: e.name,
            is_directory: e.isDirectory,
            ...(e.isDirectory ? {} : { file_size: s.size }),
            last_modified: s.mtime?.getTime(),
          });
        }
        entries.sort((a, b) => a.name.localeCompare(b.name));
        const size = Math.min(Number(url.searchParams.get("page_size")) || 1000, 1000);
        const { slice, next } = page(entries, url.searchParams.get("page_token"), size);
        return json({ contents: slice, ...(next ? { next_page_token: next } : {}) });
      }
      case "PUT":
        if (stat && !stat.isDirectory) {
          return apiError(409, "ALREADY_EXISTS", `'${vpath}' is a file.`);
        }
        await Deno.mkdir(local, { recursive: true });
        return new Response(null, { status: 204 });
      case "DELETE": {
        if (!stat?.isDirectory) return notFound(`Directory '${vpath}'`);
        for await (const _ of Deno.readDir(local)) {
          return apiError(409, "DIRECTORY_NOT_EMPTY", `Directory '${vpath}' is not empty.`);
        }
        await Deno.remove(local);
        return new Response(null, { status: 204 });
      }
    }
    return apiError(405, "METHOD_NOT_ALLOWED", `${req.method} not allowed.`);
  }
}

/**
 * The byte range a download's `Range` header asks for, as RFC 9110 reads it (the Files API's
 * download takes "the Range and If-Unmodified-Since HTTP headers"): `bytes=first-last`,
 * `bytes=first-` or the suffix `bytes=-n`, the last byte clipped to the file's. A range starting
 * at or past the end (any range of an empty file) is unsatisfiable: 416, its Content-Range
 * giving only the file's size (RFC 9110 §15.5.17). A header that is not one such range is ignored and the whole
 * file is sent with 200, as RFC 9110 lets a server do.
 */
export function byteRange(
  header: string | null,
  size: number,
): [first: number, last: number] | "unsatisfiable" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec((header ?? "").trim());
  if (!m || (!m[1] && !m[2])) return undefined;
  if (!m[1]) {
    const n = Number(m[2]);
    return n === 0 || size === 0 ? "unsatisfiable" : [Math.max(0, size - n), size - 1];
  }
  const first = Number(m[1]);
  const last = m[2] ? Number(m[2]) : Infinity;
  if (last < first) return undefined;
  return first >= size ? "unsatisfiable" : [first, Math.min(last, size - 1)];
}

/**
 * Whether a file modified at `mtime` was modified after an `If-Unmodified-Since` date (RFC 9110
 * §13.1.4, which the Files API's download takes): compared in whole seconds, as HTTP-dates
 * are; a header that is not a date is ignored.
 */
export function modifiedSince(header: string | null, mtime: Date | null): boolean {
  if (!header || !mtime) return false;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  return Math.floor(mtime.getTime() / 1000) > Math.floor(since / 1000);
}

/** Passes the first `n` bytes of a stream on, then ends it. */
function take(n: number): TransformStream<Uint8Array, Uint8Array> {
  let left = n;
  return new TransformStream({
    transform(chunk, ctl) {
      if (left <= 0) return;
      const part = chunk.byteLength > left ? chunk.subarray(0, left) : chunk;
      left -= part.byteLength;
      ctl.enqueue(part);
      if (left <= 0) ctl.terminate();
    },
  });
}
