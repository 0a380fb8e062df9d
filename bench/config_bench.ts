/**
 * Config figures: how long importing a config takes (YAML parse + full validation) and how long
 * saving a version takes in KV, with the bare YAML parse measured in the same run as baseline.
 */
import { parse } from "yaml";
import { validateConfig } from "@/lib/config/validate.ts";
import { parseConfigYaml, stringifyConfig } from "@/lib/config/yaml_io.ts";
import { ConfigStore } from "@/lib/store/configs.ts";

const FIXTURES = new URL("../tests/fixtures/accelerator-configs/", import.meta.url);

function time(_label: string, n: number, fn: () => void): number {
  for (let i = 0; i < 20; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t0) / n;
}

/** Prints per-config import, validate and save times. */
export async function run(): Promise<void> {
  const texts = [...Deno.readDirSync(FIXTURES)].map((e) =>
    Deno.readTextFileSync(new URL(e.name, FIXTURES))
  );
  const n = 200;
  const bare = time("bare", n, () => texts.forEach((t) => parse(t))) / texts.length;
  const full = time("import", n, () =>
    texts.forEach((t) => {
      const p = parseConfigYaml(t);
      if (p.ok) validateConfig(p.doc);
    })) / texts.length;
  const docs = texts.map((t) => parseConfigYaml(t)).flatMap((p) => p.ok ? [p.doc] : []);
  const validateOnly = time("validate", n, () => docs.forEach((d) => validateConfig(d))) /
    docs.length;
  const stringify = time("stringify", n, () => docs.forEach((d) => stringifyConfig(d))) /
    docs.length;
  console.log(
    `config.import    ${texts.length} accelerator files  ${
      (full * 1000).toFixed(0)
    } µs/file (parse + validate)  ${(full / bare).toFixed(1)}x vs bare yaml.parse (${
      (bare * 1000).toFixed(0)
    } µs, same run)`,
  );
  console.log(
    `config.validate  ${
      (validateOnly * 1000).toFixed(0)
    } µs/config (runs on every keystroke in the editor)`,
  );
  console.log(
    `config.yaml      ${(stringify * 1000).toFixed(0)} µs/config to write YAML (live preview)`,
  );
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ConfigStore(kv);
    const doc = docs[0];
    const seqN = 200;
    let t0 = performance.now();
    for (let i = 0; i < seqN; i++) await store.save("bench-seq", doc, { author: "bench" });
    const seq = (performance.now() - t0) / seqN;
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: 50 }, () => store.save("bench-par", doc, { author: "bench" })),
    );
    const par = performance.now() - t0;
    console.log(
      `config.save      ${
        seq.toFixed(2)
      } ms/version sequential; 50 concurrent saves of one config ${
        par.toFixed(0)
      } ms, versions 1..${(await store.get("bench-par")).latestVersion} all distinct`,
    );
  } finally {
    kv.close();
  }
}

if (import.meta.main) await run();
