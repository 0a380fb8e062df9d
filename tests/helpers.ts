/**
 * Test helpers: an app built in memory on a temporary data dir and an in-memory KV store, and a
 * same-origin request helper.
 */
import { loadSettings, type Settings } from "@/fresh.config.ts";
import { setKv } from "@/lib/store/kv.ts";
import { createApp } from "@/lib/web/app.ts";
import { createWorkspace } from "@/lib/workspace/mod.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

/** The project root. */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** An app on a fresh temp data dir. */
export interface TestApp {
  request(path: string, init?: RequestInit): Promise<Response>;
  settings: Settings;
  workspace: Workspace;
  dataDir: string;
  kv: Deno.Kv;
  close(): Promise<void>;
}

/** Builds the app with a temp data dir and in-memory KV; `env` overrides settings. */
export async function testApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-test-" });
  const settings = loadSettings({
    LAKEVISION_DATA_DIR: dataDir,
    LAKEVISION_LOG: "silent",
    LAKEVISION_DEMO: "0",
    ...env,
  });
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  const workspace = await createWorkspace(settings);
  const app = await createApp({ settings, workspace, root: ROOT });
  return {
    request: async (path, init) => await app.request(`http://localhost${path}`, init),
    settings,
    workspace,
    dataDir,
    kv,
    close: async () => {
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** A form POST as a browser on the same origin would send it. */
export function formPost(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: "http://localhost",
      "sec-fetch-site": "same-origin",
    },
    body: new URLSearchParams(fields).toString(),
  };
}

/** A JSON POST from the same origin. */
export function jsonPost(body: unknown, method = "POST"): RequestInit {
  return {
    method,
    headers: {
      "content-type": "application/json",
      origin: "http://localhost",
      "sec-fetch-site": "same-origin",
    },
    body: JSON.stringify(body),
  };
}
