/**
 * The first run a newcomer makes must show a model that works: the detection demo, seeded as
 * the app seeds it and launched through lib/training on the local workspace (the real
 * jobs/train.py on the CPU), ends with boxes the app's own evaluation scores at mAP50 ≥ 0.5.
 * The demo config's own schedule (12 epochs) takes about 90 s on 2 cores; this test runs the
 * same config for half the epochs (`maxEpochs: 6`; the cosine schedule follows the shorter run),
 * which still clears the target with room to spare, in about 50 s on an idle 2-core machine.
 * Skipped without a Python that has PyTorch.
 */
import { assert, assertEquals } from "./assert.ts";
import { setKv } from "@/lib/store/kv.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { DEMO_VOLUME } from "@/lib/demo/datasets.ts";
import { seedDemo } from "@/lib/demo/seed.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import { launchRun } from "@/lib/training/launch.ts";
import { getRun } from "@/lib/training/records.ts";
import { refreshRun, stopMonitor } from "@/lib/training/refresh.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import { findPython } from "@/lib/workspace/local/python.ts";
import type { LocalFiles } from "@/lib/workspace/local/files.ts";

const APP_VOLUME = "/Volumes/main/lakevision/data";
const python = (await findPython(Deno.env.get("LAKEVISION_PYTHON"))).chosen;

Deno.test({
  name: "[demo] the detection demo, trained locally from scratch, detects the shapes (mAP50 ≥ 0.5)",
  ignore: !python?.torch,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "lakevision-demo-learns-" });
    const kv = await Deno.openKv(":memory:");
    setKv(kv);
    try {
      const ws = createLocalWorkspace({ dataDir, volume: APP_VOLUME });
      await seedDemo({
        files: ws.files,
        kv,
        appVolume: APP_VOLUME,
        target: "local",
        who: "tester",
        only: ["shapes-detection"],
      });
      const configs = new ConfigStore(kv, { files: ws.files as LocalFiles, volume: APP_VOLUME });
      const t0 = performance.now();
      const { run } = await launchRun({
        workspace: ws,
        volume: APP_VOLUME,
        user: "tester",
        configs,
      }, {
        config: { name: "demo-detection", version: 1 },
        compute: { kind: "local", device: "cpu" },
        maxEpochs: 6,
      });
      const end = Date.now() + 10 * 60_000;
      let cur = run;
      while (Date.now() < end) {
        cur = await refreshRun(ws, await getRun(run.id));
        if (cur.status === "succeeded" || cur.status === "failed") break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      assertEquals(cur.status, "succeeded", cur.message);
      const seconds = (performance.now() - t0) / 1000;
      const ev = (await evaluateRun(ws, run.id)).evaluation;
      assertEquals(ev.kind, "detection");
      assert(ev.inputs?.groundTruth?.startsWith(`${DEMO_VOLUME}/shapes-detection/`));
      const map50 = ev.headline.find((h) => h.key === "map_50")?.value ?? 0;
      console.log(
        `demo-detection (6 epochs): mAP50 ${map50.toFixed(3)} in ${seconds.toFixed(0)} s`,
      );
      assert(map50 >= 0.5, `the detection demo should reach mAP50 ≥ 0.5, got ${map50}`);
    } finally {
      stopMonitor();
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
