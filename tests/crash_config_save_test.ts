/**
 * `kill -9` during a save loop, then a restart: every version has its file with the stored YAML
 * and version numbers are consecutive.
 */
import { assert, assertEquals } from "./assert.ts";
import { ROOT } from "./helpers.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";

const VOLUME = "/Volumes/main/cv/data";
const CHILD = `${ROOT}/tests/crash/config_save_loop.ts`;

/** Starts the loop, waits for `saves` acknowledged saves plus a random moment, kills it. */
async function saveThenKill(dataDir: string, saves: number): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", `--config=${ROOT}/deno.json`, CHILD, dataDir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = 0;
  let text = "";
  const deadline = Date.now() + 30_000;
  while (seen < saves && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    seen = text.split("\n").filter((l) => l.startsWith("saved ")).length;
  }
  await new Promise((r) => setTimeout(r, Math.random() * 30));
  child.kill("SIGKILL");
  await reader.cancel().catch(() => {});
  await child.status;
  return seen;
}

Deno.test("[crash] kill -9 during a save loop, then a restart: every version has its file, numbers are consecutive", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-crash-" });
  try {
    let acknowledged = 0;
    for (let round = 0; round < 4; round++) acknowledged += await saveThenKill(dataDir, 15);
    assert(acknowledged >= 40, `only ${acknowledged} saves were acknowledged`);

    // The restart.
    const kv = await Deno.openKv(`${dataDir}/kv.sqlite3`);
    try {
      const ws = createLocalWorkspace({ dataDir, volume: VOLUME });
      const store = new ConfigStore(kv, { files: ws.files, volume: VOLUME });
      await store.repair();
      const history = await store.history("crash-loop");
      const numbers = history.map((v) => v.version).reverse();
      assertEquals(numbers, Array.from({ length: numbers.length }, (_, i) => i + 1));
      assert(numbers.length >= acknowledged, `${numbers.length} versions < ${acknowledged} acked`);
      assertEquals((await store.get("crash-loop")).latestVersion, numbers.length);
      for (const v of history) {
        const path = `${VOLUME}/configs/crash-loop/v${v.version}.yaml`;
        assertEquals(v.file, { path, ok: true }, `v${v.version}`);
        assertEquals(await ws.files.readText(path), v.yaml, `v${v.version} file matches KV`);
      }
    } finally {
      kv.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
