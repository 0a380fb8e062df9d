/**
 * Issue 17: a bounded, seeded fuzzer over every route. Mutated, truncated, wrong-type and huge
 * JSON, YAML, form and multipart bodies and query strings go to each route in memory; a bad
 * request must get a 4xx, never a 5xx. `bench/fuzz_bench.ts` runs it longer and prints the counts.
 */
import { loadSettings } from "@/fresh.config.ts";
import { newConfig } from "@/lib/config/templates.ts";
import { setKv } from "@/lib/store/kv.ts";
import { stopMonitor } from "@/lib/training/refresh.ts";
import { createApp, toFileUrl } from "@/lib/web/app.ts";
import { buildRouteTable, type RouteFile, walkFiles } from "@/lib/web/routes.ts";
import { createWorkspace } from "@/lib/workspace/mod.ts";
import { AssertionError } from "./assert.ts";
import { writeDetectionDataset, writeFinishedRun } from "./evaluation_testing.ts";
import { ROOT } from "./helpers.ts";

/** One request that got a 5xx (or no answer in time), with what the server logged for it. */
export interface FuzzFailure {
  method: string;
  path: string;
  kind: string;
  status: number | "timeout" | "unhandled";
  body: string;
  logged?: string;
}

/** What a fuzz run saw. */
export interface FuzzResult {
  requests: number;
  statuses: Record<string, number>;
  failures: FuzzFailure[];
  /** Bad requests that only the error mapper turned into a 4xx (the handler had no check). */
  mapped: Record<string, number>;
  /** Seconds spent per route pattern. */
  slowest: [string, number][];
  seconds: number;
}

const RUN = "20261126-010000-aaaa";
const ORIGIN = "http://localhost";
const PER_REQUEST_MS = 15_000;

/** xorshift32: the same seed gives the same requests. */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

const WEIRD = [
  "",
  " ",
  "0",
  "-1",
  "1e309",
  "NaN",
  "null",
  "true",
  "[]",
  "{}",
  "..",
  "../../etc/passwd",
  "/etc/passwd",
  "/Volumes/",
  "/Volumes/main/lakevision/data",
  "/Volumes/main/lakevision/data/datasets/boxes/val/1.png",
  "/Volumes/main/lakevision/data/datasets/boxes/instances_val.json",
  "/Volumes/main/lakevision/data/../../../x",
  "/Volumes/a/b/c/" + "n".repeat(300),
  "%00",
  "\u0000",
  "<script>alert(1)</script>",
  "\u202e\ud83d\ude00",
  "a".repeat(3000),
  "x,".repeat(500),
  "9".repeat(40),
  "detection",
  "local",
  "fuzz",
  RUN,
  "1",
  "2",
  "png",
  "mask",
  "csv",
  "html",
];

const QUERY_KEYS = [
  "a",
  "alias",
  "b",
  "bytes",
  "class",
  "col",
  "compute",
  "config",
  "format",
  "from",
  "gt",
  "id",
  "ids",
  "image",
  "limit",
  "minScore",
  "model",
  "notice",
  "offset",
  "overlay",
  "path",
  "problem",
  "q",
  "refresh",
  "result",
  "row",
  "run",
  "runs",
  "saved",
  "split",
  "status",
  "table",
  "task",
  "template",
  "thumb",
  "undo",
  "v",
  "version",
];

const VAL = "/Volumes/main/lakevision/data/datasets/boxes";
/** Queries that real pages send, so mutations start from something the route accepts. */
const SEED_QUERIES = [
  `path=${VAL}/val/1.png&overlay=mask`,
  `path=${VAL}/instances_val.json&overlay=mask`,
  `path=${VAL}/instances_val.json&thumb=1`,
  `path=${VAL}/val/1.png&thumb=1`,
  `path=${VAL}`,
  `runs=${RUN}`,
  `runs=${RUN},${RUN}`,
  `runs=${RUN}&format=csv`,
  `runs=${RUN}&format=md`,
  "v=1",
  "a=1&b=2",
  "row=0&col=0",
  "ids=1,2&minScore=0.5",
  "task=detection&model=facebook%2Fdetr-resnet-50",
  "status=active",
  "from=0",
];

const FORM_KEYS = [
  "action",
  "version",
  "title",
  "id",
  "name",
  "yaml",
  "file",
  "runs",
  "gt",
  "compute",
  "config",
  "maxSteps",
  "token",
  "task",
  "model",
  "baseVersion",
  "message",
  "data.batch_size",
  "model.model_name",
  "training.max_epochs",
  "alias",
];

