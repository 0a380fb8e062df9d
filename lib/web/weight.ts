/**
 * Page weight: the gzipped JavaScript a page makes the browser load before anyone touches it —
 * the client runtime, each island entry the page can render and every chunk those import
 * statically. Dynamic `import()`s (the ONNX runtime, chart.js behind a first draw) load later and
 * are counted apart. Which islands a page can render is read from the sources: the route file,
 * its layouts and every project module they import, stopping at `islands/` (an island is a leaf).
 */
import { gzipSync } from "node:zlib";
import type { BundleInfo } from "./bundle.ts";
import { buildRouteTable, walkFiles } from "./routes.ts";

/** The weight of one page. */
export interface PageWeight {
  /** URL pattern of the route, e.g. `/training/:runId`. */
  pattern: string;
  /** Islands the page can render. */
  islands: string[];
  /** Project source files the page's islands are built from (relative to the root). */
  islandSources: string[];
  /** Built files the page loads up front (relative to the build folder). */
  files: string[];
  /** Their gzipped size in bytes. */
  gzipBytes: number;
  /** Gzipped bytes the page may load later through dynamic imports. */
  lazyGzipBytes: number;
}

const STATIC_IMPORT = /(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+)["']/g;
const DYNAMIC_IMPORT = /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;
/** `import x from "…"`, `import "…"`, `export … from "…"`; group 1 is `type` for type-only. */
const SOURCE_IMPORT =
  /(?:^|[;\n])\s*(?:import|export)\s+(type\s+)?(?:[^;"']*?\bfrom\s*)?["']((?:@\/|\.{1,2}\/)[^"']+)["']/g;

/** Weighs every route under `routes/` against a finished build. */
export async function pageWeights(root: string, bundle: BundleInfo): Promise<PageWeight[]> {
  const table = buildRouteTable(await walkFiles(`${root}/routes`));
  const sizes = new Map<string, number>();
  const gz = async (rel: string) => {
    let n = sizes.get(rel);
    if (n === undefined) {
      n = gzipSync(await Deno.readFile(`${bundle.dir}/${rel}`), { level: 9 }).length;
      sizes.set(rel, n);
    }
    return n;
  };
  const rel = (url: string) => url.replace(`/_lv/${bundle.buildId}/`, "");
  const shared = [
    ...(table.app ? [`routes/${table.app}`] : []),
  ];
  const out: PageWeight[] = [];
  for (const route of table.routes) {
    const entry = [route.file, ...route.layouts].map((f) => `routes/${f}`);
    const islands = await islandsReached(root, [...shared, ...entry]);
    const islandSources = await sourcesReached(root, islands.map((i) => `islands/${i}.tsx`));
    const files = new Set<string>();
    const lazy = new Set<string>();
    if (islands.length) {
      for (const u of [bundle.clientUrl, ...islands.map((i) => bundle.islands[i])]) {
        await closure(bundle.dir, rel(u), files, lazy);
      }
    }
    for (const f of files) lazy.delete(f);
    let gzipBytes = 0;
    for (const f of files) gzipBytes += await gz(f);
    let lazyGzipBytes = 0;
    for (const f of lazy) lazyGzipBytes += await gz(f);
    out.push({
      pattern: route.pattern,
      islands,
      islandSources,
      files: [...files].sort(),
      gzipBytes,
      lazyGzipBytes,
    });
  }
  return out.sort((a, b) => a.pattern.localeCompare(b.pattern));
}

/** Adds `file` and its static imports to `seen`; dynamic imports (and theirs) go to `lazy`. */
async function closure(dir: string, file: string, seen: Set<string>, lazy: Set<string>) {
  if (seen.has(file)) return;
  seen.add(file);
  const text = await Deno.readTextFile(`${dir}/${file}`);
  const base = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
  for (const m of text.matchAll(STATIC_IMPORT)) {
    await closure(dir, normalise(base + m[1]), seen, lazy);
  }
  for (const m of text.matchAll(DYNAMIC_IMPORT)) {
    const target = normalise(base + m[1]);
    // a lazily loaded module's own imports, static or dynamic, load later too
    if (!seen.has(target)) await closure(dir, target, lazy, lazy);
  }
}

function normalise(path: string): string {
  const out: string[] = [];
  for (const s of path.split("/")) {
    if (s === "..") out.pop();
    else if (s !== ".") out.push(s);
  }
  return out.join("/");
}

/** Islands reachable from the given source files through project imports. */
async function islandsReached(root: string, entries: string[]): Promise<string[]> {
  const islands = new Set<string>();
  await walkSources(root, entries, (file) => {
    const m = /^islands\/([A-Z]\w*)\.tsx$/.exec(file);
    if (m) islands.add(m[1]);
    return !m;
  });
  return [...islands].sort();
}

/** Every project source file the given files import, themselves included. */
async function sourcesReached(root: string, entries: string[]): Promise<string[]> {
  const all = new Set<string>();
  await walkSources(root, entries, (file) => (all.add(file), true));
  return [...all].sort();
}

/** Visits project files through their runtime imports; `enter` false stops at a file. */
async function walkSources(
  root: string,
  entries: string[],
  enter: (file: string) => boolean,
): Promise<void> {
  const seen = new Set<string>();
  const visit = async (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!enter(file)) return;
    if (!/\.tsx?$/.test(file)) return;
    const text = await Deno.readTextFile(`${root}/${file}`).catch(() => "");
    const dir = file.slice(0, file.lastIndexOf("/") + 1);
    for (const im of text.matchAll(SOURCE_IMPORT)) {
      // Type-only imports never reach the browser.
      if (im[1]) continue;
      const spec = im[2];
      await visit(spec.startsWith("@/") ? spec.slice(2) : normalise(dir + spec));
    }
  };
  for (const e of entries) await visit(e);
}

/** `12.3 KB` (1 KB = 1000 bytes, as browsers' network panels count). */
export function kb(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} KB`;
}

/** The kinds of page the design budgets, and their budgets in gzipped bytes. */
export const PAGE_BUDGETS = {
  /** A page without islands ships no JavaScript. */
  static: 0,
  /** A page whose islands are forms, lists and status. */
  form: 40_000,
  /** A page whose islands draw charts (chart.js). */
  chart: 80_000,
  /** The Playground before a model is chosen (the ONNX runtime loads after). */
  playground: 60_000,
} as const;

/** The budgeted kind of a weighed page. */
export function pageKind(w: PageWeight): keyof typeof PAGE_BUDGETS {
  if (!w.islands.length) return "static";
  if (w.pattern === "/inference") return "playground";
  if (w.islandSources.includes("components/charts/chart.ts")) return "chart";
  return "form";
}
