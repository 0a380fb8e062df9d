/** How every CLI area ends on an error: a usage mistake exits 2 with the usage, anything else 1. */
import { errorMessage } from "@/lib/errors.ts";

/** True for `node:util` parseArgs' own errors (unknown flag, missing value). */
export function isUsageError(e: unknown): boolean {
  return e instanceof TypeError &&
    String((e as { code?: string }).code).startsWith("ERR_PARSE_ARGS");
}

/** Prints the error (with `usage` for a usage mistake) and returns the exit code. */
export function cliFailure(e: unknown, usage: string): number {
  if (isUsageError(e)) {
    console.error(`error: ${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  console.error(`error: ${errorMessage(e)}`);
  return 1;
}
