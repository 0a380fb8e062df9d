import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** GET `?path=/Volumes/...`: folders and files of a volume folder, for the dataset picker. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const path = (ctx.url.searchParams.get("path") ?? ctx.state.settings.volume ?? "").replace(
      /\/+$/,
      "",
    );
    if (!path.startsWith("/Volumes/")) throw new BadRequestError("path must be a /Volumes/ path");
    const files = ctx.state.workspace.files;
    const st = await files.stat(path);
    if (!st) throw new NotFoundError(`${path} does not exist`);
    if (!st.isDirectory) return Response.json({ path, entries: [] });
    const entries: { name: string; path: string; dir: boolean; size?: number }[] = [];
    for await (const e of files.list(path)) {
      entries.push({ name: e.name, path: e.path, dir: e.isDirectory, size: e.size });
      if (entries.length >= 2000) break;
    }
    entries.sort((a, b) => (a.dir === b.dir ? a.name.localeCompare(b.name) : a.dir ? -1 : 1));
    return Response.json({ path, entries });
  },
};
