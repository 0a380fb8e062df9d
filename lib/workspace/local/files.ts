/**
 * The local adapter's files: `/Volumes/<c>/<s>/<v>/...` lives under `<data dir>/volumes/c/s/v/`.
 * Writes go to a temp file that is renamed into place, so a failed upload never leaves a partial
 * or empty file; `append` alone writes in place (a log that grows line by line). Links are judged against the real (link-free) volumes root: a catalog, schema or
 * volume folder that is itself a link, or a link below it that leads out of its volume, is refused
 * like `..` is, and a refused link's target is never even stat-ed. File-system errors become 4xx
 * errors naming the volume path; host paths stay in the log.
 */
import { BadRequestError, ConflictError, NotFoundError, WorkspaceError } from "@/lib/errors.ts";
import type { FileEntry, FilesApi } from "../types.ts";
import { parseVolumePath, type VolumePath } from "../volume_path.ts";

/** Files API over a folder on disk. */
export class LocalFiles implements FilesApi {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = `${dataDir.replace(/\/$/, "")}/volumes`;
  }

  volumePathOf(path: string): string | undefined {
    if (path.startsWith("/Volumes/")) return path.replace(/\/+$/, "");
    if (!path.startsWith(`${this.root}/`)) return undefined;
    return `/Volumes/${path.slice(this.root.length + 1)}`.replace(/\/+$/, "");
  }

  /**
   * The disk path for a volume path, after checking it stays in its volume. Each existing
   * segment is `lstat`-ed from the real volumes root down; a link must resolve inside
   * `<real volumes root>/c/s/v`, so links at the catalog, schema or volume level (whose targets
   * cannot be inside it) are refused, and so are broken links, whose target cannot be judged.
   */
  async resolve(path: string): Promise<{ vp: VolumePath; disk: string }> {
    const vp = parseVolumePath(path);
    const root = await Deno.realPath(this.root).catch(() => this.root);
    const segs = [vp.catalog, vp.schema, vp.volume, ...vp.rest];
    const volReal = [root, vp.catalog, vp.schema, vp.volume].join("/");
    let cur = root;
    for (const seg of segs) {
      const next = `${cur}/${seg}`;
      let info: Deno.FileInfo;
      try {
        info = await Deno.lstat(next);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) break; // nothing below exists: nothing to follow
        throw fsError(e, vp);
      }
      if (!info.isSymlink) {
        cur = next;
        continue;
      }
      const real = await Deno.realPath(next).catch(() => null);
      if (real === null || !inside(real, volReal)) {
        throw new WorkspaceError(
          `Path "${vp.path}" leads outside its volume (through a link).`,
          "PERMISSION_DENIED",
          403,
        );
      }
      cur = real;
    }
    return { vp, disk: [root, ...segs].join("/") };
  }

  /** True when the entry `name` in folder `disk` is a link whose target stays in `vp`'s volume. */
  private async linkStaysInside(disk: string, name: string, vp: VolumePath): Promise<boolean> {
    const root = await Deno.realPath(this.root).catch(() => this.root);
    const real = await Deno.realPath(`${disk}/${name}`).catch(() => null);
    return real !== null && inside(real, [root, vp.catalog, vp.schema, vp.volume].join("/"));
  }

  async *list(path: string): AsyncIterable<FileEntry> {
    const { vp, disk } = await this.resolve(path);
    let entries: Deno.DirEntry[] = [];
    try {
      for await (const e of Deno.readDir(disk)) entries.push(e);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new NotFoundError(`Folder ${vp.path} does not exist.`);
      }
      if (e instanceof Deno.errors.NotADirectory) {
        throw new WorkspaceError(`${vp.path} is a file, not a folder.`, "NOT_A_DIRECTORY", 400);
      }
      throw fsError(e, vp);
    }
    entries = entries.filter((e) => !e.name.startsWith(".lv-tmp-"));
    entries.sort((a, b) =>
      Number(b.isDirectory) - Number(a.isDirectory) || a.name.localeCompare(b.name)
    );
    for (const e of entries) {
      const entry: FileEntry = { path: `${vp.path}/${e.name}`, name: e.name, isDirectory: false };
      // A link that leads out is listed by name only: its target's size and time are not ours.
      if (e.isSymlink && !await this.linkStaysInside(disk, e.name, vp)) {
        yield entry;
        continue;
      }
      const st = await Deno.stat(`${disk}/${e.name}`).catch(() => null);
      yield {
        ...entry,
        isDirectory: st?.isDirectory ?? e.isDirectory,
        size: st?.isFile ? st.size : undefined,
        modifiedAt: st?.mtime?.getTime(),
      };
    }
  }

  async stat(path: string): Promise<FileEntry | null> {
    const { vp, disk } = await this.resolve(path);
    try {
      const st = await Deno.stat(disk);
      return {
        path: vp.path,
        name: vp.rest.at(-1) ?? vp.volume,
        isDirectory: st.isDirectory,
        size: st.isFile ? st.size : undefined,
        modifiedAt: st.mtime?.getTime(),
      };
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
      throw fsError(e, vp);
    }
  }

  async read(path: string): Promise<ReadableStream<Uint8Array>> {
    const { vp, disk } = await this.resolve(path);
    try {
      const f = await Deno.open(disk, { read: true });
      return f.readable;
    } catch (e) {
      throw fsError(e, vp);
    }
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const { vp, disk } = await this.resolve(path);
    try {
      return await Deno.readFile(disk);
    } catch (e) {
      throw fsError(e, vp);
    }
  }

  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.readBytes(path));
  }

  /** A file path to write: resolved and checked, never a volume's root. */
  async writable(path: string): Promise<{ vp: VolumePath; disk: string }> {
    const r = await this.resolve(path);
    if (r.vp.rest.length === 0) {
      throw new WorkspaceError(
        `Cannot write to the volume root ${r.vp.path}.`,
        "INVALID_PARAMETER_VALUE",
        400,
      );
    }
    return r;
  }

  async write(
    path: string,
    data: Uint8Array | string | ReadableStream<Uint8Array>,
    opts: { overwrite?: boolean } = {},
  ): Promise<void> {
    const { vp, disk } = await this.writable(path);
    const overwrite = opts.overwrite ?? true;
    if (!overwrite && await Deno.lstat(disk).then(() => true, () => false)) {
      throw new ConflictError(`File ${vp.path} already exists.`);
    }
    const dir = disk.slice(0, disk.lastIndexOf("/"));
    const tmp = `${dir}/.lv-tmp-${crypto.randomUUID()}`;
    try {
      await Deno.mkdir(dir, { recursive: true });
      if (data instanceof ReadableStream) {
        const f = await Deno.open(tmp, { write: true, createNew: true });
        await data.pipeTo(f.writable);
      } else {
        await Deno.writeFile(tmp, typeof data === "string" ? new TextEncoder().encode(data) : data);
      }
      await Deno.rename(tmp, disk);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw fsError(e, vp);
    }
  }

  /** The bytes from `offset` on and the size, read with one open, stat and seek. */
  async readFrom(path: string, offset: number): Promise<{ bytes: Uint8Array; size: number }> {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new BadRequestError(`Offset ${offset} into ${path} is not a byte position.`);
    }
    const { vp, disk } = await this.resolve(path);
    let f: Deno.FsFile;
    try {
      f = await Deno.open(disk, { read: true });
    } catch (e) {
      throw fsError(e, vp);
    }
    try {
      const st = await f.stat();
      if (st.isDirectory) throw new Deno.errors.IsADirectory(vp.path);
      if (offset >= st.size) return { bytes: new Uint8Array(0), size: st.size };
      await f.seek(offset, Deno.SeekMode.Start);
      const bytes = new Uint8Array(st.size - offset);
      let n = 0;
      while (n < bytes.length) {
        const got = await f.read(bytes.subarray(n));
        if (got === null) break; // cut shorter since the stat
        n += got;
      }
      return { bytes: bytes.subarray(0, n), size: offset + n };
    } catch (e) {
      throw fsError(e, vp);
    } finally {
      f.close();
    }
  }

  /** Appends in place and fsyncs; the file (and its folder) is made when missing. */
  async append(path: string, data: Uint8Array | string): Promise<void> {
    const { vp, disk } = await this.writable(path);
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let f: Deno.FsFile;
    try {
      f = await Deno.open(disk, { append: true, create: true }).catch(async (e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
        await Deno.mkdir(disk.slice(0, disk.lastIndexOf("/")), { recursive: true });
        return await Deno.open(disk, { append: true, create: true });
      });
    } catch (e) {
      throw fsError(e, vp);
    }
    try {
      let n = 0;
      while (n < bytes.length) n += await f.write(bytes.subarray(n));
      await f.sync();
    } catch (e) {
      throw fsError(e, vp);
    } finally {
      f.close();
    }
  }

  async mkdirs(path: string): Promise<void> {
    const { vp, disk } = await this.resolve(path);
    try {
      await Deno.mkdir(disk, { recursive: true });
    } catch (e) {
      throw fsError(e, vp);
    }
  }

  async delete(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const { vp, disk } = await this.resolve(path);
    if (vp.rest.length === 0) {
      throw new WorkspaceError(
        `Refusing to delete the volume root ${vp.path}.`,
        "PERMISSION_DENIED",
        403,
      );
    }
    try {
      await Deno.remove(disk, { recursive: opts.recursive ?? false });
    } catch (e) {
      throw fsError(e, vp);
    }
  }
}

