/** Small typed assertions for the Databricks client tests (node:assert underneath). */
import { deepStrictEqual } from "node:assert/strict";

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Deep, strict equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  deepStrictEqual(actual, expected, msg);
}

/** Narrows `value` to an instance of `type`. */
export function assertInstanceOf<T>(
  value: unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...a: any[]) => T,
): asserts value is T {
  if (!(value instanceof type)) {
    throw new Error(
      `expected ${type.name}, got ${value instanceof Error ? value.name : typeof value}`,
    );
  }
}

/** Awaits `fn`, expecting it to reject with an instance of `type`; returns that error. */
export async function assertRejects<T extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...a: any[]) => T,
): Promise<T> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw new Error(
      `expected ${type.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
  }
  throw new Error(`expected a ${type.name} to be thrown`);
}
