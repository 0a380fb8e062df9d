/**
 * `deno task build`: builds the island bundles and copies onnxruntime-web's wasm files into
 * `static/ort/` (served, not committed), so in-browser inference works without a CDN.
 */
import { ensureBundle } from "./bundle.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** Copies the onnxruntime-web runtime files from node_modules into static/ort. */
export async function copyOrtWasm(root = ROOT): Promise<string[]> {
  const candidates = [
    `${root}/node_modules/onnxruntime-web/dist`,
    `${root}/node_modules/.deno/onnxruntime-web@1.30.0/node_modules/onnxruntime-web/dist`,
  ];
  let dist: string | undefined;
  for (const c of candidates) {
    if (await Deno.stat(c).then((s) => s.isDirectory, () => false)) {
      dist = c;
      break;
    }
  }
  if (!dist) {
    // Resolve through an import so Deno installs the package into node_modules first.
    await import("onnxruntime-web").catch(() => {});
    dist = candidates.find((c) => {
      try {
        return Deno.statSync(c).isDirectory;
      } catch {
        return false;
      }
    });
  }
  if (!dist) {
    throw new Error("onnxruntime-web is not installed in node_modules (run deno install).");
  }
  await Deno.mkdir(`${root}/static/ort`, { recursive: true });
  const copied: string[] = [];
  for await (const e of Deno.readDir(dist)) {
    // The two builds the Playground loads: onnxruntime-web/wasm and onnxruntime-web/webgpu.
    if (/^ort-wasm-simd-threaded(\.asyncify)?\.(wasm|mjs)$/.test(e.name)) {
      await Deno.copyFile(`${dist}/${e.name}`, `${root}/static/ort/${e.name}`);
      copied.push(e.name);
    }
  }
  return copied.sort();
}

if (import.meta.main) {
  const info = await ensureBundle(ROOT, { force: true });
  console.log(`islands built: ${Object.keys(info.islands).join(", ") || "none"} → ${info.dir}`);
  const ort = await copyOrtWasm();
  console.log(`onnxruntime-web files copied to static/ort: ${ort.join(", ")}`);
}
