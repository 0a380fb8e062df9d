/**
 * Web kernel benchmarks: JavaScript shipped per page (gzip), and server render throughput
 * against a bare Hono handler measured in the same run.
 */
import { Hono } from "hono";
import { testApp } from "@/tests/helpers.ts";

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const s = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(s).arrayBuffer()).byteLength;
}

/** Every module a page's scripts load, following static imports between chunks. */
async function pageJs(
  request: (p: string) => Promise<Response>,
  html: string,
): Promise<Map<string, Uint8Array>> {
  const queue = [
    ...html.matchAll(/<script[^>]*src="([^"]+)"/g),
    ...html.matchAll(/data-src="([^"]+)"/g),
  ].map((m) => m[1]);
  const seen = new Map<string, Uint8Array>();
  while (queue.length) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    const res = await request(url);
    const bytes = new Uint8Array(await res.arrayBuffer());
    seen.set(url, bytes);
    const text = new TextDecoder().decode(bytes);
    for (const m of text.matchAll(/from"(\.\.?\/[^"]+)"|import"(\.\.?\/[^"]+)"/g)) {
      queue.push(new URL(m[1] ?? m[2], "http://x" + url).pathname);
    }
  }
  return seen;
}

/** Prints JS sizes and render throughput. */
export async function run(): Promise<void> {
  const app = await testApp();
  try {
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    const staticHtml = await (await app.request("/history")).text();
    const staticJs = await pageJs(app.request, staticHtml);
    console.log(
      `web.js      static page (/history)       ${staticJs.size} files, 0 B expected → ${
        [...staticJs.values()].reduce((a, b) => a + b.byteLength, 0)
      } B`,
    );
    const islandHtml = await (await app.request("/settings")).text();
    const islandJs = await pageJs(app.request, islandHtml);
    let gz = 0;
    for (const b of islandJs.values()) gz += await gzipSize(b);
    // Baseline: one bundle with every island, what a page would ship without per-island splitting.
    const allIslands = [...islandHtml.matchAll(/data-src="([^"]+)"/g)].length;
    console.log(
      `web.js      one-island page (/settings)  ${islandJs.size} files, ${kb(gz)} gzip ` +
        `(budget 15 KB: ${
          (gz / (15 * 1024)).toFixed(2)
        }x of budget; islands on page: ${allIslands})`,
    );

    const N = 300;
    const bare = new Hono().get("/", (c) => c.html("<p>hello</p>"));
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await (await bare.request("http://localhost/")).text();
    const bareMs = (performance.now() - t0) / N;
    t0 = performance.now();
    for (let i = 0; i < N; i++) await (await app.request("/")).text();
    const pageMs = (performance.now() - t0) / N;
    console.log(
      `web.render  overview page  ${pageMs.toFixed(2)} ms/request (${
        (1000 / pageMs).toFixed(0)
      } req/s); ` +
        `bare Hono baseline ${bareMs.toFixed(3)} ms → ${
          (pageMs / bareMs).toFixed(1)
        }x the baseline cost`,
    );
  } finally {
    await app.close();
  }
}