const PARAM_VALUES = [
  "fuzz",
  RUN,
  "1",
  "2",
  "0",
  "-3",
  "nope",
  "..",
  "%2e%2e",
  "%E0%A4%A",
  "%00",
  "a".repeat(3000),
  "b".repeat(300),
  "x%2Fy",
  "%F0%9F%98%80",
  "main.lakevision.m",
];

function weird(r: Rng): string {
  if (r.chance(0.15)) return String(r.int(1 << 30) - (1 << 29));
  if (r.chance(0.05)) return "z".repeat(r.pick([10, 500, 5000, 70_000]));
  return r.pick(WEIRD);
}

function jsonValue(r: Rng, depth = 0): unknown {
  const k = depth > 3 ? r.int(5) : r.int(8);
  switch (k) {
    case 0:
      return weird(r);
    case 1:
      return r.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1]);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return r.pick(WEIRD);
    case 5:
      return Array.from({ length: r.int(4) }, () => jsonValue(r, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: r.int(5) }, () => [r.pick(JSON_KEYS), jsonValue(r, depth + 1)]),
      );
  }
}

const JSON_KEYS = [
  "name",
  "yaml",
  "doc",
  "message",
  "baseVersion",
  "mode",
  "path",
  "splits",
  "format",
  "images",
  "delta",
  "compute",
  "kind",
  "config",
  "maxSteps",
  "idempotencyToken",
  "gt",
  "model",
  "data",
  "training",
  "version",
  "alias",
  "__proto__",
  "constructor",
];

/** Realistic bodies to mutate, so requests get past the first checks. */
function seedBodies(volume: string): unknown[] {
  const doc = newConfig("detection", "facebook/detr-resnet-50", { volume });
  return [
    { name: "fuzz", doc },
    {
      name: "fuzz2",
      yaml: "model:\n  task_type: detection\n  model_name: facebook/detr-resnet-50\n",
    },
    { yaml: "task_type: detection", mode: "launch" },
    { doc },
    { path: `${volume}/datasets/boxes/instances_val.json`, format: "coco" },
    { splits: [{ name: "val", path: `${volume}/datasets/boxes/instances_val.json` }] },
    { compute: { kind: "local" }, config: "fuzz@1", maxSteps: 1 },
    { idempotencyToken: "abcdefgh12" },
    { gt: `${volume}/datasets/boxes/instances_val.json` },
  ];
}

function mutate(r: Rng, v: unknown, depth = 0): unknown {
  if (depth > 6 || r.chance(0.2)) return r.chance(0.5) ? jsonValue(r) : v;
  if (Array.isArray(v)) {
    const out = v.map((x) => mutate(r, x, depth + 1));
    if (r.chance(0.2)) out.push(jsonValue(r));
    if (r.chance(0.1)) out.length = 0;
    return out;
  }
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (r.chance(0.1)) continue;
      out[r.chance(0.05) ? r.pick(JSON_KEYS) : k] = mutate(r, x, depth + 1);
    }
    if (r.chance(0.2)) out[r.pick(JSON_KEYS)] = jsonValue(r);
    return out;
  }
  return r.chance(0.3) ? jsonValue(r) : v;
}

function nested(depth: number, open: string, close: string, leaf = "1"): string {
  return open.repeat(depth) + leaf + close.repeat(depth);
}

const YAMLS = [
  "model:\n  task_type: detection\n",
  "a: &a [1,2,3]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
  "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
  "model: " + nested(3000, "[", "]"),
  "model: " + nested(500, "{a: ", "}"),
  "\tmodel:\n\t\tx: 1",
  "- 1\n- 2\n",
  "model: !!js/function 'function(){}'\n",
  "model:\n  task_type: [detection\n",
  "? [a, b]\n: c\n",
  "x: " + "y".repeat(300_000),
  "%YAML 9.9\n---\nmodel: 1\n",
  "a: *unknown\n",
];

interface Body {
  kind: string;
  body?: BodyInit;
  type?: string;
}

