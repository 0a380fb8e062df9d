/**
 * The project's test assertions (std/assert lives on JSR, which the project's machines cannot
 * reach). Equality is node's deep strict equality; messages show a stable JSON form.
 */
import { isDeepStrictEqual } from "node:util";

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

/** Deep strict equality (types, prototypes, NaN = NaN, key order ignored). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    const a = stable(actual);
    const e = stable(expected);
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected ${e.slice(0, 500)}, got ${a.slice(0, 500)}`,
    );
  }
}

/** Fails unless `actual` and `expected` differ. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (isDeepStrictEqual(actual, expected) || stable(actual) === stable(expected)) {
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

/**
 * Fails unless |actual - expected| <= tol (NaN matches NaN); the message names `what`. The
 * metrics tests compare against reference implementations this way.
 */
export function assertClose(actual: number, expected: number, tol: number, what = "value"): void {
  if (!(Math.abs(actual - expected) <= tol) && !(Number.isNaN(actual) && Number.isNaN(expected))) {
    throw new AssertionError(`${what}: got ${actual}, expected ${expected} (tolerance ${tol})`);
  }
}

/** Element-wise assertClose for arrays of equal length. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = "array",
): void {
  if (actual.length !== expected.length) {
    throw new AssertionError(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) assertClose(actual[i], expected[i], tol, `${what}[${i}]`);
}

/** Narrows `value` to an instance of `type`. */
export function assertInstanceOf<T>(
  value: unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...a: any[]) => T,
): asserts value is T {
  if (!(value instanceof type)) {
    throw new AssertionError(
      `expected ${type.name}, got ${value instanceof Error ? value.name : typeof value}`,
    );
  }
}

/** Checks a caught error against the expected class and message (substring or pattern). */
function checkError<T extends Error>(
  e: unknown,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => T,
  includes?: string | RegExp,
): T {
  if (type && !(e instanceof type)) {
    throw new AssertionError(
      `expected ${type.name}, got ${e instanceof Error ? e.name + ": " + e.message : e}`,
    );
  }
  const message = e instanceof Error ? e.message : undefined;
  if (
    includes !== undefined &&
    !(message !== undefined &&
      (typeof includes === "string" ? message.includes(includes) : includes.test(message)))
  ) {
    throw new AssertionError(
      `expected message to ${typeof includes === "string" ? "include" : "match"} ${
        typeof includes === "string" ? JSON.stringify(includes) : includes
      }, got ${JSON.stringify(message ?? String(e))}`,
    );
  }
  return e as T;
}

/**
 * Awaits `fn`, expecting it to throw (optionally an instance of `type` whose message includes
 * the string or matches the pattern `includes`); returns the error.
 */
export async function assertRejects<T extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => T,
  includes?: string | RegExp,
): Promise<T> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, type, includes);
  }
  throw new AssertionError(`expected ${type ? "a " + type.name : "the function"} to throw`);
}

/** Synchronous variant of assertRejects. */
export function assertThrows<T extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => T,
  includes?: string | RegExp,
): T {
  try {
    fn();
  } catch (e) {
    return checkError(e, type, includes);
  }
  throw new AssertionError(`expected ${type ? "a " + type.name : "the function"} to throw`);
}
