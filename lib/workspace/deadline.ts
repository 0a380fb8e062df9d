/**
 * Deadlines for work done while a page renders. A page must not wait on a silent workspace for
 * as long as a training launch may: `withDeadline` gives everything called inside it one shared
 * time limit, which the Databricks HTTP client reads (through AsyncLocalStorage, so no signal
 * has to be threaded through every port method) and turns into a TIMEOUT error; the page then
 * shows the workspace as unreachable with the last answer it had (`LastKnown`).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { WorkspaceError } from "@/lib/errors.ts";

/** How long a page render waits for the workspace, in milliseconds. */
export const PAGE_DEADLINE_MS = 4_000;

/** Extra time the backstop gives callees to turn the abort into their own error. */
const GRACE_MS = 500;

/** The deadline work is running under. */
export interface Deadline {
  /** Aborts (with a TimeoutError) when the time is up. */
  signal: AbortSignal;
  /** The limit, in milliseconds, for messages. */
  ms: number;
}

const current = new AsyncLocalStorage<Deadline | undefined>();

/** The deadline of the surrounding `withDeadline`, if any. */
export function currentDeadline(): Deadline | undefined {
  return current.getStore();
}

/** "4 s", "0.2 s". */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Runs `fn` with at most `ms` milliseconds for the workspace calls it makes (a nested deadline
 * can only shorten the outer one). Calls that honour the deadline fail with their own TIMEOUT
 * error, which pages already show; as a backstop, if `fn` itself has not settled shortly after
 * the deadline, this rejects with a 504 WorkspaceError.
 */
export async function withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const outer = current.getStore();
  const ac = new AbortController();
  const deadline: Deadline = {
    signal: outer ? AbortSignal.any([outer.signal, ac.signal]) : ac.signal,
    ms: outer ? Math.min(outer.ms, ms) : ms,
  };
  const timer = setTimeout(
    () => ac.abort(new DOMException(`no answer within ${seconds(ms)}`, "TimeoutError")),
    ms,
  );
  let backstop: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      current.run(deadline, fn),
      new Promise<never>((_, reject) => {
        backstop = setTimeout(() => reject(unreachable(ms)), ms + GRACE_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    clearTimeout(backstop);
  }
}

/**
 * Runs `fn` outside any page deadline: for long operations started from a request (a scan, an
 * upload) that must keep their own, longer budgets after the page has answered.
 */
export function withoutDeadline<T>(fn: () => T): T {
  return current.run(undefined, fn);
}

function unreachable(ms: number): WorkspaceError {
  return new WorkspaceError(
    `The workspace did not answer within ${seconds(ms)}.`,
    "TIMEOUT",
    504,
    undefined,
    "It may be down or overloaded; the page shows what it last knew. Reload to try again.",
  );
}

/** The last successful answer per key, with when it came: what a page shows while unreachable. */
export class LastKnown<T> {
  readonly #values = new Map<string, { value: T; at: number }>();

  /** Keeps `value` as the latest good answer for `key`. */
  remember(key: string, value: T, at = Date.now()): void {
    this.#values.set(key, { value, at });
  }

  /** The latest good answer for `key`, or undefined when there never was one. */
  recall(key: string): { value: T; at: number } | undefined {
    return this.#values.get(key);
  }
}
