/**
 * Browser bundles for islands: `deno bundle --code-splitting` over the client runtime and every
 * `islands/*.tsx`, written to `static/_lv/<build id>/` where the build id is a hash of the
 * sources, so URLs are content-addressed and served with immutable cache headers. A build whose
 * sources did not change is reused; builds go to a temp folder and are renamed into place, so
 * concurrent starts (tests) never see half a build.
 *
 * Hosts without subprocesses or file writes (Deno Deploy) use bundles built ahead of time with
 * `deno task build`: the build records its id in `static/_lv/latest.json`, and a start that may
 * not run `deno bundle` serves that build (see `ensureBundle`).
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

/** True when this process may start subprocesses (Deno Deploy and `--allow-run`-less runs may not). */
export function canBuild(): boolean {
  try {
    return Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state ===
      "granted";
  } catch {
    return false;
  }
}

/**
 * Builds (or reuses) the island bundles. A process that may not run `deno bundle` (`prebuilt`,
 * or no run permission) never builds: it uses the build of these sources if present, else the
 * last one `deno task build` recorded (its scripts may predate a source edit; a warning says so),
 * else serves pages without islands' scripts, which still render on the server.
 */
export async function ensureBundle(
  root: string,
  opts: { force?: boolean; prebuilt?: boolean; warn?: (message: string) => void } = {},
): Promise<BundleInfo> {
  const islands = await listIslands(root);
  const buildId = await hashSources(root);
  const base = `${root}/static/_lv`;
  const dir = `${base}/${buildId}`;
  const have = await exists(`${dir}/manifest.json`);
  if (!opts.force && !have && (opts.prebuilt || !canBuild())) {
    const warn = opts.warn ?? ((m: string) => console.warn(m));
    const latest = await Deno.readTextFile(`${base}/latest.json`).then(
      (t) => String(JSON.parse(t).buildId),
      () => undefined,
    );
    if (
      latest && /^[0-9a-f]{16}$/.test(latest) && await exists(`${base}/${latest}/manifest.json`)
    ) {
      warn(
        `Island bundles: no build for these sources (${buildId}); serving the last one built ` +
          `(${latest}). Run \`deno task build\` before deploying.`,
      );
      return await readManifest(base, latest);
    }
    warn(
      "Island bundles were not built and this host cannot build them: pages render without " +
        "their interactive parts. Run `deno task build` before deploying.",
    );
    return { buildId, dir, clientUrl: "", islands: {}, safelist: "" };
  }
  if (opts.force || !have) {
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
    await Deno.writeTextFile(`${base}/latest.json`, JSON.stringify({ buildId }));
  }
  return await readManifest(base, buildId);
}

async function readManifest(base: string, buildId: string): Promise<BundleInfo> {
  const dir = `${base}/${buildId}`;
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
    if (!e.isDirectory || e.name === keep || e.name === "latest.json") continue;
    const st = await Deno.stat(`${base}/${e.name}`).catch(() => null);
    // Old builds linger a while so pages already open keep loading their scripts.
    if (st?.mtime && st.mtime.getTime() < cutoff) {
      await Deno.remove(`${base}/${e.name}`, { recursive: true }).catch(() => {});
    }
  }
}
