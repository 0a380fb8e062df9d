/**
 * The Delta source's first guess at which columns of a table hold the image, the label and the
 * split, from the column names (and types) the SQL warehouse describes. The person can change
 * every guess before scanning.
 */
import type { DeltaColumn } from "./delta.ts";

/** The guessed columns; "" where nothing fits. */
export interface ColumnGuess {
  image: string;
  label: string;
  split: string;
}

/** First column whose name matches, trying the patterns in order; `not` names are skipped. */
function firstMatch(cols: DeltaColumn[], patterns: RegExp[], not: string[] = []): string {
  for (const re of patterns) {
    const c = cols.find((c) => re.test(c.name) && !not.includes(c.name));
    if (c) return c.name;
  }
  return "";
}

/**
 * The image column is a path-like name (`image_path`, `path`, `file_path`, then any name with
 * image/img/file/path in it), else the first BINARY column; the label and split columns are
 * never the image column.
 */
export function guessColumns(cols: DeltaColumn[]): ColumnGuess {
  const image =
    firstMatch(cols, [/^(image_?)?path$/i, /^(file_?)?path$/i, /image|img|file|path/i]) ||
    cols.find((c) => c.type === "BINARY")?.name || "";
  return {
    image,
    label: firstMatch(
      cols,
      [/^label$/i, /^(class|category)(_?name)?$/i, /label|class|category/i],
      [image],
    ),
    split: firstMatch(cols, [/^split$/i, /^(subset|fold|partition)$/i], [image]),
  };
}
