/**
 * The read-ahead's memory bound: a ByteBudget hands bytes out first come, first served and
 * always lets one request run; inOrder admits items in order when their decoded bytes fit, never
 * holds more than the budget (counted in its own load and score steps), keeps the items' order,
 * and gives every byte back however the run ends.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "@/tests/assert.ts";
import { ByteBudget, inOrder } from "./eval_source.ts";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

Deno.test("[eval source/budget] grants in order, one always, and an abort leaves the line", async () => {
  assertThrows(() => new ByteBudget(0), Error, "must be positive");
  const b = new ByteBudget(100);
  const got: string[] = [];
  await b.acquire(150); // more than the budget, but nothing is held: it runs
  assertEquals(b.held, 150);
  const p1 = b.acquire(60).then(() => got.push("60"));
  const p2 = b.acquire(10).then(() => got.push("10")); // fits, but is behind 60
  await tick();
  assertEquals(got, [], "nothing fits beside 150");
  b.release(150);
  await Promise.all([p1, p2]);
  assertEquals([got, b.held], [["60", "10"], 70]);
  const stop = new AbortController();
  const p3 = b.acquire(50, stop.signal);
  const p4 = b.acquire(20).then(() => got.push("20"));
  stop.abort(new Error("stopped"));
  await assertRejects(() => p3, Error, "stopped");
  await p4; // the aborted request no longer blocks the one behind it
  assertEquals(b.held, 90);
  await assertRejects(() => b.acquire(1, stop.signal), Error, "stopped");
  b.release(90);
  assertEquals(b.held, 0);
});

/** inOrder over items of `sizes` bytes, counting the bytes its steps hold. */
function run(sizes: number[], width: number, limit: number, failAt = -1) {
  const budget = new ByteBudget(limit);
  const count = { held: 0, peak: 0, reads: 0, maxReads: 0 };
  const scored: number[] = [];
  const p = inOrder(sizes.map((n, i) => ({ i, n })), width, budget, {
    async read(t) {
      count.reads++;
      count.maxReads = Math.max(count.maxReads, count.reads);
      await tick(1 + ((t.i * 7) % 5)); // reads finish out of order
      count.reads--;
      if (t.i === failAt) throw new Error(`item ${t.i} is unreadable`);
      return t;
    },
    cost: (t) => t.n,
    async decode(t) {
      count.held += t.n; // decoding allocates the item's bytes
      count.peak = Math.max(count.peak, count.held);
      await tick(1 + ((t.i * 3) % 4));
      return t.i;
    },
    async score(i, t) {
      await tick();
      scored.push(i);
      count.held -= t.n; // scored: its bytes are dropped
    },
  });
  return { p, budget, count, scored };
}

Deno.test("[eval source/budget] reads finishing in any order: never more than the budget, order kept", async () => {
  const sizes = [40, 40, 40, 40, 40, 40, 40, 40];
  const r = run(sizes, 4, 100);
  await r.p;
  assertEquals(r.scored, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert(r.count.peak <= 100, `held ${r.count.peak} bytes of 100`);
  assert(r.count.maxReads > 2, `reads still run ahead (${r.count.maxReads})`);
  assertEquals(r.budget.held, 0);
  // small items: the count limit binds, not the bytes
  const small = run(sizes.map(() => 1), 3, 100);
  await small.p;
  assert(small.count.peak <= 4, `the one scored and three ahead at most (${small.count.peak})`);
});

Deno.test("[eval source/budget] the next item is decoded as soon as, and only when, it fits", async () => {
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const p = inOrder([0, 1, 2, 3, 4], 4, new ByteBudget(100), {
    read: (i) => Promise.resolve(i),
    cost: () => 40,
    decode: (i) => {
      started.push(i);
      return new Promise<number>((res) => finish.set(i, () => res(i)));
    },
    score() {},
  });
  await tick();
  assertEquals(started, [0, 1], "two of 40 fit in 100, a third does not");
  finish.get(1)!(); // decoded, but waits for item 0 to be scored: still held
  await tick();
  assertEquals(started, [0, 1]);
  finish.get(0)!(); // 0 and 1 scored: two more fit
  await tick();
  assertEquals(started, [0, 1, 2, 3]);
  finish.get(2)!();
  await tick();
  assertEquals(started, [0, 1, 2, 3, 4]);
  finish.get(3)!();
  finish.get(4)!();
  await p;
});

Deno.test("[eval source/budget] an item larger than the budget runs alone", async () => {
  const r = run([30, 250, 30, 30, 250, 30], 4, 100);
  await r.p;
  assertEquals(r.scored, [0, 1, 2, 3, 4, 5]);
  assertEquals(r.count.peak, 250, "only the large one was held while it ran");
  assertEquals(r.budget.held, 0);
});

Deno.test("[eval source/budget] a failing item stops the run and every byte is given back", async () => {
  const r = run([40, 40, 40, 40, 40, 40], 4, 100, 3);
  await assertRejects(() => r.p, Error, "item 3 is unreadable");
  assertEquals(r.scored, [0, 1, 2]);
  await tick(20); // decodes started before the failure settle
  assertEquals(r.budget.held, 0);
});
