/**
 * The shape of a data path, judged without the workspace: a `/Volumes/<c>/<s>/<v>/...` path, no
 * `.` or `..` segments; template placeholders pass. Browser-safe (the editor checks as you type);
 * whether the path exists is `data_paths.ts`'s finding on the server.
 */

/** A path inside a volume: /Volumes/<catalog>/<schema>/<volume>/<something>. */
const VOLUME_PATH = /^\/Volumes\/[^/]+\/[^/]+\/[^/]+\/./;

/** True for template placeholders such as `/Volumes/<catalog>/...` (fine to save, not to run). */
export function isPlaceholder(path: string): boolean {
  return /<[^>]*>/.test(path);
}

/**
 * Why `path` can never be a data path (not absolute, outside a volume, `..`), or null when its
 * shape is fine. Placeholders pass: they are filled in later, and refused only at launch.
 * `shown` is the path as the message names it (the server hides its own folders' location).
 */
export function volumePathProblem(path: string, shown = path): string | null {
  if (isPlaceholder(path)) return null;
  if (!path.startsWith("/")) {
    return `must be an absolute /Volumes/<catalog>/<schema>/<volume>/… path, got "${shown}"`;
  }
  if (!VOLUME_PATH.test(path)) {
    return `must be inside a volume (/Volumes/<catalog>/<schema>/<volume>/…), got "${shown}"`;
  }
  if (path.split("/").some((s) => s === ".." || s === ".")) {
    return `must not contain "." or ".." segments, got "${shown}"`;
  }
  return null;
}
