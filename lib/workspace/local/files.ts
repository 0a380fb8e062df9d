/**
 * The local adapter's files: `/Volumes/<c>/<s>/<v>/...` lives under `<data dir>/volumes/c/s/v/`.
 * Writes go to a temp file that is renamed into place, so a failed upload never leaves a partial
 * or empty file; symlinks that lead out of a volume are refused like `..` is.
 */
import { ConflictError, NotFoundError, WorkspaceError } from "@/lib/errors.ts";
import type { FileEntry, FilesApi } from "../types.ts";
import { parseVolumePath, type VolumePath } from "../volume_path.ts";

/** Files API over a folder on disk. */
export class LocalFiles implements FilesApi {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = `${dataDir.replace(/\/$/, "")}/volumes`;
  }

  /** The disk path for a volume path, after checking it stays in its volume. */
  async resolve(path: string): Promise<{ vp: VolumePath; disk: string }> {
    const vp = parseVolumePath(path);
    const volRoot = `${this.root}/${vp.catalog}/${vp.schema}/${vp.volume}`;
    const disk = [volRoot, ...vp.rest].join("/");
    // Follow symlinks of the deepest existing ancestor and require it to stay inside the volume.
    let probe = disk;
    while (probe.length >= volRoot.length) {
      try {
        const real = await Deno.realPath(probe);
        const realRoot = await Deno.realPath(volRoot).catch(() => volRoot);
        if (real !== realRoot && !real.startsWith(realRoot + "/")) {
          throw new WorkspaceError(
            `Path "${vp.path}" leads outside its volume (through a link).`,
            "PERMISSION_DENIED",
            403,
          );
        }
        break;
      } catch (e) {
        if (e instanceof WorkspaceError) throw e;
        probe = probe.slice(0, probe.lastIndexOf("/"));
      }
    }
    return { vp, disk };
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
      throw e;
    }
    entries = entries.filter((e) => !e.name.startsWith(".lv-tmp-"));
    entries.sort((a, b) =>
      Number(b.isDirectory) - Number(a.isDirectory) || a.name.localeCompare(b.name)
    );
    for (const e of entries) {
      const st = await Deno.stat(`${disk}/${e.name}`).catch(() => null);
      yield {
        path: `${vp.path}/${e.name}`,
        name: e.name,
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
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
  }

  async read(path: string): Promise<ReadableStream<Uint8Array>> {
    const { vp, disk } = await this.resolve(path);
    try {
      const f = await Deno.open(disk, { read: true });
      return f.readable;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new NotFoundError(`File ${vp.path} does not exist.`);
      }
      throw e;
    }
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const { vp, disk } = await this.resolve(path);
    try {
      return await Deno.readFile(disk);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new NotFoundError(`File ${vp.path} does not exist.`);
      }
      if (e instanceof Deno.errors.IsADirectory) {
        throw new WorkspaceError(`${vp.path} is a folder, not a file.`, "IS_A_DIRECTORY", 400);
      }
      throw e;
    }
  }

  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.readBytes(path));
  }

  async write(
    path: string,
    data: Uint8Array | string | ReadableStream<Uint8Array>,
    opts: { overwrite?: boolean } = {},
  ): Promise<void> {
    const { vp, disk } = await this.resolve(path);
    if (vp.rest.length === 0) {
      throw new WorkspaceError(
        `Cannot write to the volume root ${vp.path}.`,
        "INVALID_PARAMETER_VALUE",
        400,
      );
    }
    const overwrite = opts.overwrite ?? true;
    if (!overwrite && await Deno.stat(disk).then(() => true, () => false)) {
      throw new ConflictError(`File ${vp.path} already exists.`);
    }
    const dir = disk.slice(0, disk.lastIndexOf("/"));
    await Deno.mkdir(dir, { recursive: true });
    const tmp = `${dir}/.lv-tmp-${crypto.randomUUID()}`;
    try {
      if (data instanceof ReadableStream) {
        const f = await Deno.open(tmp, { write: true, createNew: true });
        await data.pipeTo(f.writable);
      } else {
        await Deno.writeFile(tmp, typeof data === "string" ? new TextEncoder().encode(data) : data);
      }
      await Deno.rename(tmp, disk);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  }

  async mkdirs(path: string): Promise<void> {
    const { disk } = await this.resolve(path);
    await Deno.mkdir(disk, { recursive: true });
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
      if (e instanceof Deno.errors.NotFound) throw new NotFoundError(`${vp.path} does not exist.`);
      throw e;
    }
  }
}
