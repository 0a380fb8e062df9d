/**
 * The Workspace port's rule, checked on the source: outside lib/workspace/, nothing asks which
 * workspace it runs on. Services and pages use what the port offers (`traits`, `jobs.stageCode`,
 * ...), so the adapters differ behind lib/workspace/types.ts and not in the callers. Flagged: a
 * workspace's `.kind` compared or switched on, and `instanceof` with an adapter's class (anything
 * imported from lib/workspace/databricks/ or lib/workspace/local/, or the two workspaces by name).
 * A run's compute choice (`run.compute.kind`, `choice.kind`) is the person's choice and is not
 * flagged. Test files are not scanned: they may check which adapter they built.
 */
import { assert, assertEquals } from "./assert.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const SCANNED = ["lib", "routes", "components", "islands"];
const SKIPPED_DIR = "lib/workspace";

/** One use the rule allows: a file, the line it is on (matched), and why. */
interface Allowed {
  file: string;
  line: RegExp;
  why: string;
}

/** Uses that only show which workspace is in use; they never change what the app does. */
const DISPLAY_ONLY: Allowed[] = [
  {
    file: "routes/settings/index.tsx",
    line: /state\.workspace\.kind === "local"/,
    why: "the Settings page names the workspace, its location, and how to switch to Databricks",
  },
  {
    file: "routes/index.tsx",
    line: /state\.workspace\.kind === "local"/,
    why: "the home page names the workspace in use",
  },
];

/**
 * Branches on the adapter that still sit outside it. Each entry goes once its file uses the port
 * instead (the test fails on an entry that no longer matches, so the list only shrinks).
 */
const NOT_YET_MOVED: Allowed[] = [];

/** The workspace-kind checks in one file's source: `[line number, line]` for each. */
export function kindChecks(source: string): [number, string][] {
  const code = stripComments(source);
  const adapterNames = adapterImports(code);
  const rules: RegExp[] = [
    // ws.kind === "local", ctx.state.workspace.kind !== "databricks"
    /\b(?:workspace|ws)\.kind\s*(?:===|!==|==|!=)(?!=)/,
    // "local" === ws.kind, req.compute.kind !== ctx.workspace.kind
    /(?:===|!==|==|!=)\s*(?:[A-Za-z_$][\w$]*\??\.)*(?:workspace|ws)\.kind\b/,
    /\bswitch\s*\(\s*(?:[A-Za-z_$][\w$]*\??\.)*(?:workspace|ws)\.kind\s*\)/,
    /\binstanceof\s+(?:DatabricksWorkspace|LocalWorkspace)\b/,
    // duck-typing an adapter's members: (ws.files as { root?: string }).root
    /\bas\s*\{\s*(?:root|resolve|dataDir)\??\s*:/,
  ];
  if (adapterNames.length) {
    rules.push(new RegExp(`\\binstanceof\\s+(?:${adapterNames.join("|")})\\b`));
  }
  const out: [number, string][] = [];
  const original = source.split("\n");
  code.split("\n").forEach((line, i) => {
    if (rules.some((r) => r.test(line))) out.push([i + 1, original[i].trim()]);
  });
  return out;
}

/** Names imported as values from an adapter module (lib/workspace/databricks|local/...). */
function adapterImports(code: string): string[] {
  const names: string[] = [];
  const re = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*["']([^"']+)["']/g;
  for (const m of code.matchAll(re)) {
    if (m[1] || !/(?:^|\/)workspace\/(?:databricks|local)\//.test(m[3])) continue;
    for (const part of m[2].split(",")) {
      const p = part.trim();
      if (!p || p.startsWith("type ")) continue;
      const local = p.split(/\s+as\s+/).pop()!.trim();
      if (/^[A-Za-z_$][\w$]*$/.test(local)) names.push(local);
    }
  }
  return names;
}

/** Comments blanked out (line numbers kept), so documentation may name the rule. */
function stripComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, (_, pre) => pre);
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}/${dir}`)) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory) {
      if (rel !== SKIPPED_DIR) out.push(...await sourceFiles(rel));
    } else if (/\.(ts|tsx)$/.test(e.name) && !/_test\.tsx?$/.test(e.name)) out.push(rel);
  }
  return out;
}

Deno.test("[architecture] the checker flags workspace-kind branches, not compute choices", () => {
  const flagged = (s: string) => kindChecks(s).length > 0;
  for (
    const bad of [
      `if (ws.kind === "local") x();`,
      `const every = ctx.workspace.kind !== "databricks" ? 1 : 2;`,
      `if ("local" === state.workspace.kind) x();`,
      `if (req.compute.kind !== ctx.workspace.kind) return;`,
      `switch (ctx.ws.kind) {}`,
      `if (ctx.ws instanceof DatabricksWorkspace) x();`,
      `import { LocalFiles } from "@/lib/workspace/local/files.ts";\n` +
      `if (f instanceof LocalFiles) x();`,
      `import { A, DatabricksError as E } from "../workspace/databricks/api_error.ts";\n` +
      `if (e instanceof E) x();`,
      `const root = (ws.files as { root?: string }).root;`,
      `const files = ws.files as { resolve?: (p: string) => Promise<string> };`,
    ]
  ) assert(flagged(bad), bad);
  for (
    const ok of [
      `if (run.compute.kind === "local") x();`,
      `if (choice.kind !== "databricks") x();`,
      `const kind = values.compute ?? ctx.workspace.traits.computeKind;`,
      "const m = `connected to the ${ctx.workspace.kind} workspace`;",
      `// if (ws.kind === "local") is what services no longer do`,
      `/** ctx.ws instanceof DatabricksWorkspace */`,
      `import type { LocalFiles } from "@/lib/workspace/local/files.ts";\n` +
      `const f: LocalFiles = g();`,
      `if (e instanceof BadRequestError) x();`,
      `const v = ws.files.volumePathOf?.(p);`,
    ]
  ) assert(!flagged(ok), ok);
});

Deno.test("[architecture] no service, route, component or island branches on the workspace's kind", async () => {
  const files = (await Promise.all(SCANNED.map(sourceFiles))).flat().sort();
  assert(files.includes("lib/serving/batch/service.ts"), "the scan reaches lib/");
  assert(files.includes("routes/data/index.tsx"), "the scan reaches routes/");
  assert(!files.some((f) => f.startsWith(`${SKIPPED_DIR}/`)), "lib/workspace/ is the adapters'");
  const allowed = [...DISPLAY_ONLY, ...NOT_YET_MOVED];
  const used = new Set<Allowed>();
  const problems: string[] = [];
  for (const file of files) {
    for (const [n, line] of kindChecks(await Deno.readTextFile(`${ROOT}/${file}`))) {
      const a = allowed.find((a) => a.file === file && a.line.test(line));
      if (a) used.add(a);
      else problems.push(`${file}:${n}: ${line}`);
    }
  }
  assertEquals(
    problems,
    [],
    "Branches on the workspace's kind outside lib/workspace/. Ask the port instead " +
      "(lib/workspace/types.ts: `traits`, `jobs.stageCode`, ...), or add what the caller needs " +
      "to it:\n" + problems.join("\n"),
  );
  const stale = allowed.filter((a) => !used.has(a)).map((a) => `${a.file} (${a.why})`);
  assertEquals(stale, [], `Allowed uses that no longer occur; remove them:\n${stale.join("\n")}`);
});