function jsonBody(r: Rng, volume: string): Body {
  const k = r.int(10);
  const base = r.pick(seedBodies(volume));
  switch (k) {
    case 0:
      return { kind: "json-deep", body: nested(r.pick([100, 2000, 8000]), "[", "]") };
    case 1:
      return { kind: "json-deep-obj", body: nested(r.pick([100, 8000]), '{"doc":', "}", "{}") };
    case 2: {
      const text = JSON.stringify(base);
      return { kind: "json-truncated", body: text.slice(0, r.int(text.length)) };
    }
    case 3:
      return { kind: "json-wrong-type", body: JSON.stringify(jsonValue(r, 4)) };
    case 4:
      return {
        kind: "json-huge",
        body: JSON.stringify({ name: "h", yaml: "x".repeat(2_000_000) }),
      };
    case 5:
      return {
        kind: "json-yaml",
        body: JSON.stringify({ name: `y${r.int(50)}`, yaml: r.pick(YAMLS) }),
      };
    case 6:
      return {
        kind: "json-garbage",
        body: r.pick(["{", "}", "nul", "\ufeff{}", "[1,]", "{'a':1}"]),
      };
    default:
      return { kind: "json-mutated", body: JSON.stringify(mutate(r, base)) };
  }
}

function formFields(r: Rng, volume: string): [string, string][] {
  const out: [string, string][] = [];
  const n = r.int(7);
  for (let i = 0; i < n; i++) out.push([r.pick(FORM_KEYS), weird(r)]);
  if (r.chance(0.4)) out.push(["action", r.pick(["activate", "restore", "template", "explode"])]);
  if (r.chance(0.3)) out.push(["yaml", r.pick(YAMLS)]);
  if (r.chance(0.3)) out.push(["runs", RUN], ["gt", `${volume}/datasets/boxes/instances_val.json`]);
  return out;
}

function formBody(r: Rng, volume: string): Body {
  const k = r.int(8);
  const fields = formFields(r, volume);
  switch (k) {
    case 0:
    case 1:
    case 2:
      return {
        kind: "form",
        body: new URLSearchParams(fields).toString(),
        type: "application/x-www-form-urlencoded",
      };
    case 3: {
      const fd = new FormData();
      for (const [key, v] of fields) fd.append(key, v);
      const bytes = r.chance(0.5)
        ? new TextEncoder().encode(r.pick(YAMLS))
        : crypto.getRandomValues(new Uint8Array(r.pick([0, 10, 4096])));
      fd.append("file", new File([bytes], r.pick(["c.yaml", "x.png", "a".repeat(300), ""])));
      return { kind: "multipart", body: fd };
    }
    case 4:
      return {
        kind: "multipart-no-boundary",
        body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
        type: "multipart/form-data",
      };
    case 5:
      return {
        kind: "multipart-broken",
        body: r.pick([
          "junk",
          '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1',
          "--b\r\n\r\n--b--",
          '--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n',
        ]),
        type: `multipart/form-data; boundary=${r.pick(["b", '"b"', "", ";;"])}`,
      };
    case 6:
      return {
        kind: "form-as-json",
        body: new URLSearchParams(fields).toString(),
        type: "application/json",
      };
    default:
      return {
        kind: "form-wrong-type",
        body: new URLSearchParams(fields).toString(),
        type: r.pick(["text/plain", "application/xml", "image/png", "", "multipart/mixed"]),
      };
  }
}

function rawBody(r: Rng): Body {
  const k = r.int(3);
  if (k === 0) {
    // Chunked (no content-length) and over the app's 1 MB limit.
    let left = 1_200_000;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (left <= 0) return c.close();
        left -= 65536;
        c.enqueue(new Uint8Array(65536).fill(91));
      },
    });
    return {
      kind: "chunked-over-limit",
      body: stream,
      type: r.pick(["application/json", "application/x-www-form-urlencoded"]),
    };
  }
  if (k === 1) {
    return {
      kind: "bytes",
      body: crypto.getRandomValues(new Uint8Array(r.pick([1, 100, 5000]))),
      type: r.pick(["application/octet-stream", "application/json", "image/png", "text/yaml"]),
    };
  }
  return { kind: "empty", body: "", type: r.pick(["application/json", "multipart/form-data"]) };
}

