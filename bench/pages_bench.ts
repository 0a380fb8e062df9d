/**
 * Page weight: the gzipped JavaScript each page loads up front (client runtime, its islands and
 * their static chunks) from the built bundles, with what it may load later and its budget.
 */
import { ensureBundle } from "@/lib/web/bundle.ts";
import { kb, PAGE_BUDGETS, pageKind, pageWeights } from "@/lib/web/weight.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Prints every page's weight. */
export async function run(): Promise<void> {
  const bundle = await ensureBundle(ROOT);
  const pages = (await pageWeights(ROOT, bundle)).filter((p) => !p.pattern.startsWith("/api/"));
  console.log(`build ${bundle.buildId}; gzip level 9; 1 KB = 1000 bytes`);
  console.log(
    `${"page".padEnd(38)} ${"kind".padEnd(10)} ${"loads".padStart(9)} ${"budget".padStart(9)} ${
      "later".padStart(9)
    }  islands`,
  );
  let over = 0;
  for (const p of pages) {
    const kind = pageKind(p);
    const budget = PAGE_BUDGETS[kind];
    const flag = p.gzipBytes > budget ? " OVER" : "";
    if (flag) over++;
    console.log(
      `${p.pattern.padEnd(38)} ${kind.padEnd(10)} ${kb(p.gzipBytes).padStart(9)} ${
        kb(budget).padStart(9)
      } ${kb(p.lazyGzipBytes).padStart(9)}  ${p.islands.join(", ")}${flag}`,
    );
  }
  console.log(`${pages.length} pages, ${over} over budget`);
}
