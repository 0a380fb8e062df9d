/**
 * Serves files from `static/`. Bundles under `/_lv/<build id>/` are content-addressed and cached
 * forever; other files are revalidated. Paths are normalised and may not leave the folder.
 */

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  ico: "image/x-icon",
  json: "application/json",
  wasm: "application/wasm",
  txt: "text/plain; charset=utf-8",
  onnx: "application/octet-stream",
};

/** Serves `pathname` from `dir`, or a 404 response. */
export async function serveStatic(
  dir: string,
  pathname: string,
  immutable: boolean,
): Promise<Response> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return new Response("Bad path", { status: 400 });
  }
  const segs = decoded.split("/").filter((s) => s && s !== ".");
  if (segs.some((s) => s === ".." || s.startsWith(".") || s.includes("\\") || s.includes("\0"))) {
    return new Response("Not found", { status: 404 });
  }
  const file = `${dir}/${segs.join("/")}`;
  try {
    const st = await Deno.stat(file);
    if (!st.isFile) return new Response("Not found", { status: 404 });
    const f = await Deno.open(file, { read: true });
    const ext = file.split(".").pop()!.toLowerCase();
    return new Response(f.readable, {
      headers: {
        "Content-Type": TYPES[ext] ?? "application/octet-stream",
        "Content-Length": String(st.size),
        "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "public, max-age=300",
      },
    });
  } catch {
    return new Response("Not found", { status: 404 });
  }
}