/** True when `path` is `dir` or below it. */
function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + "/");
}

/** A volume path short enough to quote in a message. */
function shown(vp: VolumePath): string {
  return vp.path.length > 200 ? `${vp.path.slice(0, 160)}…${vp.path.slice(-30)}` : vp.path;
}

/**
 * A file-system error as the error the person should see, naming the volume path and never the
 * host path (Deno's own messages carry it). Unknown errors pass through unchanged, for the log.
 */
function fsError(e: unknown, vp: VolumePath): unknown {
  if (!(e instanceof Error) || e instanceof WorkspaceError) return e;
  const p = shown(vp);
  if (e instanceof Deno.errors.NotFound) return new NotFoundError(`${p} does not exist.`);
  if (e instanceof Deno.errors.AlreadyExists) return new ConflictError(`${p} already exists.`);
  if (e instanceof Deno.errors.IsADirectory) {
    return new WorkspaceError(`${p} is a folder, not a file.`, "IS_A_DIRECTORY", 400);
  }
  if (e instanceof Deno.errors.NotADirectory) {
    return new WorkspaceError(`A parent of ${p} is a file, not a folder.`, "NOT_A_DIRECTORY", 400);
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new WorkspaceError(`Permission denied for ${p}.`, "PERMISSION_DENIED", 403);
  }
  if (e instanceof Deno.errors.FilesystemLoop) {
    return new BadRequestError(`${p} goes through a loop of links.`);
  }
  const code = (e as { code?: string }).code;
  if (code === "ENAMETOOLONG") {
    return new BadRequestError(
      `Path ${p} is too long: the file system allows 255 bytes per name and 4096 per path.`,
    );
  }
  if (code === "EINVAL" || code === "EILSEQ") {
    return new BadRequestError(`Path ${p} is not a valid file name on this file system.`);
  }
  if (code === "ENOTEMPTY") {
    return new ConflictError(`Folder ${p} is not empty.`);
  }
  // Not a file-system error (e.g. a failed upload stream): its own message says what happened.
  if (!code && e.constructor === Error) return e;
  // Anything else (disk full, I/O error, read-only file system): the OS message names host
  // paths, so it stays in the log; the person gets the volume path and the error's kind.
  console.error(`local files: ${vp.path}: ${e.message}`);
  return new WorkspaceError(
    `Could not access ${p}: ${code ?? e.name} (the server log has the details).`,
    code ?? "IO_ERROR",
    code === "ENOSPC" ? 507 : 500,
  );
}
