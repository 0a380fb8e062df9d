/**
 * End to end with the real training job: a detection config saved in the app, launched through
 * lib/training on the local workspace (jobs/train.py with PyTorch, a few steps on the generated
 * dataset), then evaluated from the predictions/val.json the job wrote. Several minutes on a
 * 2-core machine, so it runs only with LAKEVISION_SLOW_TESTS=1 (and a Python with torch).
 */
import { assert, assertEquals } from "./assert.ts";
import { setKv } from "@/lib/store/kv.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import { launchRun } from "@/lib/training/launch.ts";
import { getRun } from "@/lib/training/records.ts";
import { refreshRun, stopMonitor } from "@/lib/training/refresh.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import { findPython } from "@/lib/workspace/local/python.ts";
import type { LocalFiles } from "@/lib/workspace/local/files.ts";
import { EVAL_VOLUME, writeDetectionDataset } from "./evaluation_testing.ts";

const SLOW = Deno.env.get("LAKEVISION_SLOW_TESTS") === "1";
const python = SLOW ? (await findPython(Deno.env.get("LAKEVISION_PYTHON"))).chosen : null;

Deno.test({
  name:
    "[evaluation] a detection run of the real jobs/train.py, launched through lib/training, is evaluated from its predictions",
  ignore: !SLOW || !python?.torch,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "lakevision-eval-real-" });
    const kv = await Deno.openKv(":memory:");
    setKv(kv);
    try {
      const ws = createLocalWorkspace({ dataDir, volume: EVAL_VOLUME });
      const ds = await writeDetectionDataset(dataDir, 8);
      const configs = new ConfigStore(kv, { files: ws.files as LocalFiles, volume: EVAL_VOLUME });
      await configs.save("boxes", {
        model: {
          model_name: "torchvision/fasterrcnn_mobilenet_v3_large_320_fpn",
          task_type: "detection",
          num_classes: 3,
          pretrained: false,
          image_size: 160,
          learning_rate: 0.001,
        },
        data: {
          train_data_path: ds.imageDir,
          val_data_path: ds.imageDir,
          train_annotation_file: ds.gtPath,
          val_annotation_file: ds.gtPath,
          batch_size: 4,
          num_workers: 0,
        },
        training: { max_epochs: 1, log_every_n_steps: 1 },
        mlflow: { enabled: false },
      }, { author: "tester" });
      const ctx = { workspace: ws, volume: EVAL_VOLUME, user: "tester", configs };
      const { run } = await launchRun(ctx, {
        config: { name: "boxes", version: 1 },
        compute: { kind: "local", device: "cpu" },
        maxSteps: 2,
      });
      const end = Date.now() + 15 * 60_000;
      let cur = run;
      while (Date.now() < end) {
        cur = await refreshRun(ws, await getRun(run.id));
        if (cur.status === "succeeded" || cur.status === "failed") break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      assertEquals(cur.status, "succeeded", cur.message);
      const ev = (await evaluateRun(ws, run.id)).evaluation;
      assertEquals(ev.kind, "detection");
      assertEquals(ev.inputs?.groundTruth, ds.gtPath);
      assert(ev.detection!.report.detections > 0, "the job wrote detections");
      assert(ev.history.some((h) => h.name === "loss"), "loss history read from metrics.jsonl");
      // the job's own COCO evaluation (pycocotools-equivalent) logged the same mAP
      const logged = ev.logged.eval_map;
      const ours = ev.headline.find((h) => h.key === "map")!.value!;
      assert(Math.abs(logged - ours) < 1e-4, `job ${logged} vs app ${ours}`);
    } finally {
      stopMonitor();
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
