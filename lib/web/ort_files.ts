/**
 * onnxruntime-web's runtime files (the WASM builds the Playground loads) served from
 * `static/ort/`, copied from the installed npm package: by `deno task build`, and at start-up
 * when they are missing, so `deno task start` on a fresh clone gives a working Playground.
 * Copies land under a temporary name and are renamed into place, so apps starting together
 * (tests) never serve half a file.
 */

/** The files the Playground loads: onnxruntime-web/wasm and onnxruntime-web/webgpu. */
const RUNTIME_FILE = /^ort-wasm-simd-threaded(\.asyncify)?\.(wasm|mjs)$/;

async function isDir(p: string): Promise<boolean> {
  return await Deno.stat(p).then((s) => s.isDirectory, () => false);
}

async function packageDist(root: string): Promise<string | undefined> {
  const candidates = [
    `${root}/node_modules/onnxruntime-web/dist`,
    `${root}/node_modules/.deno/onnxruntime-web@1.30.0/node_modules/onnxruntime-web/dist`,
  ];
  for (const c of candidates) if (await isDir(c)) return c;
  // Resolving the package through an import makes Deno install it into node_modules first.
  await import("onnxruntime-web").catch(() => {});
  for (const c of candidates) if (await isDir(c)) return c;
  return undefined;
}

/** Copies the runtime files into `static/ort/`; returns their names. */
export async function copyOrtWasm(root: string): Promise<string[]> {
  const dist = await packageDist(root);
  if (!dist) {
    throw new Error("onnxruntime-web is not installed in node_modules (run deno install).");
  }
  const out = `${root}/static/ort`;
  await Deno.mkdir(out, { recursive: true });
  const copied: string[] = [];
  for await (const e of Deno.readDir(dist)) {
    if (!RUNTIME_FILE.test(e.name)) continue;
    const tmp = `${out}/.${e.name}.${crypto.randomUUID()}`;
    await Deno.copyFile(`${dist}/${e.name}`, tmp);
    await Deno.rename(tmp, `${out}/${e.name}`);
    copied.push(e.name);
  }
  return copied.sort();
}

/** The runtime files present in `static/ort/`. */
export async function ortFiles(root: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(`${root}/static/ort`)) {
      if (e.isFile && RUNTIME_FILE.test(e.name)) names.push(e.name);
    }
  } catch { /* no folder yet */ }
  return names.sort();
}

/**
 * Makes sure the runtime files are there: copies them when any is missing and this process may
 * write (a read-only host, such as Deno Deploy, serves what `deno task build` left). Never
 * throws: a failure is returned as a message for the log, and the Playground says what is
 * missing when it cannot load the runtime.
 */
export async function ensureOrtFiles(root: string): Promise<string | null> {
  if ((await ortFiles(root)).length >= 4) return null;
  const writable = Deno.permissions.querySync?.({ name: "write", path: `${root}/static` })
    .state === "granted";
  if (!writable) {
    return "onnxruntime-web's files are not in static/ort and this host cannot copy them: " +
      "in-browser inference will not load. Run `deno task build` before deploying.";
  }
  try {
    await copyOrtWasm(root);
    return null;
  } catch (e) {
    return `Could not copy onnxruntime-web's files into static/ort (${
      e instanceof Error ? e.message : e
    }): in-browser inference will not load.`;
  }
}
