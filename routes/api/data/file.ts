import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import { colorizeMaskOffThread } from "@/lib/image/decode_pool.ts";
import { thumbnail } from "@/lib/data/thumbs.ts";
import type { Handlers } from "@/lib/web/types.ts";

const TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  bmp: "image/bmp",
  tif: "image/tiff",
  tiff: "image/tiff",
};

/**
 * GET `?path=/Volumes/...`: streams an image file from the volume for the sample viewer.
 * `&overlay=mask` turns a class-id mask PNG into a coloured translucent overlay; `&thumb=192` gives a
 * JPEG thumbnail (cached; the original when the format is not decoded here). Both decode off the
 * request thread within the pixel budget (lib/image/budget.ts); a mask that is not a PNG, or is
 * too big, is a 4xx naming the problem.
 */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const path = ctx.url.searchParams.get("path") ?? "";
    if (!path.startsWith("/Volumes/")) throw new BadRequestError("path must be a /Volumes/ path");
    const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
    const type = TYPES[ext];
    if (!type) throw new BadRequestError(`${path} is not an image file this viewer serves`);
    const files = ctx.state.workspace.files;
    const st = await files.stat(path);
    if (!st || st.isDirectory) throw new NotFoundError(`${path} does not exist`);
    const headers = {
      "content-type": type,
      "cache-control": "private, max-age=300",
      "x-content-type-options": "nosniff",
    };
    if (ctx.url.searchParams.get("overlay") === "mask") {
      if (ext !== "png") {
        throw new BadRequestError(`overlay=mask needs a class-id PNG mask; ${path} is not a PNG.`);
      }
      const png = await colorizeMaskOffThread(await files.readBytes(path), path);
      return new Response(png as Uint8Array<ArrayBuffer>, {
        headers: { ...headers, "content-type": "image/png" },
      });
    }
    const thumb = Number(ctx.url.searchParams.get("thumb") ?? 0);
    if (thumb > 0) {
      const t = await thumbnail(files, path, Math.min(512, Math.max(32, thumb)));
      if (t) {
        return new Response(t as Uint8Array<ArrayBuffer>, {
          headers: { ...headers, "content-type": "image/jpeg" },
        });
      }
    }
    return new Response(await files.read(path), {
      headers: { ...headers, "content-length": String(st.size ?? "") },
    });
  },
};
