/**
 * The JSONL result file, as jobs/lakevision_jobs/batch.py writes it: one `{"path", "prediction",
 * "error"}` row per image, appended as images finish. Opening it to resume cuts a half-written
 * last line and collects the paths already there, so a resumed batch skips them (no duplicates).
 *
 * Where the workspace's files append in place (`FilesApi.append`: the local disk) rows are
 * appended and fsynced per image; elsewhere (the Files API has no append) the file is rewritten
 * at most every few seconds and at the end (a cancel loses at most those seconds, which the
 * resume then redoes).
 */
import { NotFoundError } from "@/lib/errors.ts";
import type { ServingEntry } from "@/lib/inference/contract.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

/** One result row. */
export interface ResultRow {
  path: string;
  prediction: ServingEntry | null;
  error: string | null;
}

/** Rows of a JSONL text; a line that is not a result row is reported by its number. */
export function parseResultLines(
  text: string,
): { rows: ResultRow[]; complete: number; bad: number[] } {
  const rows: ResultRow[] = [];
  const bad: number[] = [];
  const keep = text.lastIndexOf("\n") + 1;
  const lines = text.slice(0, keep).split("\n");
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const r = JSON.parse(line);
      if (r && typeof r === "object" && typeof r.path === "string") {
        rows.push({ path: r.path, prediction: r.prediction ?? null, error: r.error ?? null });
      } else bad.push(i + 1);
    } catch {
      bad.push(i + 1);
    }
  });
  return { rows, complete: keep, bad };
}

async function readOptional(ws: Workspace, path: string): Promise<string | null> {
  try {
    return await ws.files.readText(path);
  } catch (e) {
    if (e instanceof NotFoundError || (e as { status?: number }).status === 404) return null;
    throw e;
  }
}

/** An open result file being appended to. */
export class ResultLog {
  /** Paths already written. */
  readonly done = new Set<string>();
  errors = 0;
  #pending: string[] = [];
  #all: string[] = [];
  #lastFlush = 0;
  /** Where rows go straight to the file: the store's `FilesApi.append`. */
  readonly #append?: (path: string, data: string) => Promise<void>;

  private constructor(private ws: Workspace, readonly path: string) {
    this.#append = ws.files.append?.bind(ws.files);
  }

  /** Opens `path`: continued (`resume`) or started empty. */
  static async open(ws: Workspace, path: string, resume: boolean): Promise<ResultLog> {
    const log = new ResultLog(ws, path);
    const text = resume ? await readOptional(ws, path) : null;
    if (text !== null) {
      const { rows, complete, bad } = parseResultLines(text);
      if (bad.length) {
        throw new Error(
          `${path} line ${bad[0]} is not a result row; it is not a batch result file`,
        );
      }
      for (const r of rows) {
        log.done.add(r.path);
        if (r.error) log.errors++;
      }
      log.#all = text.slice(0, complete).split("\n").filter((l) => l.trim());
      if (complete < text.length) {
        await ws.files.write(path, log.#all.map((l) => l + "\n").join(""), { overwrite: true });
      }
    } else {
      await ws.files.write(path, "", { overwrite: true });
    }
    return log;
  }

  /** Appends rows (written through at once where the store appends; batched otherwise). */
  async append(rows: ResultRow[]): Promise<void> {
    const lines = rows.map((r) => JSON.stringify(r));
    for (const r of rows) {
      this.done.add(r.path);
      if (r.error) this.errors++;
    }
    if (this.#append) {
      if (lines.length) await this.#append(this.path, lines.map((l) => l + "\n").join(""));
      return;
    }
    this.#pending.push(...lines);
    if (Date.now() - this.#lastFlush > 3_000) await this.flush();
  }

  /** Writes what is pending (where the store does not append). */
  async flush(): Promise<void> {
    if (this.#append || !this.#pending.length) return;
    this.#all.push(...this.#pending.splice(0));
    await this.ws.files.write(this.path, this.#all.map((l) => l + "\n").join(""), {
      overwrite: true,
    });
    this.#lastFlush = Date.now();
  }
}
