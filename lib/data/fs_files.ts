/**
 * A FilesApi over the plain filesystem, for the command line: `eda scan ./my-dataset` should work
 * on any folder, not only under a workspace volume. Server code uses the Workspace's own files.
 */
import type { FileEntry, FilesApi } from "@/lib/workspace/types.ts";

/** Plain-filesystem FilesApi; paths are used as given (relative to the current directory). */
export class FsFiles implements FilesApi {
  async *list(path: string): AsyncIterable<FileEntry> {
    const base = path.endsWith("/") ? path.slice(0, -1) : path;
    for await (const e of Deno.readDir(path)) {
      const p = `${base}/${e.name}`;
      let isDir = e.isDirectory;
      let size: number | undefined;
      let modifiedAt: number | undefined;
      if (e.isSymlink || e.isFile) {
        const st = await Deno.stat(p).catch(() => null);
        if (!st) continue;
        isDir = st.isDirectory;
        size = st.isFile ? st.size : undefined;
        modifiedAt = st.mtime?.getTime();
      }
      yield { path: p, name: e.name, isDirectory: isDir, size, modifiedAt };
    }
  }

  async stat(path: string): Promise<FileEntry | null> {
    try {
      const st = await Deno.stat(path);
      return {
        path,
        name: path.slice(path.lastIndexOf("/") + 1),
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
    const f = await Deno.open(path, { read: true });
    return f.readable;
  }

  readBytes(path: string): Promise<Uint8Array> {
    return Deno.readFile(path);
  }

  readText(path: string): Promise<string> {
    return Deno.readTextFile(path);
  }

  async write(
    path: string,
    data: Uint8Array | string | ReadableStream<Uint8Array>,
    opts?: { overwrite?: boolean },
  ): Promise<void> {
    if (opts?.overwrite === false && await this.stat(path)) {
      throw new Error(`${path} already exists`);
    }
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
  }

  async mkdirs(path: string): Promise<void> {
    await Deno.mkdir(path, { recursive: true });
  }

  async delete(path: string, opts?: { recursive?: boolean }): Promise<void> {
    await Deno.remove(path, { recursive: opts?.recursive ?? false });
  }
}