function pathFor(r: Rng, route: RouteFile): string {
  let path = route.pattern;
  for (const name of route.params) {
    const v = r.chance(0.5)
      ? (name.toLowerCase().includes("run") || name === "id" ? RUN : "fuzz")
      : r.pick(PARAM_VALUES);
    path = path.replace(
      new RegExp(`:${name}(\\{[^}]*\\})?\\??`),
      v.includes("%") ? v : encodeURIComponent(v),
    );
  }
  path = path.replace(/\/\*$/, "/x");
  if (r.chance(0.6)) {
    const q = new URLSearchParams(r.chance(0.4) ? r.pick(SEED_QUERIES) : "");
    for (let i = r.int(5); i >= 0; i--) q.append(r.pick(QUERY_KEYS), weird(r));
    path += `?${q}`;
    if (r.chance(0.1)) path += r.pick(["&%", "&a=%zz", "&&&", "&a[]=1&a[]=2"]);
  }
  return path;
}

function short(path: string): string {
  return path.length > 300 ? `${path.slice(0, 300)}…(${path.length} chars)` : path;
}

function bodyFor(r: Rng, volume: string): Body {
  const k = r.int(10);
  if (k < 4) return jsonBody(r, volume);
  if (k < 8) return formBody(r, volume);
  return rawBody(r);
}

/** Reads at most 64 KB of a response (SSE streams never end), then lets it go. */
async function drain(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // An event stream never ends: take what comes at once.
  const sse = res.headers.get("content-type")?.includes("text/event-stream");
  const stop = setTimeout(() => reader.cancel().catch(() => {}), sse ? 100 : 1500);
  try {
    while (size < 65536) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch { /* cancelled */ }
  clearTimeout(stop);
  await reader.cancel().catch(() => {});
  return new TextDecoder().decode(
    chunks.reduce((a, c) => {
      const out = new Uint8Array(a.length + c.length);
      out.set(a);
      out.set(c, a.length);
      return out;
    }, new Uint8Array()),
  ).slice(0, 600);
}

/** Builds the app on a temp data dir with a config and a finished run, and fuzzes it. */
export async function runFuzz(opts: { requests: number; seed: number }): Promise<FuzzResult> {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-fuzz-" });
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  const t0 = performance.now();
  const errors: { requestId?: string; text: string }[] = [];
  const mapped: Record<string, number> = {};
  const spent = new Map<string, number>();
  // The request in flight, for the logger and for rejections nobody handled.
  let current: Omit<FuzzFailure, "status" | "body"> & { route: string } = {
    method: "-",
    path: "-",
    kind: "-",
    route: "-",
  };
  try {
    const settings = loadSettings({
      LAKEVISION_DATA_DIR: dataDir,
      LAKEVISION_LOG: "error",
      LAKEVISION_DEMO: "0",
      LAKEVISION_MAX_BODY_MB: "1",
      // Launches must not start real training on a shared machine.
      LAKEVISION_PYTHON: "/bin/false",
    });
    const workspace = await createWorkspace(settings);
    const app = await createApp({
      settings,
      workspace,
      root: ROOT,
      logger: (lvl, msg, fields = {}) => {
        if (lvl === "warn" && msg.startsWith("bad request reached")) {
          const first = String(fields.error ?? "").split("\n").slice(0, 2).join(" ").slice(0, 160);
          const key = `${fields.status} ${current.method} ${current.route}: ${first}`;
          mapped[key] = (mapped[key] ?? 0) + 1;
          return;
        }
        if (lvl !== "error") return;
        errors.push({
          requestId: fields.requestId as string | undefined,
          text: `${msg}: ${String(fields.error ?? fields.path ?? "")}`.slice(0, 1500),
        });
      },
    });
    const volume = settings.volume;
    const ds = await writeDetectionDataset(dataDir, 6);
    await writeFinishedRun(dataDir, ds, { id: RUN, name: "fuzz run", quality: 0.5, seed: 1 });
    const seeded = await app.request(`${ORIGIN}/api/configs`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify({
        name: "fuzz",
        doc: newConfig("detection", "facebook/detr-resnet-50", { volume }),
      }),
    });
    await seeded.body?.cancel();

    const table = buildRouteTable(await walkFiles(`${ROOT}/routes`));
    const routes = table.routes;
    // Mostly the methods each route handles, so requests reach the handlers, not the 405.
    const methods = new Map<RouteFile, string[]>();
    for (const route of routes) {
      const mod = await import(toFileUrl(`${ROOT}/routes/${route.file}`));
      const h = mod.handler;
      const own = typeof h === "function" ? ["GET", "POST"] : Object.keys(h ?? {});
      methods.set(route, own.length ? own : ["GET"]);
    }
    const r = prng(opts.seed);
    const statuses: Record<string, number> = {};
    const failures: FuzzFailure[] = [];
    // A rejected promise nobody awaits would end a real server process: count it as a failure
    // of the request in flight.
    const onRejection = (e: PromiseRejectionEvent) => {
      e.preventDefault();
      const reason = e.reason instanceof Error ? (e.reason.stack ?? e.reason.message) : e.reason;
      const { route: _, ...where } = current;
      failures.push({ ...where, status: "unhandled", body: String(reason).slice(0, 1500) });
      statuses.unhandled = (statuses.unhandled ?? 0) + 1;
    };
    globalThis.addEventListener("unhandledrejection", onRejection);
    try {
      for (let i = 0; i < opts.requests; i++) {
        const route = r.pick(routes);
        const method = r.chance(0.8)
          ? r.pick(methods.get(route)!)
          : r.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]);
        const path = pathFor(r, route);
        const body = method === "GET" || method === "HEAD" ? undefined : bodyFor(r, volume);
        const headers: Record<string, string> = { origin: ORIGIN, "sec-fetch-site": "same-origin" };
        if (body?.type) headers["content-type"] = body.type;
        if (r.chance(0.3)) headers.accept = r.pick(["application/json", "text/html", "*/*"]);
        const requestId = `fuzz-${i}`;
        headers["x-request-id"] = requestId;
        const init = { method, headers, body: body?.body, duplex: "half" } as RequestInit;
        current = { method, path: short(path), kind: body?.kind ?? "none", route: route.pattern };
        const started = performance.now();
        let status: number | "timeout";
        let text = "";
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          const res = await Promise.race([
            app.request(`${ORIGIN}${path}`, init),
            new Promise<null>((ok) => timer = setTimeout(() => ok(null), PER_REQUEST_MS)),
          ]);
          if (res) {
            status = res.status;
            text = await drain(res);
          } else status = "timeout";
        } finally {
          clearTimeout(timer);
        }
        spent.set(route.pattern, (spent.get(route.pattern) ?? 0) + performance.now() - started);
        // One macrotask, so a rejection nobody handled is pinned on this request.
        await new Promise((ok) => setTimeout(ok, 0));
        const bucket = status === "timeout" ? "timeout" : `${status}`;
        statuses[bucket] = (statuses[bucket] ?? 0) + 1;
        if (status === "timeout" || status >= 500) {
          failures.push({
            method,
            path: short(path),
            kind: body?.kind ?? "none",
            status,
            body: text.slice(0, 300),
            logged: errors.filter((e) => e.requestId === requestId).map((e) => e.text).join("\n") ||
              undefined,
          });
        }
      }
      // Let late rejections from the last requests surface.
      await new Promise((ok) => setTimeout(ok, 200));
    } finally {
      globalThis.removeEventListener("unhandledrejection", onRejection);
    }
    return {
      requests: opts.requests,
      mapped,
      slowest: [...spent].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, ms]) => [k, ms / 1000]),
      statuses,
      failures,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    stopMonitor();
    kv.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

