/**
 * `deno task cli eval <kind> ...`: evaluates prediction files from the command line with the
 * same code the evaluation page uses. `coco` prints pycocotools' summary (or JSON), the others
 * print a short table; bad input exits 1 with a message naming the file, usage errors exit 2.
 */
import { parseArgs } from "node:util";
import { evaluateCoco } from "./coco_eval.ts";
import { formatCocoSummary } from "./coco_summary.ts";
import { MetricsInputError } from "./input_error.ts";
import {
  evaluatePanopticFiles,
  evaluateSemsegFiles,
  loadClassification,
  loadCoco,
} from "./eval_files.ts";
import { classificationMetrics } from "./classification.ts";
import { TIDE_ERRORS } from "./det_errors.ts";
import { detectionReport } from "./detection_report.ts";

const USAGE = `Usage: deno task cli eval <command> [options]

Commands:
  coco            --gt <gt.json> --dt <results.json> --iou bbox|segm [--json]
                  COCO mAP; prints the 12 stats like pycocotools' summarize().
                  --json prints {"stats": [...], "per_category_ap": {...}, "seconds": s}
  errors          --gt <gt.json> --dt <results.json> [--iou-threshold 0.5] [--confidence C] [--json]
                  TIDE error breakdown, F1-optimal threshold, confusion matrix with background
                  (at --confidence, default the recommended threshold); --json: the full report
  semseg          --pred <predictions/val.json | folder of PNGs> --gt <folder of label PNGs>
                  --num-classes N [--ignore-index 255] [--reduce-labels] [--json]
  panoptic        --gt-json <panoptic.json> --gt-dir <folder> --pred <predictions/val.json>
                  [--pred-dir <folder>] [--json]
  classification  --pred <predictions/val.json> [--gt <labels.json>] [--num-classes N] [--top-k 1,5] [--json]
`;

type Out = { log: (s: string) => void; err: (s: string) => void };
const STD: Out = { log: (s) => console.log(s), err: (s) => console.error(s) };

const fmt = (v: number) => (Number.isNaN(v) ? "  nan" : v.toFixed(4));

