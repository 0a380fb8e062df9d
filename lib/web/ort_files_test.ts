import { assertEquals } from "@/tests/assert.ts";
import { ROOT } from "@/tests/helpers.ts";
import { ensureOrtFiles, ortFiles } from "./ort_files.ts";

Deno.test("[ort files] a fresh tree gets onnxruntime-web's runtime files at start-up", async () => {
  const root = await Deno.makeTempDir({ prefix: "lakevision-ort-" });
  try {
    // the tree's installed packages, nothing in static/ yet (a fresh clone after `deno install`)
    await Deno.symlink(`${ROOT}/node_modules`, `${root}/node_modules`);
    assertEquals(await ortFiles(root), []);
    assertEquals(await ensureOrtFiles(root), null);
    const files = await ortFiles(root);
    assertEquals(files, [
      "ort-wasm-simd-threaded.asyncify.mjs",
      "ort-wasm-simd-threaded.asyncify.wasm",
      "ort-wasm-simd-threaded.mjs",
      "ort-wasm-simd-threaded.wasm",
    ]);
    const wasm = await Deno.readFile(`${root}/static/ort/ort-wasm-simd-threaded.wasm`);
    assertEquals([...wasm.slice(0, 4)], [0x00, 0x61, 0x73, 0x6d], "a WebAssembly module");
    // no temporary copies left behind; a second start copies nothing
    const names = [];
    for await (const e of Deno.readDir(`${root}/static/ort`)) names.push(e.name);
    assertEquals(names.sort(), files);
    assertEquals(await ensureOrtFiles(root), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
