/**
 * Unity Catalog volume paths: `/Volumes/<catalog>/<schema>/<volume>/<rest...>`. Shared by both
 * adapters so a path is judged the same way locally and on Databricks.
 */
import { BadRequestError } from "@/lib/errors.ts";

/** A parsed, normalised volume path. */
export interface VolumePath {
  catalog: string;
  schema: string;
  volume: string;
  /** Segments below the volume root (no `.`/`..`). */
  rest: string[];
  /** The normalised path string. */
  path: string;
}

const NAME = /^[^/\\\0]+$/;

/**
 * Parses and normalises a volume path. `..` segments are resolved; one that would climb out of
 * its volume is refused, as are placeholders like `<catalog>` and anything not under /Volumes.
 */
export function parseVolumePath(input: string): VolumePath {
  if (typeof input !== "string" || input.length === 0) {
    throw new BadRequestError("A volume path is required (e.g. /Volumes/main/cv/data/...).");
  }
  if (input.includes("\0") || input.includes("\\")) {
    throw new BadRequestError(`Path "${input}" contains characters a volume path cannot hold.`);
  }
  if (/<[^>]*>/.test(input)) {
    throw new BadRequestError(
      `Path "${input}" still contains a placeholder like <catalog>; replace it with a real name.`,
    );
  }
  const parts = input.split("/");
  if (parts[0] !== "" || parts[1] !== "Volumes") {
    throw new BadRequestError(
      `Path "${input}" is not under /Volumes/<catalog>/<schema>/<volume>/.`,
    );
  }
  const segs: string[] = [];
  for (const p of parts.slice(2)) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (segs.length <= 3) {
        throw new BadRequestError(
          `Path "${input}" escapes its volume; ".." may not climb above it.`,
        );
      }
      segs.pop();
      continue;
    }
    if (!NAME.test(p)) throw new BadRequestError(`Path "${input}" has an invalid segment "${p}".`);
    segs.push(p);
  }
  if (segs.length < 3) {
    throw new BadRequestError(
      `Path "${input}" must name a catalog, a schema and a volume: /Volumes/<catalog>/<schema>/<volume>/...`,
    );
  }
  const [catalog, schema, volume, ...rest] = segs;
  return { catalog, schema, volume, rest, path: "/Volumes/" + segs.join("/") };
}

/** Joins a volume path with more segments, normalising the result. */
export function joinVolumePath(base: string, ...more: string[]): string {
  return parseVolumePath([base, ...more].join("/")).path;
}