/** Runs one eval command; returns the exit code. `out` is replaceable for tests. */
export async function main(args: string[], out: Out = STD): Promise<number> {
  const a = args[0] === "eval" ? args.slice(1) : args;
  const cmd = a[0];
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    out.log(USAGE);
    return cmd ? 0 : 2;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: a.slice(1),
      options: {
        gt: { type: "string" },
        dt: { type: "string" },
        iou: { type: "string" },
        json: { type: "boolean" },
        pred: { type: "string" },
        "pred-dir": { type: "string" },
        "gt-json": { type: "string" },
        "gt-dir": { type: "string" },
        "num-classes": { type: "string" },
        "ignore-index": { type: "string" },
        "reduce-labels": { type: "boolean" },
        "top-k": { type: "string" },
        "iou-threshold": { type: "string" },
        confidence: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    out.err(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out.log(USAGE);
    return 0;
  }
  const need = (...names: string[]) => {
    const missing = names.filter((n) => typeof values[n] !== "string" || values[n] === "");
    if (missing.length) {
      throw new UsageError(`${cmd}: missing ${missing.map((m) => `--${m}`).join(", ")}`);
    }
  };
  const num = (name: string, fallback?: number) => {
    const v = values[name];
    if (v === undefined) {
      if (fallback === undefined) throw new UsageError(`${cmd}: missing --${name}`);
      return fallback;
    }
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
    return n;
  };
  try {
    switch (cmd) {
      case "coco":
        return await runCoco(values, need, out);
      case "errors":
        return await runErrors(values, need, num, out);
      case "semseg": {
        need("pred", "gt");
        const n = num("num-classes");
        if (!Number.isInteger(n) || n < 1) {
          throw new UsageError("--num-classes must be a positive integer");
        }
        const r = await evaluateSemsegFiles(values.pred as string, values.gt as string, {
          numClasses: n,
          ignoreIndex: num("ignore-index", 255),
          reduceLabels: values["reduce-labels"] === true,
        });
        if (values.json) out.log(JSON.stringify(r, (_k, v) => (Number.isNaN(v) ? null : v)));
        else {
          out.log(`images ${r.images}  pixels ${r.pixels}`);
          out.log(
            `mIoU ${fmt(r.meanIou)}  pixel accuracy ${fmt(r.pixelAccuracy)}  mean class accuracy ${
              fmt(r.meanAccuracy)
            }`,
          );
          r.perClassIou.forEach((v, c) =>
            out.log(
              `  class ${String(c).padStart(3)}  IoU ${fmt(v)}  acc ${fmt(r.perClassAccuracy[c])}`,
            )
          );
        }
        return 0;
      }
      case "panoptic": {
        need("gt-json", "gt-dir", "pred");
        const r = await evaluatePanopticFiles(
          values["gt-json"] as string,
          values["gt-dir"] as string,
          values.pred as string,
          values["pred-dir"] as string | undefined,
        );
        if (values.json) out.log(JSON.stringify(r, (_k, v) => (Number.isNaN(v) ? null : v)));
        else {
          out.log(`images ${r.images}`);
          out.log("          PQ      SQ      RQ      N");
          for (
            const [k, s] of [["All", r.all], ["Things", r.things], ["Stuff", r.stuff]] as const
          ) {
            out.log(`${k.padEnd(8)} ${fmt(s.pq)}  ${fmt(s.sq)}  ${fmt(s.rq)}  ${s.n}`);
          }
        }
        return 0;
      }
      case "classification": {
        need("pred");
        const { samples } = await loadClassification(
          values.pred as string,
          values.gt as string | undefined,
        );
        const maxLabel = Math.max(
          ...samples.flatMap((s) => [s.label, ...s.topK.map((p) => p.label)]),
        );
        const n = num("num-classes", maxLabel + 1);
        const ks = String(values["top-k"] ?? "1,5").split(",").map(Number);
        if (ks.some((k) => !Number.isInteger(k) || k < 1)) {
          throw new UsageError("--top-k takes integers like 1,5");
        }
        const r = classificationMetrics(samples, n, ks);
        if (values.json) out.log(JSON.stringify(r));
        else {
          out.log(
            `samples ${r.samples}  accuracy ${fmt(r.accuracy)}  ` +
              Object.entries(r.topK).map(([k, v]) => `top-${k} ${fmt(v)}`).join("  "),
          );
          for (
            const [name, p] of [["macro", r.macro], ["micro", r.micro], [
              "weighted",
              r.weighted,
            ]] as const
          ) {
            out.log(
              `${name.padEnd(9)} precision ${fmt(p.precision)}  recall ${fmt(p.recall)}  f1 ${
                fmt(p.f1)
              }`,
            );
          }
        }
        return 0;
      }
      default:
        out.err(`error: unknown eval command "${cmd}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      out.err(`error: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof MetricsInputError) {
      out.err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

class UsageError extends Error {}

async function runCoco(
  values: Record<string, string | boolean | undefined>,
  need: (...n: string[]) => void,
  out: Out,
): Promise<number> {
  need("gt", "dt", "iou");
  const iou = values.iou;
  if (iou !== "bbox" && iou !== "segm") {
    throw new UsageError(`--iou must be bbox or segm, got "${iou}"`);
  }
  const t0 = performance.now();
  const { gt, dts } = await loadCoco(values.gt as string, values.dt as string);
  const r = evaluateCoco(gt, dts, iou, undefined, {
    gt: values.gt as string,
    dt: values.dt as string,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (values.json) {
    out.log(JSON.stringify({ stats: r.stats, per_category_ap: r.perCategoryAp, seconds }));
  } else {
    out.log(
      `Evaluate annotation type *${iou}*: ${r.imgIds.length} images, ${dts.length} detections`,
    );
    if (r.index.droppedDts) {
      out.log(
        `note: ${r.index.droppedDts} detections have categories not in ${values.gt} and were left out`,
      );
    }
    out.log(formatCocoSummary(r.stats, r.params));
    out.log(`DONE (t=${seconds.toFixed(2)}s).`);
  }
  return 0;
}

async function runErrors(
  values: Record<string, string | boolean | undefined>,
  need: (...n: string[]) => void,
  num: (n: string, f?: number) => number,
  out: Out,
): Promise<number> {
  need("gt", "dt");
  const { gt, dts } = await loadCoco(values.gt as string, values.dt as string);
  const iouThreshold = num("iou-threshold", 0.5);
  const confidence = values.confidence === undefined ? undefined : num("confidence");
  const r = detectionReport(gt, dts, { iouThreshold, confidence });
  if (values.json) {
    out.log(JSON.stringify(r));
    return 0;
  }
  const tide = r.errors, confusion = r.confusion;
  out.log(`AP@${iouThreshold} ${fmt(tide.ap)}`);
  out.log("error    count     dAP");
  for (const e of TIDE_ERRORS) {
    out.log(`${e.padEnd(7)} ${String(tide.counts[e]).padStart(6)}  ${fmt(tide.dAP[e])}`);
  }
  const b = r.sweep.overall.best;
  out.log(
    `recommended confidence ${b.threshold.toFixed(2)} (F1 ${fmt(b.f1)}, precision ${
      fmt(b.precision)
    }, recall ${fmt(b.recall)})`,
  );
  const C = confusion.catIds.length;
  const dup = confusion.duplicates.reduce((s, v) => s + v, 0);
  const bg = confusion.matrix[C].reduce((s, v) => s + v, 0) - dup;
  const missed = confusion.matrix.reduce((s, row) => s + row[C], 0);
  out.log(
    `at confidence ${confusion.confidence.toFixed(2)}: ${bg} detections on background, ` +
      `${dup} duplicates on objects already found, ${missed} objects missed`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
