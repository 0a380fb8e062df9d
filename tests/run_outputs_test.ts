import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { createRun, newRunId } from "@/lib/training/records.ts";
import { stopMonitor } from "@/lib/training/refresh.ts";
import { testApp } from "./helpers.ts";
import { storedRun } from "./training_testing.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "[run outputs] every output is a download link, listed live, and only inside the run folder",
  ...opts,
  fn: async () => {
    const app = await testApp();
    try {
      const id = newRunId();
      const runDir = `${app.settings.volume}/runs/${id}`;
      await app.workspace.files.write(`${runDir}/output.log`, "hello\n");
      await app.workspace.files.write(`${runDir}/predictions/val.json`, "[]");
      await app.workspace.files.write(`${app.settings.volume}/secret.txt`, "no");
      await createRun(storedRun(app.settings.volume, {
        id,
        name: "outputs",
        config: { name: "c", version: 1, task: "classification", model: "m" },
        phase: "done",
        runDir,
        configPath: `${app.settings.volume}/configs/c/v1.yaml`,
      }));
      const page = await (await app.request(`/training/${id}`)).text();
      assertStringIncludes(page, `href="/api/runs/${id}/files?path=predictions%2Fval.json"`);
      assertStringIncludes(page, 'data-island="RunOutputs"');

      await app.workspace.files.write(`${runDir}/model.onnx`, "onnx");
      const list = await app.request(`/api/runs/${id}/files`);
      assertEquals(list.status, 200);
      assertEquals(list.headers.get("content-type")?.split(";")[0], "application/json");
      const body = await list.json();
      assertEquals(body.files.map((f: { path: string }) => f.path), [
        "model.onnx",
        "output.log",
        "predictions/val.json",
      ]);
      assertEquals(body.ended, true);

      const dl = await app.request(`/api/runs/${id}/files?path=predictions/val.json`);
      assertEquals(dl.status, 200);
      assertStringIncludes(dl.headers.get("content-disposition")!, 'filename="val.json"');
      assertEquals(await dl.text(), "[]");
      for (const bad of ["../../secret.txt", "/etc/passwd", "predictions"]) {
        const r = await app.request(`/api/runs/${id}/files?path=${encodeURIComponent(bad)}`);
        assert(r.status === 400 || r.status === 404, `${bad}: ${r.status}`);
        await r.body?.cancel();
      }
    } finally {
      stopMonitor();
      await app.close();
    }
  },
});

Deno.test({
  name: "[run outputs] a run whose MLflow tracking failed says so on its page",
  ...opts,
  fn: async () => {
    const app = await testApp();
    try {
      const { run } = await createRun(storedRun(app.settings.volume, {
        name: "tracked",
        phase: "done",
        mlflowError: "MLflow start_run failed: 403 PERMISSION_DENIED on /Users/x/lakevision",
      }));
      const id = run.id;
      const page = await (await app.request(`/training/${id}`)).text();
      assertStringIncludes(page, 'data-testid="mlflow-error"');
      assertStringIncludes(page, "403 PERMISSION_DENIED on /Users/x/lakevision");
    } finally {
      stopMonitor();
      await app.close();
    }
  },
});
