/**
 * A run's outputs: the files in its run folder, two levels deep (predictions/ and the like),
 * listed for the run page's download links.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";

/** One output, by its path relative to the run folder. */
export interface RunOutput {
  path: string;
  size: number | null;
}

const MAX_FILES = 300;

/** The run folder's files, two levels deep, hidden ones left out; empty before it exists. */
export async function listOutputs(files: FilesApi, runDir: string): Promise<RunOutput[]> {
  const out: RunOutput[] = [];
  const walk = async (dir: string, prefix: string, depth: number) => {
    const entries = [];
    try {
      for await (const e of files.list(dir)) entries.push(e);
    } catch {
      return; // not written yet
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith(".") || out.length >= MAX_FILES) continue;
      if (!e.isDirectory) out.push({ path: prefix + e.name, size: e.size ?? null });
      else if (depth < 2) await walk(e.path, `${prefix}${e.name}/`, depth + 1);
    }
  };
  await walk(runDir, "", 1);
  return out;
}
