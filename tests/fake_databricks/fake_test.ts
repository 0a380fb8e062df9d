import { assert, assertEquals } from "../assert.ts";
import {
  DatabricksWorkspace,
  databricksWorkspaceFromEnv,
} from "@/lib/workspace/databricks/databricks_workspace.ts";

Deno.test("[fake_databricks] runs standalone (main.ts --port 0), seeded, and obeys its HTTP controls", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./main.ts", import.meta.url).pathname, "--port", "0"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let out = "";
    while (!/volume .*\n/.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const url = /fake Databricks on (http:\/\/\S+)/.exec(out)?.[1];
    assert(url, `no URL in ${JSON.stringify(out)}`);
    const ws = databricksWorkspaceFromEnv({ DATABRICKS_HOST: url, DATABRICKS_TOKEN: "x" });
    assertEquals(
      await ws.files.readText("/Volumes/main/lakevision/data/README.txt"),
      "Fake workspace volume.\n",
    );
    const control = (p: string, body: unknown) =>
      fetch(`${url}/__fake/${p}`, { method: "POST", body: JSON.stringify(body) }).then((r) =>
        r.json()
      );
    assertEquals(
      await control("fail", { path: "/api/2.0/serving-endpoints", status: 403, times: -1 }),
      { ok: true },
    );
    const health = await ws.health();
    assertEquals(health.filter((h) => !h.ok).map((h) => h.area), ["serving"]);
    await control("clear", {});
    await control("unavailable", { ms: 300 });
    const patient = new DatabricksWorkspace({
      host: url,
      token: "x",
      retry: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 1000, budgetMs: 120_000 },
    });
    assertEquals((await patient.serving.list()).length, 0);
  } finally {
    await reader.cancel();
    child.kill();
    await child.status;
  }
});
