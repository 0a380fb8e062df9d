/**
 * Uploads the `jobs/` Python code to a workspace folder (Workspace API import), so that
 * runs/submit can point `spark_python_task.python_file` at it.
 */
import { z } from "zod";
import { DatabricksError } from "./api_error.ts";
import type { HttpClient } from "./http.ts";

/** Workspace import refuses bodies above 10 MB. */
export const IMPORT_LIMIT = 10 * 1024 * 1024;

const SKIP_DIR = /^(__pycache__|\.pytest_cache|\.venv|venv|\.git|node_modules)$/;
const TAKE_FILE = /\.(py|txt|yaml|yml|json|toml|cfg|sh)$/;

function encodeBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** Low-level workspace calls. */
export class WorkspaceImportClient {
  constructor(readonly http: HttpClient) {}

  /** `mkdir -p` in the workspace tree. */
  async mkdirs(path: string): Promise<void> {
    await this.http.json({
      method: "POST",
      path: "/api/2.0/workspace/mkdirs",
      body: { path },
      idempotent: true,
      what: `Creating workspace folder ${path}`,
    }, z.unknown());
  }

  /** Imports one file as a plain workspace file (not a notebook), overwriting. */
  async importFile(path: string, content: Uint8Array): Promise<void> {
    if (content.byteLength > IMPORT_LIMIT) {
      throw new DatabricksError(
        `Uploading ${path} failed: ${content.byteLength} bytes is above the workspace import limit (10 MB).`,
        "REQUEST_TOO_LARGE",
        413,
        undefined,
        "Keep data out of jobs/; put it in a volume instead.",
      );
    }
    await this.http.json({
      method: "POST",
      path: "/api/2.0/workspace/import",
      body: { path, format: "AUTO", overwrite: true, content: encodeBase64(content) },
      // overwrite=true makes a repeat harmless.
      idempotent: true,
      what: `Uploading ${path}`,
    }, z.unknown());
  }

  /**
   * Mirrors a local folder (code files only, caches skipped) under `remoteDir`.
   * Returns the workspace paths written.
   */
  async uploadDir(localDir: string, remoteDir: string): Promise<string[]> {
    const written: string[] = [];
    const walk = async (local: string, remote: string) => {
      await this.mkdirs(remote);
      const entries = [];
      for await (const e of Deno.readDir(local)) entries.push(e);
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        if (e.isDirectory && !SKIP_DIR.test(e.name)) {
          await walk(`${local}/${e.name}`, `${remote}/${e.name}`);
        } else if (e.isFile && TAKE_FILE.test(e.name)) {
          await this.importFile(`${remote}/${e.name}`, await Deno.readFile(`${local}/${e.name}`));
          written.push(`${remote}/${e.name}`);
        }
      }
    };
    await walk(localDir.replace(/\/+$/, ""), remoteDir.replace(/\/+$/, ""));
    return written;
  }
}
