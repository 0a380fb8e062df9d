/**
 * The Workspace port's files part over the Files API, with the local adapter's semantics: the
 * same NotFoundError / ConflictError for missing and existing paths, the same guards on
 * volume roots. The Files API has no append (a file is only ever written whole), so `append` is
 * not offered.
 */
import { ConflictError, NotFoundError, WorkspaceError } from "@/lib/errors.ts";
import type { FileEntry, FilesApi } from "../types.ts";
import { parseVolumePath } from "../volume_path.ts";
import { DatabricksError } from "./api_error.ts";
import type { DirEntry, FilesClient } from "./files.ts";
import { readFileFrom } from "./files_range.ts";

function entryOf(e: DirEntry): FileEntry {
  const path = e.path.replace(/\/+$/, "");
  return {
    path,
    name: e.name ?? path.slice(path.lastIndexOf("/") + 1),
    isDirectory: e.is_directory,
    size: e.is_directory ? undefined : e.file_size,
    modifiedAt: e.last_modified,
  };
}

/** Re-throws a Databricks 404 / 409 as the port's NotFoundError / ConflictError. */
function mapped(e: unknown, notFound: string, conflict?: string): never {
  if (e instanceof DatabricksError && e.status === 404) throw new NotFoundError(notFound);
  if (e instanceof DatabricksError && e.status === 409 && conflict) {
    throw new ConflictError(conflict);
  }
  throw e;
}

/** Files part of the port. */
export function filesApi(fc: FilesClient): FilesApi {
  const api: FilesApi = {
    async *list(path) {
      const vp = parseVolumePath(path);
      try {
        for await (const e of fc.list(vp.path)) yield entryOf(e);
      } catch (e) {
        mapped(e, `Folder ${vp.path} does not exist.`);
      }
    },
    async stat(path) {
      const vp = parseVolumePath(path);
      const name = vp.rest.at(-1) ?? vp.volume;
      if (vp.rest.length) {
        const f = await fc.headFile(vp.path);
        if (f) {
          return {
            path: vp.path,
            name,
            isDirectory: false,
            size: f.size,
            modifiedAt: f.modifiedAt,
          };
        }
      }
      return await fc.dirExists(vp.path) ? { path: vp.path, name, isDirectory: true } : null;
    },
    async read(path) {
      const vp = parseVolumePath(path);
      try {
        return await fc.download(vp.path);
      } catch (e) {
        mapped(e, `File ${vp.path} does not exist.`);
      }
    },
    async readBytes(path) {
      return new Uint8Array(await new Response(await api.read(path)).arrayBuffer());
    },
    async readText(path) {
      return new TextDecoder().decode(await api.readBytes(path));
    },
    async write(path, data, opts = {}) {
      const vp = parseVolumePath(path);
      if (vp.rest.length === 0) {
        throw new WorkspaceError(
          `Cannot write to the volume root ${vp.path}.`,
          "INVALID_PARAMETER_VALUE",
          400,
        );
      }
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      try {
        await fc.upload(vp.path, bytes, { overwrite: opts.overwrite ?? true });
      } catch (e) {
        mapped(e, `The volume of ${vp.path} does not exist.`, `File ${vp.path} already exists.`);
      }
    },
    async readFrom(path, offset) {
      const vp = parseVolumePath(path);
      const tail = await readFileFrom(fc, vp.path, offset);
      if (!tail) throw new NotFoundError(`File ${vp.path} does not exist.`);
      return tail;
    },
    async mkdirs(path) {
      await fc.mkdirs(parseVolumePath(path).path);
    },
    async delete(path, opts = {}) {
      const vp = parseVolumePath(path);
      if (vp.rest.length === 0) {
        throw new WorkspaceError(
          `Refusing to delete the volume root ${vp.path}.`,
          "PERMISSION_DENIED",
          403,
        );
      }
      const st = await api.stat(vp.path);
      if (!st) throw new NotFoundError(`${vp.path} does not exist.`);
      if (!st.isDirectory) return await fc.deleteFile(st.path);
      if (opts.recursive) {
        // Collect first: deleting while paging would shift the pages.
        const children: FileEntry[] = [];
        for await (const e of api.list(st.path)) children.push(e);
        for (const c of children) {
          if (c.isDirectory) await api.delete(c.path, { recursive: true });
          else await fc.deleteFile(c.path);
        }
      }
      try {
        await fc.deleteDir(st.path);
      } catch (e) {
        const notEmpty = e instanceof DatabricksError &&
          (e.status === 409 || /NOT_EMPTY/.test(e.errorCode) ||
            /not empty/i.test(e.databricksMessage ?? ""));
        if (notEmpty) {
          throw new ConflictError(`Folder ${vp.path} is not empty; delete it recursively.`);
        }
        throw e;
      }
    },
  };
  return api;
}
