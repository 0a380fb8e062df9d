/**
 * `demo reset`: removes what the demo wrote and nothing else. A file is deleted only when its
 * bytes still match the manifest's hash; a demo config only while every version of it is the
 * demo's own. Anything a person added or changed stays, and the report says so.
 */
import { logActivity } from "@/lib/store/activity.ts";
import { errorMessage, NotFoundError } from "@/lib/errors.ts";
import type { FilesApi } from "@/lib/workspace/types.ts";
import { DEMO_CONFIGS } from "./configs.ts";
import { MANIFEST_PATH, readManifest, sha256Hex } from "./manifest.ts";
import { DEMO_AUTHOR, removeEmptyDirs, RESET_KEY, STATE_KEY } from "./seed.ts";

/** What reset works on: the workspace files, the KV store, and who asked. */
export interface ResetDeps {
  files: FilesApi;
  kv: Deno.Kv;
  who: string;
  log?: (line: string) => void;
}

/** What reset removed and what it kept (with why). */
export interface ResetReport {
  removedFiles: number;
  keptFiles: { path: string; reason: string }[];
  removedConfigs: string[];
  keptConfigs: { name: string; reason: string }[];
  foundManifest: boolean;
}

/**
 * Removes a demo config from the store. Uses the key layout documented in
 * lib/store/configs.ts (the store has no delete yet); only called for configs whose every
 * version the demo wrote.
 */
async function deleteConfigRecords(kv: Deno.Kv, files: FilesApi, name: string): Promise<void> {
  // The YAML files the store wrote for each version go too.
  for await (
    const e of kv.list<{ path: string | null; ok: boolean }>({ prefix: ["configs", "file", name] })
  ) {
    if (e.value?.ok && e.value.path) await files.delete(e.value.path).catch(() => {});
  }
  const keys: Deno.KvKey[] = [["configs", "meta", name]];
  for (const part of ["version", "yaml", "file"]) {
    for await (const e of kv.list({ prefix: ["configs", part, name] })) keys.push(e.key);
  }
  for (let i = 0; i < keys.length; i += 10) {
    const op = kv.atomic();
    for (const k of keys.slice(i, i + 10)) op.delete(k);
    await op.commit();
  }
  const active = await kv.get<{ name: string }>(["configs", "active"]);
  if (active.value?.name === name) await kv.delete(["configs", "active"]);
}

interface StoredVersion {
  author: string;
  source: string;
}

/** Removes the demo's datasets, manifest and untouched configs. */
export async function resetDemo(deps: ResetDeps): Promise<ResetReport> {
  const log = deps.log ?? (() => {});
  const report: ResetReport = {
    removedFiles: 0,
    keptFiles: [],
    removedConfigs: [],
    keptConfigs: [],
    foundManifest: false,
  };
  const manifest = await readManifest(deps.files);
  if (manifest) {
    report.foundManifest = true;
    for (const ds of manifest.datasets) {
      const removed: string[] = [];
      for (const [rel, hash] of Object.entries(ds.files)) {
        const path = `${ds.path}/${rel}`;
        let bytes: Uint8Array;
        try {
          bytes = await deps.files.readBytes(path);
        } catch (e) {
          if (e instanceof NotFoundError) continue;
          report.keptFiles.push({ path, reason: errorMessage(e) });
          continue;
        }
        if ((await sha256Hex(bytes)) !== hash) {
          report.keptFiles.push({ path, reason: "changed since the demo wrote it" });
          continue;
        }
        await deps.files.delete(path);
        removed.push(path);
        report.removedFiles++;
      }
      // Folders go only when empty: files someone added keep theirs.
      await removeEmptyDirs(
        deps.files,
        ds.path,
        Object.keys(ds.files).map((r) => `${ds.path}/${r}`),
      );
      log(`removed  ${ds.path} (${removed.length} files)`);
    }
    await deps.files.delete(MANIFEST_PATH).catch(() => {});
  } else {
    log("no demo manifest found: no demo files to remove");
  }
  for (const spec of DEMO_CONFIGS) {
    const versions: StoredVersion[] = [];
    for await (
      const e of deps.kv.list<StoredVersion>({ prefix: ["configs", "version", spec.name] })
    ) {
      versions.push(e.value);
    }
    if (!versions.length) continue;
    const foreign = versions.find((v) => v.author !== DEMO_AUTHOR);
    if (foreign) {
      report.keptConfigs.push({
        name: spec.name,
        reason: `${foreign.author} saved a version of it`,
      });
      log(`kept     config ${spec.name} (${foreign.author} saved a version of it)`);
      continue;
    }
    await deleteConfigRecords(deps.kv, deps.files, spec.name);
    report.removedConfigs.push(spec.name);
    log(`removed  config ${spec.name}`);
  }
  await deps.kv.delete(STATE_KEY);
  await deps.kv.set(RESET_KEY, { at: Date.now(), by: deps.who });
  for (const k of report.keptFiles) log(`kept     ${k.path} (${k.reason})`);
  await logActivity({
    who: deps.who,
    what: "reset the demo workspace",
    subject: "demo:/Volumes/demo/cv/data",
    details: {
      removedFiles: report.removedFiles,
      keptFiles: report.keptFiles.length,
      removedConfigs: report.removedConfigs,
    },
  });
  return report;
}
