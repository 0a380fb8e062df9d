/**
 * `deno task bench`: runs every `bench/*_bench.ts` (or those named on the command line). Each
 * prints its figures with a baseline measured in the same run.
 */
const dir = new URL(".", import.meta.url);
const only = Deno.args;
const files: string[] = [];
for await (const e of Deno.readDir(dir)) {
  if (e.isFile && e.name.endsWith("_bench.ts")) files.push(e.name);
}
files.sort();
console.log(
  `Lakevision benchmarks on ${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}`,
);
for (const f of files) {
  const name = f.replace(/_bench\.ts$/, "");
  if (only.length && !only.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  const mod = await import(new URL(f, dir).href);
  const t0 = performance.now();
  await mod.run();
  console.log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
// A bench's in-memory app can leave a server-side timer pending (the fuzz's 12,000 requests do:
// see its report); the figures are printed, so end here rather than wait on it.
Deno.exit(0);
