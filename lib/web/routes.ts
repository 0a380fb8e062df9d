/**
 * File-system routing with Fresh's conventions: `routes/a/[id].tsx` → `/a/:id`,
 * `index.tsx` → its folder, `[...rest].tsx` → catch-all, `(group)` folders are ignored in the URL,
 * and `_app`, `_layout`, `_middleware`, `_404`, `_500` are special files.
 */

/** A page or API route found on disk. */
export interface RouteFile {
  /** Path relative to the routes folder, with forward slashes (`training/[runId].tsx`). */
  file: string;
  /** Hono path pattern (`/training/:runId`). */
  pattern: string;
  /** Names of the `[param]` segments, in order. */
  params: string[];
  /** Sort key: static segments first, then params, then catch-alls. */
  rank: number[];
  /** Layout files that wrap this route, outermost first (relative paths). */
  layouts: string[];
  /** Middleware files that run before it, outermost first. */
  middlewares: string[];
}

/** The special files and the routes. */
export interface RouteTable {
  routes: RouteFile[];
  app?: string;
  notFound?: string;
  error?: string;
}

const ROUTE_EXT = /\.(tsx|ts|jsx|js)$/;

/** Turns a route file path into its URL pattern; exported for tests. */
export function patternFor(file: string): Pick<RouteFile, "pattern" | "params" | "rank"> {
  const segments = file.replace(ROUTE_EXT, "").split("/");
  const parts: string[] = [];
  const params: string[] = [];
  const rank: number[] = [];
  for (const seg of segments) {
    if (/^\(.+\)$/.test(seg)) continue;
    if (seg === "index") continue;
    const rest = seg.match(/^\[\.\.\.(\w+)\]$/);
    if (rest) {
      params.push(rest[1]);
      parts.push(`:${rest[1]}{.+}`);
      rank.push(2);
      continue;
    }
    const param = seg.match(/^\[(\w+)\]$/);
    if (param) {
      params.push(param[1]);
      parts.push(`:${param[1]}`);
      rank.push(1);
      continue;
    }
    if (!/^[\w.-]+$/.test(seg)) throw new Error(`Unsupported route segment "${seg}" in ${file}`);
    parts.push(seg);
    rank.push(0);
  }
  return { pattern: "/" + parts.join("/"), params, rank };
}

/** Orders routes so that the most specific wins (static before param before catch-all). */
export function compareRoutes(a: RouteFile, b: RouteFile): number {
  const n = Math.max(a.rank.length, b.rank.length);
  for (let i = 0; i < n; i++) {
    const x = a.rank[i] ?? -1;
    const y = b.rank[i] ?? -1;
    if (x !== y) {
      // A shorter path that already ended is more specific than a catch-all continuing.
      if (x === -1) return -1;
      if (y === -1) return 1;
      return x - y;
    }
  }
  return a.file.localeCompare(b.file);
}

/** Builds the route table from a list of relative file paths (pure; tested without disk). */
export function buildRouteTable(files: string[]): RouteTable {
  const table: RouteTable = { routes: [] };
  const specials = new Set(files.filter((f) => /(^|\/)_(layout|middleware)\.(tsx|ts)$/.test(f)));
  for (const file of files.sort()) {
    if (!ROUTE_EXT.test(file) || /_test\.(tsx?|jsx?)$/.test(file)) continue;
    const base = file.split("/").pop()!.replace(ROUTE_EXT, "");
    if (base === "_app") table.app = file;
    else if (base === "_404") table.notFound = file;
    else if (base === "_500") table.error = file;
    else if (base.startsWith("_")) continue;
    else {
      const dirs = file.split("/").slice(0, -1);
      const wrappers = (kind: string) => {
        const out: string[] = [];
        for (let i = 0; i <= dirs.length; i++) {
          const prefix = dirs.slice(0, i).join("/");
          for (const ext of ["tsx", "ts"]) {
            const p = (prefix ? prefix + "/" : "") + `_${kind}.${ext}`;
            if (specials.has(p)) out.push(p);
          }
        }
        return out;
      };
      table.routes.push({
        file,
        ...patternFor(file),
        layouts: wrappers("layout"),
        middlewares: wrappers("middleware"),
      });
    }
  }
  table.routes.sort(compareRoutes);
  return table;
}

/** Lists the files under a folder recursively, as relative paths with forward slashes. */
export async function walkFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) out.push(...await walkFiles(`${dir}/${entry.name}`, rel));
    else if (entry.isFile) out.push(rel);
  }
  return out;
}
