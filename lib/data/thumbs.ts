/**
 * Server-side thumbnails for the sample grid: a page of 24 COCO photos is ~4 MB as originals and
 * ~150 KB as thumbnails, which matters when images come through the Databricks Files API. JPEG
 * and PNG are decoded off the request thread (lib/image/decode_pool.ts, within the one pixel
 * budget), box-filtered down and re-encoded as JPEG; results are cached in memory by path, size
 * and modification time.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import { thumbnailOffThread } from "@/lib/image/decode_pool.ts";

const cache = new Map<string, Uint8Array>();
const MAX_CACHED = 512;

/**
 * A JPEG thumbnail of `path` (longer side ≤ `size`), or null when it is not decoded here: a
 * format other than JPEG/PNG, an unreadable file, or an image over the pixel budget. The caller
 * then serves the original, which costs bandwidth but no decoding.
 */
export async function thumbnail(
  files: FilesApi,
  path: string,
  size = 192,
): Promise<Uint8Array | null> {
  const st = await files.stat(path);
  if (!st || st.isDirectory) return null;
  const key = `${path}\n${size}\n${st.size}\n${st.modifiedAt ?? ""}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let out: Uint8Array;
  try {
    out = await thumbnailOffThread(await files.readBytes(path), size, path);
  } catch {
    return null; // unreadable or too big: the caller serves the original (and the scan reports it)
  }
  cache.set(key, out);
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return out;
}
