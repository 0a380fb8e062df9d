/**
 * Classification, semantic and panoptic segmentation runs are evaluated from the files jobs/ writes
 * (predictions/val.json with top-k rows; class-index PNGs beside it), and their numbers equal
 * lib/metrics' own on the same inputs.
 */
import { assert, assertAlmostEquals, assertEquals, assertStringIncludes } from "./assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { setKv } from "@/lib/store/kv.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import { reportMarkdown } from "@/lib/evaluation/report.ts";
import { reportHtml } from "@/lib/evaluation/report_html.ts";
import { classRows } from "@/lib/evaluation/types.ts";
import { classificationMetrics, evaluatePanopticFiles, meanIou } from "@/lib/metrics/mod.ts";
import { EVAL_VOLUME, put, taskRunRecord as record } from "./evaluation_testing.ts";

const disk = (dataDir: string, vp: string) => `${dataDir}/volumes/${vp.slice(9)}`;

const opts = { sanitizeOps: false, sanitizeResources: false };
Deno.test({
  name:
    "[evaluation] classification, semantic and panoptic runs evaluate from the jobs' prediction files",
  ...opts,
  async fn(t) {
    const dataDir = await Deno.makeTempDir({ prefix: "lakevision-eval-tasks-" });
    const kv = await Deno.openKv(":memory:");
    setKv(kv);
    const ws = createLocalWorkspace({ dataDir, volume: EVAL_VOLUME });
    try {
      await t.step("classification: accuracy, per-class F1 and confusion", async () => {
        const rec = await record("20261126-040000-clsa", "classification", {
          val_data_path: `${EVAL_VOLUME}/datasets/shapes/val`,
        }, dataDir);
        const labels = ["circle", "square", "star"];
        const rows = Array.from({ length: 12 }, (_, i) => {
          const label = i % 3, pred = i % 4 === 0 ? (label + 1) % 3 : label;
          const others = [0, 1, 2].filter((c) => c !== pred);
          return {
            image_id: i,
            file_name: `${labels[label]}/${i}.png`,
            label,
            top_k: [
              { label: pred, label_name: labels[pred], score: 0.7 },
              { label: others[0], label_name: labels[others[0]], score: 0.2 },
              { label: others[1], label_name: labels[others[1]], score: 0.1 },
            ],
          };
        });
        await put(disk(dataDir, `${rec.runDir}/predictions/val.json`), JSON.stringify(rows));
        await put(
          disk(dataDir, `${rec.runDir}/model.json`),
          JSON.stringify({ task: "classification", labels }),
        );
        const ev = (await evaluateRun(ws, rec.id)).evaluation;
        assertEquals(ev.kind, "classification");
        const direct = classificationMetrics(
          rows.map((r) => ({ label: r.label, topK: r.top_k })),
          3,
          [1, 5],
        );
        assertEquals(ev.headline[0].value, direct.accuracy);
        assertEquals(ev.classification!.confusion, direct.confusion);
        assertEquals(classRows(ev).map((r) => r.name), labels);
        assertEquals(classRows(ev)[1].values.f1, direct.perClass[1].f1);
        assertStringIncludes(reportMarkdown([ev]), "| square |");
        assertStringIncludes(reportHtml([ev]), "data:image/svg+xml;base64,");
      });

      await t.step("semantic segmentation: mIoU from class-index PNGs", async () => {
        const root = `${EVAL_VOLUME}/datasets/masks/val`;
        const rec = await record("20261126-050000-sema", "semantic_segmentation", {
          val_data_path: root,
        }, dataDir);
        const W = 8, H = 6;
        const gts: Uint8Array[] = [], preds: Uint8Array[] = [];
        const rows = [];
        for (let i = 0; i < 3; i++) {
          const g = new Uint8Array(W * H), p = new Uint8Array(W * H);
          for (let k = 0; k < W * H; k++) {
            g[k] = (k + i) % 3;
            p[k] = k % 5 === 0 ? (g[k] + 1) % 3 : g[k];
          }
          g[0] = 255; // ignored
          gts.push(g);
          preds.push(p);
          await put(
            disk(dataDir, `${root}/masks/s_${i}.png`),
            encodePng({ width: W, height: H, channels: 1, data: g }),
          );
          await put(
            disk(dataDir, `${rec.runDir}/predictions/val/s_${i}.png`),
            encodePng({ width: W, height: H, channels: 1, data: p }),
          );
          rows.push({
            image_id: i,
            file_name: `s_${i}.jpg`,
            mask_png: `val/s_${i}.png`,
            width: W,
            height: H,
          });
        }
        await put(disk(dataDir, `${rec.runDir}/predictions/val.json`), JSON.stringify(rows));
        await put(
          disk(dataDir, `${rec.runDir}/model.json`),
          JSON.stringify({ task: "semantic_segmentation", labels: ["bg", "road", "car"] }),
        );
        const ev = (await evaluateRun(ws, rec.id)).evaluation;
        assertEquals(ev.kind, "semantic", ev.note);
        const direct = meanIou(preds, gts, { numClasses: 3, ignoreIndex: 255 });
        assertAlmostEquals(ev.headline[0].value!, direct.meanIou, 1e-12);
        assertEquals(classRows(ev).map((r) => r.name), ["bg", "road", "car"]);
      });
      await t.step("panoptic: PQ from RGB-encoded segment PNGs", async () => {
        const root = `${EVAL_VOLUME}/datasets/pan`;
        const gtJson = `${root}/panoptic_val.json`;
        const rec = await record("20261126-060000-pano", "panoptic_segmentation", {
          val_data_path: `${root}/val`,
          val_annotation_file: gtJson,
        }, dataDir);
        const W = 8, H = 8;
        const rgb = (ids: number[]) => {
          const out = new Uint8Array(W * H * 3);
          ids.forEach((id, k) => out.set([id % 256, (id >> 8) % 256, id >> 16], k * 3));
          return out;
        };
        const anns = [], rows = [];
        for (let i = 1; i <= 2; i++) {
          const g: number[] = [], p: number[] = [];
          for (let k = 0; k < W * H; k++) {
            const y = Math.floor(k / W), x = k % W;
            g.push(y < 3 ? 7 : x < 4 ? 256 : 0);
            p.push(y < 3 + (i - 1) ? 7 : x < 4 ? 300 : 0);
          }
          await put(
            disk(dataDir, `${root}/panoptic_val/p${i}.png`),
            encodePng({ width: W, height: H, channels: 3, data: rgb(g) }),
          );
          await put(
            disk(dataDir, `${rec.runDir}/predictions/val/p${i}.png`),
            encodePng({ width: W, height: H, channels: 3, data: rgb(p) }),
          );
          anns.push({
            image_id: i,
            file_name: `p${i}.png`,
            segments_info: [{ id: 7, category_id: 2, iscrowd: 0 }, {
              id: 256,
              category_id: 1,
              iscrowd: 0,
            }],
          });
          rows.push({
            image_id: i,
            file_name: `p${i}.jpg`,
            png: `val/p${i}.png`,
            segments_info: [{ id: 7, category_id: 2, score: 0.9 }, {
              id: 300,
              category_id: 1,
              score: 0.8,
            }],
          });
        }
        await put(
          disk(dataDir, gtJson),
          JSON.stringify({
            images: anns.map((a) => ({
              id: a.image_id,
              file_name: `p${a.image_id}.jpg`,
              width: W,
              height: H,
            })),
            annotations: anns,
            categories: [{ id: 1, name: "box", isthing: 1 }, { id: 2, name: "sky", isthing: 0 }],
          }),
        );
        await put(disk(dataDir, `${rec.runDir}/predictions/val.json`), JSON.stringify(rows));
        const ev = (await evaluateRun(ws, rec.id)).evaluation;
        assertEquals(ev.kind, "panoptic", ev.note);
        const direct = await evaluatePanopticFiles(
          disk(dataDir, gtJson),
          disk(dataDir, `${root}/panoptic_val`),
          disk(dataDir, `${rec.runDir}/predictions/val.json`),
        );
        assertEquals(ev.headline[0].value, direct.all.pq);
        assert(direct.all.pq > 0.5 && direct.all.pq < 1, `PQ ${direct.all.pq}`);
        assertEquals(classRows(ev).map((r) => r.name).sort(), ["box", "sky"]);
      });
    } finally {
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
