/** Assertions shared by the metrics tests (std/assert lives on JSR, which is not reachable). */
import { AssertionError } from "node:assert";

export { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert/strict";

/** Fails unless |actual - expected| <= tol; the message names `what`. */
export function assertClose(actual: number, expected: number, tol: number, what = "value") {
  if (!(Math.abs(actual - expected) <= tol) && !(Number.isNaN(actual) && Number.isNaN(expected))) {
    throw new AssertionError({
      message: `${what}: got ${actual}, expected ${expected} (tolerance ${tol})`,
      actual,
      expected,
    });
  }
}

/** Element-wise assertClose for arrays of equal length. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = "array",
) {
  if (actual.length !== expected.length) {
    throw new AssertionError({
      message: `${what}: length ${actual.length}, expected ${expected.length}`,
    });
  }
  for (let i = 0; i < actual.length; i++) assertClose(actual[i], expected[i], tol, `${what}[${i}]`);
}
