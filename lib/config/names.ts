/** Config names: used in URLs and in the file path `configs/<name>/v<N>.yaml`. Browser-safe. */

/** Letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most 64 characters. */
export const CONFIG_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What is wrong with a config name, or null when it is fine. */
export function configNameProblem(name: unknown): string | null {
  if (typeof name !== "string" || name.trim() === "") return "is required";
  if (name.length > 64) return `must be at most 64 characters (it has ${name.length})`;
  if (!CONFIG_NAME_RE.test(name) || name.includes("..")) {
    return "may hold only letters, digits, -, _ and . and must start with a letter or digit";
  }
  return null;
}

/** A name suggestion from free text: `DETR on COCO` → `detr-on-coco`. */
export function slugifyName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[-._]+|[-._]+$/g, "")
    .slice(0, 64) || "config";
}
