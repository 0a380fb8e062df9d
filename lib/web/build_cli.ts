/**
 * `deno task build`: builds the island bundles and copies onnxruntime-web's wasm files into
 * `static/ort/` (served, not committed), so in-browser inference works without a CDN.
 */
import { ensureBundle } from "./bundle.ts";
import { copyOrtWasm } from "./ort_files.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

if (import.meta.main) {
  const info = await ensureBundle(ROOT, { force: true });
  console.log(`islands built: ${Object.keys(info.islands).join(", ") || "none"} → ${info.dir}`);
  const ort = await copyOrtWasm(ROOT);
  console.log(`onnxruntime-web files copied to static/ort: ${ort.join(", ")}`);
}
