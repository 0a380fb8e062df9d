/**
 * Moves a large generated file up to a volume and back down through the Databricks adapter, and
 * reports the process's peak RSS growth as JSON. Run in its own process (with --expose-gc, so
 * garbage that is merely uncollected is not mistaken for buffering):
 *
 *   deno run -A --v8-flags=--expose-gc tests/fake_databricks/stream_probe.ts <host> <token> <path> <MiB>
 */
import { DatabricksWorkspace } from "@/lib/workspace/databricks/databricks_workspace.ts";

const [host, token, path, mib = "100"] = Deno.args;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const CHUNK = 64 * 1024;
const N = Number(mib) * 16;
const ws = new DatabricksWorkspace({ host, token });

// Warm up fetch, TLS-less sockets and the JIT before taking the baseline.
await ws.files.write(path, new Uint8Array(CHUNK));
await ws.files.readBytes(path);
gc();
const base = Deno.memoryUsage().rss;
let peak = base;
const sample = (i: number) => {
  if (i % 32 === 0) {
    gc();
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }
};

let i = 0;
let sumUp = 0;
const upload = new ReadableStream<Uint8Array>({
  pull(c) {
    if (i === N) return c.close();
    sumUp += (i % 251) * CHUNK;
    c.enqueue(new Uint8Array(CHUNK).fill(i % 251));
    sample(++i);
  },
});
await ws.files.write(path, upload);

let bytesDown = 0;
let sumDown = 0;
let n = 0;
for await (const c of await ws.files.read(path)) {
  bytesDown += c.byteLength;
  for (let k = 0; k < c.byteLength; k++) sumDown += c[k];
  sample(++n);
}
console.log(JSON.stringify({ base, peak, bytesUp: N * CHUNK, bytesDown, sumUp, sumDown }));
