import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { setKv } from "@/lib/store/kv.ts";
import { main } from "@/lib/training/cli.ts";
import { findPython } from "@/lib/workspace/local/python.ts";
import { tinyConfig, VOLUME } from "./training_testing.ts";
import { stringify } from "yaml";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Runs the CLI with a fresh data dir and in-memory store; returns exit code and output. */
async function cli(
  args: string[],
  dataDir: string,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  Deno.env.set("LAKEVISION_DATA_DIR", dataDir);
  Deno.env.set("LAKEVISION_LOG", "silent");
  try {
    const code = await main(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test({
  name: "[training/cli] --help prints usage; wrong arguments exit 2 with a message",
  ...opts,
  async fn() {
    const dir = await Deno.makeTempDir();
    setKv(await Deno.openKv(":memory:"));
    const help = await cli(["train", "--help"], dir);
    assertEquals(help.code, 0);
    assertStringIncludes(help.out, "--compute local|databricks");
    const none = await cli(["runs", "frobnicate"], dir);
    assertEquals(none.code, 2);
    assertStringIncludes(none.err, 'Unknown runs command "frobnicate"');
    const two = await cli(["train", "a.yaml", "b.yaml"], dir);
    assertEquals(two.code, 2);
    const bad = await cli(["train", "x", "--max-steps", "0"], dir);
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.err, "--max-steps must be a whole number");
    const long = await cli(["train", "x", "--name", "n".repeat(3000)], dir);
    assertEquals(long.code, 1);
    assertStringIncludes(long.err, "--name must be at most 120 characters (got 3000)");
    const unknown = await cli(["runs", "show", "nope"], dir);
    assertEquals(unknown.code, 1);
    assertStringIncludes(unknown.err, 'No training run "nope"');
    const list = await cli(["runs", "list", "--json"], dir);
    assertEquals(list.code, 0);
    assertEquals(JSON.parse(list.out), []);
  },
});

const torch = !!(await findPython(Deno.env.get("LAKEVISION_PYTHON"))).chosen?.torch;

Deno.test({
  name:
    "[training/cli] train <file.yaml> --wait --json exits 1 with the job's own error; runs list/show see it",
  ignore: !torch,
  ...opts,
  async fn() {
    const dir = await Deno.makeTempDir();
    setKv(await Deno.openKv(":memory:"));
    const file = `${dir}/missing-data.yaml`;
    await Deno.writeTextFile(file, stringify(tinyConfig(VOLUME))); // the dataset was never written
    const r = await cli(
      [
        "train",
        file,
        "--wait",
        "--json",
        "--max-steps",
        "2",
        "--device",
        "cpu",
        "--name",
        "cli-run",
      ],
      dir,
    );
    assertEquals(r.code, 1, r.err + r.out);
    const last = JSON.parse(r.out.trim().split("\n").pop()!);
    assertEquals(last.status, "failed");
    assert(last.run_dir.startsWith(`${VOLUME}/runs/`));
    assertStringIncludes(last.message, "shapes/train");
    const list = await cli(["runs", "list"], dir);
    assertStringIncludes(list.out, last.run_id);
    assertStringIncludes(list.out, "missing-data@v1");
    const show = await cli(["runs", "show", last.run_id], dir);
    assertStringIncludes(show.out, `${last.run_id} (cli-run)`);
    assertStringIncludes(show.out, "status        failed");
    const again = await cli(["runs", "cancel", last.run_id], dir);
    assertStringIncludes(again.out, "is already failed");
    await Deno.remove(dir, { recursive: true });
  },
});
