/**
 * The one error type metric readers throw for bad input. It names the file (or other source),
 * the place inside it and what is wrong, so a person can fix the file without a stack trace.
 */
import { BadRequestError } from "@/lib/errors.ts";

/** Bad metric input: `source` is a file name or label, `where` a JSON path or pixel position. */
export class MetricsInputError extends BadRequestError {
  constructor(readonly source: string, readonly where: string, readonly problem: string) {
    super(where ? `${source}: ${where}: ${problem}` : `${source}: ${problem}`);
    this.name = "MetricsInputError";
  }
}
