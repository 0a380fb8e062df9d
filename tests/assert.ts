/**
 * Minimal assertions (std/assert lives on JSR, which the project's machines cannot reach).
 */

/** Error thrown by a failed assertion. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

function stable(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) =>
      x && typeof x === "object" && !Array.isArray(x) && !(x instanceof Uint8Array)
        ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
        : x instanceof Uint8Array
        ? [...x]
        : x,
  );
}

/** Deep equality via a stable JSON form (enough for plain data). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (Object.is(actual, expected)) return;
  const a = stable(actual);
  const e = stable(expected);
  if (a !== e) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected ${e.slice(0, 500)}, got ${a.slice(0, 500)}`,
    );
  }
}

/** Fails unless `actual` and `expected` differ. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (stable(actual) === stable(expected)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected a value other than ${stable(expected)}`,
    );
  }
}

/** Fails unless `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, msg?: string): void {
  if (!text.includes(part)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected text to include ${JSON.stringify(part)}; got ${
        JSON.stringify(text.slice(0, 300))
      }…`,
    );
  }
}

/** Fails unless `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg?: string): void {
  if (!re.test(text)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected ${JSON.stringify(text.slice(0, 300))} to match ${re}`,
    );
  }
}

/** |actual - expected| <= tol. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tol = 1e-7,
  msg?: string,
): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected ${expected} ± ${tol}, got ${actual}`,
    );
  }
}

/** Runs `fn`, expecting it to throw (optionally an instance of `type` whose message includes `includes`). */
export async function assertRejects(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    if (type && !(e instanceof type)) {
      throw new AssertionError(
        `expected ${type.name}, got ${e instanceof Error ? e.name + ": " + e.message : e}`,
      );
    }
    if (includes && !(e instanceof Error && e.message.includes(includes))) {
      throw new AssertionError(
        `expected message to include ${JSON.stringify(includes)}, got ${
          JSON.stringify((e as Error).message)
        }`,
      );
    }
    return e as Error;
  }
  throw new AssertionError("expected the function to throw");
}

/** Synchronous variant of assertRejects. */
export function assertThrows(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => Error,
  includes?: string,
): Error {
  try {
    fn();
  } catch (e) {
    if (type && !(e instanceof type)) {
      throw new AssertionError(
        `expected ${type.name}, got ${e instanceof Error ? e.name + ": " + e.message : e}`,
      );
    }
    if (includes && !(e instanceof Error && e.message.includes(includes))) {
      throw new AssertionError(
        `expected message to include ${JSON.stringify(includes)}, got ${
          JSON.stringify((e as Error).message)
        }`,
      );
    }
    return e as Error;
  }
  throw new AssertionError("expected the function to throw");
}
