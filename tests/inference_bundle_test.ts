/**
 * The built island bundles: onnxruntime reaches the browser only through the Playground's
 * dynamic import after a model is chosen — no other island loads it, statically or lazily, and
 * the Playground page before a choice stays under its 60 KB (gzipped) budget (issue 19).
 */
import { assert } from "@/tests/assert.ts";
import { ensureBundle } from "@/lib/web/bundle.ts";
import { ROOT } from "@/tests/helpers.ts";

/** The Playground before a model is chosen, gzipped: issue 19's budget. */
const PLAYGROUND_BUDGET = 60 * 1024;
/** Text only onnxruntime-web's runtime contains. */
const ORT_MARK = /InferenceSession|ort-wasm-simd-threaded/;

const info = await ensureBundle(ROOT);
const files = new Map<string, string>();
const read = async (rel: string) => {
  if (!files.has(rel)) files.set(rel, await Deno.readTextFile(`${info.dir}/${rel}`));
  return files.get(rel)!;
};

/** Files `entry` loads: `lazy` adds dynamic import() targets to the static ones. */
async function closure(entry: string, lazy: boolean): Promise<Set<string>> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const rel = todo.pop()!;
    if (seen.has(rel)) continue;
    seen.add(rel);
    const text = await read(rel);
    const specs = [
      ...text.matchAll(/\bfrom\s*["']([^"']+)["']/g),
      ...text.matchAll(/\bimport\s*["']([^"']+)["']/g),
      ...(lazy ? text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g) : []),
    ].map((m) => m[1]).filter((s) => s.startsWith("."));
    const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/") + 1) : "";
    for (const s of specs) todo.push(new URL(s, `file:///${dir}`).pathname.slice(1));
  }
  return seen;
}

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

const rel = (url: string) => url.replace(`/_lv/${info.buildId}/`, "");

Deno.test("[playground bundle] no island but the Playground's reaches onnxruntime, even lazily", async () => {
  for (const [name, url] of Object.entries(info.islands)) {
    if (name.startsWith("Playground")) continue;
    for (const f of await closure(rel(url), true)) {
      assert(!ORT_MARK.test(await read(f)), `${name} loads ${f}, which holds onnxruntime`);
    }
  }
  for (const f of await closure(rel(info.clientUrl), true)) {
    assert(!ORT_MARK.test(await read(f)), `the client runtime loads ${f} (onnxruntime)`);
  }
});

Deno.test("[playground bundle] the Playground loads onnxruntime only by dynamic import, within 60 KB before a model is chosen", async () => {
  const initial = new Set<string>(await closure(rel(info.clientUrl), false));
  const lazy = new Set<string>();
  for (const [name, url] of Object.entries(info.islands)) {
    if (!name.startsWith("Playground")) continue;
    for (const f of await closure(rel(url), false)) initial.add(f);
    for (const f of await closure(rel(url), true)) lazy.add(f);
  }
  let gz = 0;
  for (const f of initial) {
    assert(!ORT_MARK.test(await read(f)), `${f} is loaded before a model is chosen`);
    gz += await gzipSize(await read(f));
  }
  const ortFiles = [...lazy].filter((f) => ORT_MARK.test(files.get(f)!));
  assert(ortFiles.length > 0, "onnxruntime is reachable from the Playground by dynamic import");
  console.log(
    `Playground before a model is chosen: ${initial.size} files, ${(gz / 1024).toFixed(1)} KB ` +
      `gzipped (budget ${PLAYGROUND_BUDGET / 1024} KB); lazily: ${ortFiles.join(", ")}`,
  );
  assert(gz <= PLAYGROUND_BUDGET, `${(gz / 1024).toFixed(1)} KB gzipped is over the budget`);
});
