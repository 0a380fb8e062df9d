/**
 * Browser bundles for islands: `deno bundle --code-splitting` over the client runtime and every
 * `islands/*.tsx`, written to `static/_lv/<build id>/` where the build id is a hash of the
 * sources, so URLs are content-addressed and served with immutable cache headers. A build whose
 * sources did not change is reused; builds go to a temp folder and are renamed into place, so
 * concurrent starts (tests) never see half a build.
 */
import { walkFiles } from "./routes.ts";
import { classTokens } from "./twind.ts";

/** What a build produced. */
export interface BundleInfo {
  buildId: string;
  /** URL of the client runtime. */
  clientUrl: string;
  /** Island name → URL of its entry module. */
  islands: Record<string, string>;
  /** Folder the files live in. */
  dir: string;
  /** Class tokens used in island and component sources (see twind.ts). */
  safelist: string;
}

const SOURCE_DIRS = ["islands", "components", "lib"];

async function hashSources(root: string): Promise<string> {
  const files: string[] = [];
  for (const d of SOURCE_DIRS) {
    try {
      files.push(...(await walkFiles(`${root}/${d}`)).map((f) => `${d}/${f}`));
    } catch { /* folder may not exist */ }
  }
  files.push("deno.json");
  const parts: string[] = [];
  for (const f of files.sort()) {
    if (!/\.(tsx?|json)$/.test(f) || /_test\.tsx?$/.test(f)) continue;
    parts.push(f, await Deno.readTextFile(`${root}/${f}`).catch(() => ""));
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\0")));
  return [...new Uint8Array(digest)].slice(0, 8).map((b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** Island names: every top-level `islands/*.tsx` not starting with `_`. */
export async function listIslands(root: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(`${root}/islands`)) {
      if (e.isFile && /^[A-Z]\w*\.tsx$/.test(e.name)) out.push(e.name.replace(/\.tsx$/, ""));
    }
  } catch { /* no islands */ }
  return out.sort();
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

async function safelistFor(root: string): Promise<string> {
  const tokens = new Set<string>();
  for (const d of ["islands", "components"]) {
    let files: string[] = [];
    try {
      files = await walkFiles(`${root}/${d}`);
    } catch { /* none */ }
    for (const f of files) {
      if (!f.endsWith(".tsx")) continue;
      for (const t of classTokens(await Deno.readTextFile(`${root}/${d}/${f}`))) tokens.add(t);
    }
  }
  return [...tokens].sort().join(" ");
}

/** Builds (or reuses) the island bundles. */
export async function ensureBundle(
  root: string,
  opts: { force?: boolean } = {},
): Promise<BundleInfo> {
  const islands = await listIslands(root);
  const buildId = await hashSources(root);
  const base = `${root}/static/_lv`;
  const dir = `${base}/${buildId}`;
  if (opts.force || !(await exists(`${dir}/manifest.json`))) {
    await Deno.mkdir(base, { recursive: true });
    const tmp = await Deno.makeTempDir({ dir: base, prefix: ".build-" });
    const entries = ["lib/web/client.ts", ...islands.map((n) => `islands/${n}.tsx`)];
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--code-splitting",
        "--format",
        "esm",
        "--platform",
        "browser",
        "--minify",
        "--outdir",
        tmp,
        ...entries,
      ],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    });
    const res = await cmd.output();
    if (!res.success) {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      throw new Error(`Bundling islands failed:\n${new TextDecoder().decode(res.stderr)}`);
    }
    const manifest = {
      client: await findOutput(tmp, "client.js"),
      islands: Object.fromEntries(
        await Promise.all(islands.map(async (n) => [n, await findOutput(tmp, `${n}.js`)])),
      ),
      safelist: await safelistFor(root),
    };
    await Deno.writeTextFile(`${tmp}/manifest.json`, JSON.stringify(manifest));
    try {
      await Deno.rename(tmp, dir);
    } catch {
      // Another process finished the same build first; theirs is identical.
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
    await pruneOldBuilds(base, buildId);
  }
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  const url = (rel: string) => `/_lv/${buildId}/${rel}`;
  return {
    buildId,
    dir,
    clientUrl: url(manifest.client),
    islands: Object.fromEntries(
      Object.entries(manifest.islands as Record<string, string>).map(([k, v]) => [k, url(v)]),
    ),
    safelist: manifest.safelist,
  };
}

async function findOutput(dir: string, name: string): Promise<string> {
  for (const f of await walkFiles(dir)) {
    if (f === name || f.endsWith(`/${name}`)) return f;
  }
  throw new Error(`Bundle output ${name} not found in ${dir}`);
}

async function pruneOldBuilds(base: string, keep: string): Promise<void> {
  const cutoff = Date.now() - 10 * 60_000;
  for await (const e of Deno.readDir(base)) {
    if (!e.isDirectory || e.name === keep) continue;
    const st = await Deno.stat(`${base}/${e.name}`).catch(() => null);
    // Old builds linger a while so pages already open keep loading their scripts.
    if (st?.mtime && st.mtime.getTime() < cutoff) {
      await Deno.remove(`${base}/${e.name}`, { recursive: true }).catch(() => {});
    }
  }
}
