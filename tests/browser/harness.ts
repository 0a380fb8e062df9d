/**
 * Browser test harness: starts Lakevision as a real server on a free port with a fresh data dir,
 * drives it with headless Debian Chromium through playwright-core, fails on console errors, and
 * saves screenshots under tests/.screenshots/. Without Chromium the tests are skipped with a
 * printed notice (CI installs it).
 */
import { type Browser, chromium, type Page } from "playwright-core";

/** Where Debian puts Chromium; override with LAKEVISION_CHROMIUM. */
export const CHROMIUM = Deno.env.get("LAKEVISION_CHROMIUM") ?? "/usr/bin/chromium";
const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
export const SCREENSHOTS = `${ROOT}/tests/.screenshots`;

/** True when Chromium is installed; prints a notice once when it is not. */
export const HAVE_CHROMIUM = (() => {
  try {
    Deno.statSync(CHROMIUM);
    return true;
  } catch {
    console.log(
      `NOTICE: browser tests skipped: ${CHROMIUM} not found (apt-get install chromium to run them).`,
    );
    return false;
  }
})();

/** A running server and browser. */
export interface BrowserSession {
  baseUrl: string;
  dataDir: string;
  browser: Browser;
  /** Opens a page that records console errors and failed requests. */
  newPage(): Promise<Page & { errors: string[] }>;
  screenshot(page: Page, name: string): Promise<string>;
  /** The server's output so far (for diagnosing failures). */
  serverLog(): string;
  close(): Promise<void>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts the server and the browser. `env` adds settings for the server. */
export async function startSession(env: Record<string, string> = {}): Promise<BrowserSession> {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-browser-" });
  const port = freePort();
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: ROOT,
    env: {
      PORT: String(port),
      LAKEVISION_DATA_DIR: dataDir,
      LAKEVISION_LOG: "warn",
      LAKEVISION_DEMO: "0",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) log += dec.decode(chunk, { stream: true });
  };
  const pumps = [pump(proc.stdout), pump(proc.stderr)];
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const r = await fetch(`${baseUrl}/api/health`);
      await r.body?.cancel();
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      proc.kill();
      throw new Error(`server did not start within 90 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  return {
    baseUrl,
    dataDir,
    browser,
    async newPage() {
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } }) as
        & Page
        & { errors: string[] };
      page.errors = [];
      page.on("console", (m) => {
        if (m.type() === "error") page.errors.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => page.errors.push(`pageerror: ${e.message}`));
      // A request the browser cancels itself (net::ERR_ABORTED: a navigation or form submit ends
      // a fetch still in flight) is not the app failing; an answer with a bad status still shows
      // up as a console error, and a request that fails any other way is recorded.
      page.on("requestfailed", (r) => {
        const why = r.failure()?.errorText ?? "";
        if (why !== "net::ERR_ABORTED") page.errors.push(`requestfailed: ${r.url()} ${why}`);
      });
      return page;
    },
    async screenshot(page, name) {
      const path = `${SCREENSHOTS}/${name}.png`;
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    serverLog: () => log,
    async close() {
      await browser.close().catch(() => {});
      try {
        proc.kill("SIGTERM");
      } catch { /* already gone */ }
      await proc.status;
      await Promise.allSettled(pumps);
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Waits until every island on the page has hydrated. */
export async function waitHydrated(page: Page): Promise<void> {
  const hasIslands = await page.locator("lv-island").count();
  if (hasIslands) await page.waitForSelector("html[data-hydrated=true]", { timeout: 20_000 });
}

/** A JSON call to the running app (POST when `body` is given); throws with the answer on a 4xx/5xx. */
export async function api(base: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Writes a two-class ImageFolder set (circles vs squares) at
 * `<data dir>/volumes/main/lakevision/data/datasets/shapes/{train,val}` with the jobs' own helper.
 */
export async function makeShapesDataset(dataDir: string, python: string): Promise<void> {
  const root = `${dataDir}/volumes/main/lakevision/data/datasets/shapes`;
  const code = `import sys; sys.path.insert(0, ${JSON.stringify(`${ROOT}/jobs`)})
from tests.helpers import make_imagefolder
make_imagefolder(${JSON.stringify(`${root}/train`)}, n=8, size=(48, 48))
make_imagefolder(${JSON.stringify(`${root}/val`)}, n=4, size=(48, 48), seed=1)`;
  const out = await new Deno.Command(python, { args: ["-c", code], stderr: "piped" }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}
