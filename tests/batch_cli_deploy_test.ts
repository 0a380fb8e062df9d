/**
 * Where the app may not run batches itself (Deno Deploy: no native modules for onnxruntime), the
 * CLI refuses `--runner app` the way the app's API does, before asking the workspace anything.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { ROOT } from "@/tests/helpers.ts";
import { FakeDatabricks } from "./fake_databricks/server.ts";
import { APP_RUNNER_UNAVAILABLE } from "@/lib/serving/batch/service.ts";

Deno.test("[batch cli] on Deno Deploy settings, --runner app is refused with the app's reason", async () => {
  const fake = await FakeDatabricks.start();
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-batch-deploy-" });
  try {
    fake.addToken("dapi-deploy", { userName: "dev@example.com" });
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-check",
        `${ROOT}/lib/cli.ts`,
        "batch",
        "--model",
        "main.cv.tiny",
        "--version",
        "1",
        "--input",
        "/Volumes/main/cv/data/images",
        "--output",
        "/Volumes/main/cv/data/out.jsonl",
        "--runner",
        "app",
      ],
      cwd: ROOT,
      env: {
        LAKEVISION_DATA_DIR: dataDir,
        LAKEVISION_DEMO: "0",
        LAKEVISION_LOG: "silent",
        LAKEVISION_DEPLOY: "1",
        LAKEVISION_WORKSPACE: "databricks",
        LAKEVISION_VOLUME: "/Volumes/main/cv/data",
        DATABRICKS_HOST: fake.url,
        DATABRICKS_TOKEN: "dapi-deploy",
        DATABRICKS_CONFIG_FILE: `${dataDir}/no.databrickscfg`,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1, stderr);
    assertStringIncludes(stderr, 'runner "app" is not available here');
    assertStringIncludes(stderr, APP_RUNNER_UNAVAILABLE);
    assert(
      !fake.requests.some((r) => r.path.startsWith("/api/")),
      "refused before any workspace call",
    );
  } finally {
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
