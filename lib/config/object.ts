/** Plain-mapping test shared by the config modules. Browser-safe. */

/** True for a plain mapping (not null, not a list). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
