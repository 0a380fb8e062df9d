/** Workspace files (import, mkdirs, get-status) for the fake workspace: where jobs/ code lands. */
import { apiError, badRequest, json, readJson } from "./util.ts";

export class FakeWorkspaceFs {
  /** Workspace path → file content. */
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>(["/"]);

  async route(req: Request, url: URL, path: string): Promise<Response | undefined> {
    if (!path.startsWith("/api/2.0/workspace/")) return undefined;
    const op = path.slice("/api/2.0/workspace/".length);
    if (op === "mkdirs" && req.method === "POST") {
      const b = await readJson(req);
      const p = String(b?.path ?? "");
      if (!p.startsWith("/")) return badRequest("path must be absolute.");
      for (let d = p; d && d !== "/"; d = d.slice(0, d.lastIndexOf("/")) || "/") this.dirs.add(d);
      return json({});
    }
    if (op === "import" && req.method === "POST") {
      const b = await readJson(req);
      const p = String(b?.path ?? "");
      if (!p.startsWith("/")) return badRequest("path must be absolute.");
      if (typeof b?.content !== "string") return badRequest("content (base64) is required.");
      const parent = p.slice(0, p.lastIndexOf("/")) || "/";
      if (!this.dirs.has(parent)) {
        return apiError(
          404,
          "RESOURCE_DOES_NOT_EXIST",
          `The parent folder (${parent}) does not exist.`,
        );
      }
      if (this.files.has(p) && b.overwrite !== true) {
        return apiError(400, "RESOURCE_ALREADY_EXISTS", `${p} already exists.`);
      }
      this.files.set(p, Uint8Array.from(atob(b.content), (c) => c.charCodeAt(0)));
      return json({});
    }
    if (op === "get-status" && req.method === "GET") {
      const p = url.searchParams.get("path") ?? "";
      if (this.files.has(p)) {
        return json({ path: p, object_type: "FILE", size: this.files.get(p)!.length });
      }
      if (this.dirs.has(p)) return json({ path: p, object_type: "DIRECTORY" });
      return apiError(404, "RESOURCE_DOES_NOT_EXIST", `Path (${p}) doesn't exist.`);
    }
    return undefined;
  }
}
