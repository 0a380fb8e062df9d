/**
 * Finds the Python that runs `jobs/`: LAKEVISION_PYTHON, then `python3`, then `/usr/bin/python3`,
 * the first that imports torch (Debian's python3-torch lives only in /usr/bin/python3, while a
 * pyenv or venv `python3` often comes first on PATH without it).
 */

/** A Python interpreter and what it can import. */
export interface PythonInfo {
  path: string;
  version: string;
  torch?: string;
  torchvision?: string;
  transformers?: string;
  cuda?: boolean;
}

const PROBE = `
import json, sys
out = {"version": sys.version.split()[0]}
for mod in ("torch", "torchvision", "transformers"):
    try:
        m = __import__(mod)
        out[mod] = getattr(m, "__version__", "?")
    except Exception:
        pass
try:
    import torch
    out["cuda"] = bool(torch.cuda.is_available())
except Exception:
    pass
print(json.dumps(out))
`;

async function probe(path: string): Promise<PythonInfo | null> {
  try {
    const out = await new Deno.Command(path, {
      args: ["-c", PROBE],
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(60_000),
    }).output();
    if (!out.success) return null;
    const j = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    return { path, ...j };
  } catch {
    return null;
  }
}

const cache = new Map<string, Promise<{ chosen: PythonInfo | null; tried: PythonInfo[] }>>();

/**
 * The interpreter to run jobs with: the first candidate that imports torch, else the first that
 * runs at all (so the UI can say "Python found, PyTorch missing"). Cached per candidate list.
 */
export function findPython(
  preferred?: string,
): Promise<{ chosen: PythonInfo | null; tried: PythonInfo[] }> {
  const candidates = [
    ...new Set([preferred, "python3", "/usr/bin/python3"].filter(Boolean)),
  ] as string[];
  const key = candidates.join("|");
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const tried: PythonInfo[] = [];
      for (const c of candidates) {
        const info = await probe(c);
        if (info) {
          tried.push(info);
          if (info.torch) return { chosen: info, tried };
        }
      }
      return { chosen: tried[0] ?? null, tried };
    })();
    cache.set(key, p);
  }
  return p;
}
