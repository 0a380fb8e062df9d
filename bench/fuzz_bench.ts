/**
 * The long fuzz run (issue 17): 12,000 seeded malformed requests over every route, in memory,
 * printing the status counts and any 5xx or unhandled rejection with what the server logged.
 * Baseline in the same run: well-formed `GET /api/health` requests per second.
 */
import { report, runFuzz } from "@/tests/security_fuzz_test.ts";
import { testApp } from "@/tests/helpers.ts";

const SEEDS = [17, 2026, 90210];
const PER_SEED = 4_000;

/** Prints the fuzz's status counts per seed and overall, with the baseline rate. */
export async function run(): Promise<void> {
  const app = await testApp();
  let base = 0;
  try {
    const t0 = performance.now();
    for (let i = 0; i < 2_000; i++) await (await app.request("/api/health")).body?.cancel();
    base = 2_000 / ((performance.now() - t0) / 1000);
  } finally {
    await app.close();
  }
  console.log(`baseline: GET /api/health ${base.toFixed(0)} req/s`);
  const total: Record<string, number> = {};
  let failures = 0;
  let seconds = 0;
  for (const seed of SEEDS) {
    const result = await runFuzz({ requests: PER_SEED, seed });
    console.log(`seed ${seed}: ${report(result)}`);
    for (const [s, n] of Object.entries(result.statuses)) total[s] = (total[s] ?? 0) + n;
    failures += result.failures.length;
    seconds += result.seconds;
  }
  const n = SEEDS.length * PER_SEED;
  console.log(
    `fuzz: ${n} requests, ${(n / seconds).toFixed(0)} req/s; statuses ${
      Object.entries(total).sort().map(([s, k]) => `${s}×${k}`).join(" ")
    }; ${failures} with a 5xx, no answer or an unhandled rejection`,
  );
}
