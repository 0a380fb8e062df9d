/**
 * `deno task cli batch` as the automated checks call it: a folder on this machine in, a JSONL
 * file on this machine out, `--wait --json`; then `batch show` / `batch list`. Runs the real CLI
 * in a subprocess on a temp data dir (its own KV file), after `models import` of the tiny model.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { ROOT } from "@/tests/helpers.ts";

const FIX = `${ROOT}/tests/fixtures/onnx/tiny_classifier`;

async function cli(dataDir: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", `${ROOT}/lib/cli.ts`, ...args],
    cwd: ROOT,
    env: { LAKEVISION_DATA_DIR: dataDir, LAKEVISION_DEMO: "0", LAKEVISION_LOG: "silent" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("[batch cli] batch --model --version --input <dir> --output <file.jsonl> --wait --json", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "lakevision-batch-cli-" });
  try {
    const data = `${tmp}/data`;
    const imported = await cli(
      data,
      "models",
      "import",
      "--onnx",
      `${FIX}/model.onnx`,
      "--model-json",
      `${FIX}/model.json`,
      "--name",
      "main.cv.tiny",
    );
    assertEquals(imported.code, 0, imported.stderr);
    const imgs = `${tmp}/images`;
    await Deno.mkdir(`${imgs}/sub`, { recursive: true });
    for (let i = 0; i < 4; i++) {
      const w = 10 + i, h = 8;
      const px = new Uint8Array(w * h * 3).map((_, j) => (j * (i + 3)) % 256);
      await Deno.writeFile(
        `${imgs}/${i % 2 ? "sub/" : ""}im${i}.png`,
        encodePng({ width: w, height: h, channels: 3, data: px }),
      );
    }
    await Deno.writeFile(`${imgs}/bad.png`, new Uint8Array([137, 80, 78, 71, 1, 2]));
    const out = `${tmp}/out/results.jsonl`;
    const r = await cli(
      data,
      "batch",
      "--model",
      "main.cv.tiny",
      "--version",
      "1",
      "--input",
      imgs,
      "--output",
      out,
      "--wait",
      "--json",
    );
    assertEquals(r.code, 0, r.stderr + r.stdout);
    const summary = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assertEquals(summary.status, "succeeded");
    assertEquals([summary.done, summary.total, summary.errors], [5, 5, 1]);
    assertEquals(summary.output, out);
    const rows = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(rows.length, 5);
    assertEquals(
      rows.map((x) => x.path).sort(),
      [
        `${imgs}/bad.png`,
        `${imgs}/im0.png`,
        `${imgs}/im2.png`,
        `${imgs}/sub/im1.png`,
        `${imgs}/sub/im3.png`,
      ],
    );
    for (const x of rows) {
      if (x.path.endsWith("bad.png")) assertStringIncludes(x.error, "cannot read image");
      else assertEquals(x.prediction.top_k.length, 4);
    }
    const shown = await cli(data, "batch", "show", summary.batch_id, "--json");
    assertEquals(shown.code, 0, shown.stderr);
    assertEquals(JSON.parse(shown.stdout).batch.status, "succeeded");
    const listed = await cli(data, "batch", "list");
    assertStringIncludes(listed.stdout, summary.batch_id);
    const bad = await cli(data, "batch", "--model", "main.cv.tiny", "--version", "1");
    assertEquals(bad.code, 2);
    assertStringIncludes(bad.stderr, "missing --input, --output");
    const missing = await cli(
      data,
      "batch",
      "--model",
      "main.cv.tiny",
      "--version",
      "9",
      "--input",
      imgs,
      "--output",
      out,
      "--wait",
    );
    assertEquals(missing.code, 1);
    assert(missing.stderr.includes("9"), missing.stderr);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
});
