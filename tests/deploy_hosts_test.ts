/**
 * The two hosts, replayed: Databricks Apps (npm install, npm run build, then app.yaml's command
 * with the variables Apps injects) in a temp copy of the repository, and Deno Deploy (only
 * --allow-net --allow-env --allow-read, bundles built ahead of time, the default KV). Both run
 * against the fake workspace and load every page.
 */
import { parse as parseYaml } from "yaml";
import { loadSettings, SettingsError } from "@/fresh.config.ts";
import { ensureBundle } from "@/lib/web/bundle.ts";
import { buildRouteTable, walkFiles } from "@/lib/web/routes.ts";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { FakeDatabricks } from "./fake_databricks/server.ts";
import { seed } from "./fake_databricks/main.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const VOLUME = "main.lakevision.data";
const MODEL = "main.lakevision.detector";

const HAVE_NPM = (() => {
  try {
    return new Deno.Command("npm", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();
if (!HAVE_NPM) console.log("NOTICE: the Databricks Apps replay is skipped: npm is not installed.");

/** Every page: each route without parameters that renders one, and the seeded model's pages. */
async function pagePaths(root: string): Promise<string[]> {
  const table = buildRouteTable(await walkFiles(`${root}/routes`));
  const paths: string[] = [];
  for (const r of table.routes) {
    if (r.params.length || r.pattern.startsWith("/api/")) continue;
    const source = await Deno.readTextFile(`${root}/routes/${r.file}`);
    if (/^export default /m.test(source)) paths.push(r.pattern);
  }
  return [...paths.sort(), `/models/${MODEL}`, `/models/${MODEL}/1`];
}

async function startFake(): Promise<FakeDatabricks> {
  const fake = await FakeDatabricks.start({ quiet: true });
  await seed(fake, VOLUME);
  return fake;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

interface Server {
  log(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

/** Spawns a server and waits for /api/health (a dead process fails at once with its log). */
async function spawnServer(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  port: number,
): Promise<Server> {
  const proc = new Deno.Command(cmd, { args, cwd, env, stdout: "piped", stderr: "piped" })
    .spawn();
  let out = "";
  let done = false;
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const c of s) out += dec.decode(c, { stream: true });
  };
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  const status = proc.status.then((s) => (done = true, s));
  const server: Server = {
    log: () => out,
    exited: () => done,
    async stop() {
      if (!done) proc.kill("SIGTERM");
      await status;
      await pumps;
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (done) throw new Error(`the server exited during start-up:\n${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
      async (r) => (await r.body?.cancel(), r.ok),
      () => false,
    );
    if (ok) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`the server did not answer within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Loads every page and every script its islands load; returns the pages that had islands. */
async function loadEveryPage(base: string, root: string): Promise<string[]> {
  const withIslands: string[] = [];
  for (const path of await pagePaths(root)) {
    const res = await fetch(base + path, { headers: { accept: "text/html" } });
    const html = await res.text();
    assertEquals(res.status, 200, `${path}: ${html.slice(0, 400)}`);
    assert(res.headers.get("content-type")?.startsWith("text/html"), path);
    const scripts = [
      ...html.matchAll(/<script type="module" src="([^"]+)"/g),
      ...html.matchAll(/data-src="([^"]+)"/g),
    ].map((m) => m[1]);
    if (html.includes("<lv-island")) {
      withIslands.push(path);
      assert(scripts.every((s) => s.startsWith("/_lv/")), `${path}: island scripts are served`);
    }
    for (const src of new Set(scripts)) {
      const js = await fetch(base + src);
      await js.body?.cancel();
      assertEquals(js.status, 200, `${path}: ${src}`);
      assert(js.headers.get("content-type")?.startsWith("text/javascript"), src);
    }
  }
  return withIslands;
}

function assertCleanLog(log: string) {
  assert(!/unhandled error|Uncaught|panicked/i.test(log), `server log:\n${log}`);
}

Deno.test({
  name:
    "[deploy] Deno Deploy mode: --allow-net --allow-env --allow-read, prebuilt bundles and the default KV serve every page",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureBundle(ROOT); // `deno task build`, ahead of time
    const fake = await startFake();
    const port = freePort();
    const server = await spawnServer(
      Deno.execPath(),
      ["run", "--allow-net", "--allow-env", "--allow-read", "main.ts"],
      ROOT,
      {
        PORT: String(port),
        LAKEVISION_WORKSPACE: "databricks",
        DATABRICKS_HOST: fake.url,
        DATABRICKS_CLIENT_ID: "lakevision",
        DATABRICKS_CLIENT_SECRET: "secret",
        LAKEVISION_VOLUME: VOLUME,
        LAKEVISION_LOG: "warn",
        LAKEVISION_DEPLOY: "1",
        DATABRICKS_CONFIG_FILE: "/nonexistent",
      },
      port,
    );
    try {
      const islands = await loadEveryPage(`http://127.0.0.1:${port}`, ROOT);
      assert(islands.includes("/inference"), `pages with islands: ${islands}`);
      assert(!server.exited(), "the server is still up");
      assertCleanLog(server.log());
    } catch (e) {
      console.error(server.log());
      throw e;
    } finally {
      await server.stop();
      await fake.close();
    }
  },
});

Deno.test({
  name:
    "[deploy] Databricks Apps: npm install, npm run build, then app.yaml's command with Apps' variables serves every page",
  ignore: !HAVE_NPM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const copy = await Deno.makeTempDir({ prefix: "lakevision-apps-" });
    const fake = await startFake();
    let server: Server | undefined;
    try {
      await copyTree(ROOT, copy);
      // Apps builds a Node app: npm install, then npm run build (the deno package is the only
      // dependency; npm's cache keeps repeat runs fast).
      await sh(copy, "npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"]);
      await sh(copy, "npm", ["run", "build", "--silent"]);
      const appYaml = parseYaml(await Deno.readTextFile(`${copy}/app.yaml`)) as {
        command: string[];
        env: { name: string; value?: string; valueFrom?: string }[];
      };
      const resources: Record<string, string> = { volume: VOLUME, "sql-warehouse": "wh-apps" };
      const port = freePort();
      const env: Record<string, string> = {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        DATABRICKS_CONFIG_FILE: "/nonexistent",
        DATABRICKS_APP_NAME: "lakevision",
        DATABRICKS_APP_PORT: String(port),
        DATABRICKS_HOST: fake.url,
        DATABRICKS_CLIENT_ID: "lakevision",
        DATABRICKS_CLIENT_SECRET: "secret",
        LAKEVISION_LOG: "warn",
      };
      for (const e of appYaml.env) {
        const v = e.valueFrom !== undefined ? resources[e.valueFrom] : e.value;
        assert(v !== undefined, `app.yaml env ${e.name}: no value for ${e.valueFrom}`);
        env[e.name] = v;
      }
      const [cmd, ...args] = appYaml.command;
      assert(!/npx|deno@/.test(appYaml.command.join(" ")), "Deno is not downloaded at start-up");
      server = await spawnServer(cmd.includes("/") ? `${copy}/${cmd}` : cmd, args, copy, env, port);
      await loadEveryPage(`http://127.0.0.1:${port}`, copy);
      assert(!server.exited(), "the server is still up");
      assertCleanLog(server.log());
      assert(
        !/Island bundles/.test(server.log()),
        `the start used the build step's bundles:\n${server.log()}`,
      );
    } catch (e) {
      if (server) console.error(server.log());
      throw e;
    } finally {
      await server?.stop();
      await fake.close();
      await Deno.remove(copy, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("[deploy] databricks.yml declares every resource app.yaml reads and its user scopes", async () => {
  const appYaml = parseYaml(await Deno.readTextFile(`${ROOT}/app.yaml`)) as {
    env: { name: string; value?: string; valueFrom?: string }[];
  };
  const bundle = parseYaml(await Deno.readTextFile(`${ROOT}/databricks.yml`)) as {
    resources: {
      apps: Record<string, { resources: { name: string }[]; user_api_scopes: string[] }>;
    };
  };
  const app = Object.values(bundle.resources.apps)[0];
  const declared = app.resources.map((r) => r.name);
  for (const e of appYaml.env.filter((e) => e.valueFrom)) {
    assert(declared.includes(e.valueFrom!), `${e.name}: resource ${e.valueFrom} is declared`);
  }
  const scopes = appYaml.env.find((e) => e.name === "LAKEVISION_USER_SCOPES")?.value ?? "";
  assertEquals(scopes.split(",").sort(), [...app.user_api_scopes].sort());
});

Deno.test("[deploy] Deno Deploy is Databricks mode only, and says so at start-up", () => {
  const err = assertThrows(() => loadSettings({ DENO_DEPLOYMENT_ID: "abc123" }), SettingsError);
  assert(/Databricks mode only/.test(err.message), err.message);
  const ok = loadSettings({
    DENO_DEPLOYMENT_ID: "abc123",
    LAKEVISION_WORKSPACE: "databricks",
    DATABRICKS_HOST: "https://example.cloud.databricks.com",
  });
  assert(ok.deploy, "deploy mode");
  assert(!loadSettings({}).deploy, "not on Deploy by default");
});

/** Copies the files git would upload (tracked and untracked, not ignored). */
async function copyTree(from: string, to: string): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: from,
    stdout: "piped",
  }).output();
  assert(out.success, "git ls-files");
  const files = new TextDecoder().decode(out.stdout).split("\0").filter(Boolean);
  for (const f of files) {
    const src = `${from}/${f}`;
    if (!(await Deno.stat(src).then((s) => s.isFile, () => false))) continue;
    const dir = f.includes("/") ? `${to}/${f.slice(0, f.lastIndexOf("/"))}` : to;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.copyFile(src, `${to}/${f}`);
  }
}

async function sh(cwd: string, cmd: string, args: string[]): Promise<void> {
  const res = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  assert(
    res.success,
    `${cmd} ${args.join(" ")} failed:\n${dec.decode(res.stdout)}\n${dec.decode(res.stderr)}`,
  );
}
