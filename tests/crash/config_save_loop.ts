/**
 * Child process of tests/crash_config_save_test.ts: saves versions of one config in a loop, four
 * at a time, through the real KV file and the local workspace's files, until it is killed.
 * Usage: deno run -A tests/crash/config_save_loop.ts <data dir>
 */
import { newConfig, setPath } from "@/lib/config/templates.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";

const VOLUME = "/Volumes/main/cv/data";
const dataDir = Deno.args[0];
const kv = await Deno.openKv(`${dataDir}/kv.sqlite3`);
const ws = createLocalWorkspace({ dataDir, volume: VOLUME });
const store = new ConfigStore(kv, { files: ws.files, volume: VOLUME });
const base = newConfig("detection", "facebook/detr-resnet-50", { volume: VOLUME, email: "a@b.c" });
let i = 0;
const out = new TextEncoder();
await Promise.all(Array.from({ length: 4 }, async () => {
  for (;;) {
    const doc = setPath(base, "data.batch_size", 1 + (i++ % 64));
    const r = await store.save("crash-loop", doc, { author: "loop", message: `save ${i}` });
    await Deno.stdout.write(out.encode(`saved ${r.version.version}\n`));
  }
}));