/** Prints the counts and, per distinct route and cause, the first failing request. */
export function report(result: FuzzResult): string {
  const lines = [
    `${result.requests} requests in ${result.seconds.toFixed(1)} s; statuses: ${
      Object.entries(result.statuses).sort().map(([s, n]) => `${s}×${n}`).join(" ")
    }`,
  ];
  lines.push(
    `slowest routes: ${result.slowest.map(([k, s]) => `${k} ${s.toFixed(1)} s`).join(", ")}`,
  );
  const mapped = Object.entries(result.mapped).sort((a, b) => b[1] - a[1]);
  if (mapped.length) lines.push("4xx only from the error mapper (the handler has no check):");
  for (const [k, n] of mapped) lines.push(`  ${n}× ${k}`);
  const seen = new Set<string>();
  for (const f of result.failures) {
    const key = `${f.method} ${f.path.split("?")[0]} ${f.kind} ${
      f.logged?.split("\n")[0] ?? f.body
    }`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(`  ${f.status} ${f.method} ${f.path} [${f.kind}]\n    ${f.logged ?? f.body}`);
  }
  return lines.join("\n");
}

Deno.test({
  name: "[security/fuzz] 3,000 seeded malformed requests over every route get no 5xx",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const result = await runFuzz({ requests: 3000, seed: 17 });
    console.log(report(result));
    if (result.failures.length) {
      throw new AssertionError(`${result.failures.length} request(s) got a 5xx or no answer`);
    }
  },
});
