/**
 * `deno task cli eda ...`: scan a dataset folder or annotation file and print its statistics and
 * every problem found. Exit code 0 whenever the dataset could be read, problems or not.
 */
import { parseArgs } from "node:util";
import { FsFiles } from "./fs_files.ts";
import { problemsToCsv, problemsToJson, sortProblems } from "./problems.ts";
import { startScan } from "./scan.ts";
import { FORMAT_CHOICES, type FormatChoice, type ScanResult } from "./types.ts";

const USAGE = `usage:
  eda scan <path> [--format auto|coco|coco-panoptic|panoptic|imagefolder|masks] [--images <dir>] [--json]
  eda problems <path> [--csv | --json] [--format ...] [--images <dir>]
  eda <path> ...            (same as "eda scan")

<path> is a COCO/panoptic JSON file or a dataset folder. For a single JSON file, image files are
only opened when --images names their folder; otherwise file checks are skipped (and said so).
Exit code: 0 when the dataset was read (even with problems), 1 when it could not be read, 2 on
bad usage.`;

/** Entry point called by lib/cli.ts. */
export async function main(args: string[]): Promise<number> {
  let sub = args[0];
  let rest = args.slice(1);
  if (sub !== "scan" && sub !== "problems") {
    if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
      console.log(USAGE);
      return sub === undefined ? 2 : 0;
    }
    sub = "scan";
    rest = args;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        format: { type: "string", default: "auto" },
        images: { type: "string" },
        json: { type: "boolean", default: false },
        csv: { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    console.error(`eda: ${e instanceof Error ? e.message : e}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`eda ${sub}: give exactly one dataset path\n${USAGE}`);
    return 2;
  }
  const format = (o.format === "panoptic" ? "coco-panoptic" : o.format) as FormatChoice;
  if (!FORMAT_CHOICES.includes(format)) {
    console.error(`eda: --format must be one of ${FORMAT_CHOICES.join(", ")} (got "${o.format}")`);
    return 2;
  }
  const path = positionals[0].replace(/\/+$/, "") || "/";
  let result: ScanResult;
  try {
    const interactive = Deno.stderr.isTerminal() && !o.quiet;
    const job = startScan({ path, format, images: o.images?.replace(/\/+$/, "") }, new FsFiles(), {
      onProgress: interactive
        ? (p) => {
          const eta = p.etaMs ? `, ~${Math.ceil(p.etaMs / 1000)} s left` : "";
          const msg =
            `\r${p.phase} ${
              p.split ?? ""
            }: ${p.imagesRead} images, ${p.annotationsRead} annotations` +
            (p.filesTotal ? `, files ${p.filesChecked}/${p.filesTotal}` : "") + eta;
          Deno.stderr.writeSync(new TextEncoder().encode(msg.padEnd(100).slice(0, 120)));
        }
        : undefined,
    });
    result = await job.done;
    if (interactive) Deno.stderr.writeSync(new TextEncoder().encode("\r" + " ".repeat(120) + "\r"));
  } catch (e) {
    console.error(`eda: cannot read ${path}: ${e instanceof Error ? e.message : e}`);
    return 1;
  }

  if (sub === "problems") {
    console.log(
      o.csv ? problemsToCsv(result.problems).trimEnd() : problemsToJson(result.problems).trimEnd(),
    );
    return 0;
  }
  if (o.json) {
    console.log(JSON.stringify(toJson(result), null, 2));
    return 0;
  }
  printSummary(result);
  return 0;
}

/** The `--json` shape: totals at the top (the documented contract), details per split after. */
export function toJson(r: ScanResult) {
  const classes = new Map<number, { id: number; name: string; count: number }>();
  for (const s of r.splits) {
    for (const c of s.stats.classes) {
      const e = classes.get(c.id) ?? { id: c.id, name: c.name, count: 0 };
      e.count += c.count;
      classes.set(c.id, e);
    }
  }
  return {
    format: r.format,
    images: r.splits.reduce((n, s) => n + s.stats.images, 0),
    annotations: r.splits.reduce((n, s) => n + s.stats.annotations, 0),
    classes: [...classes.values()],
    problems: sortProblems(r.problems),
    problem_counts: r.problemCounts,
    problems_truncated: r.truncated,
    file_checks: r.fileChecks,
    notes: r.notes,
    reason: r.reason,
    duration_ms: r.durationMs,
    splits: r.splits,
  };
}

function printSummary(r: ScanResult): void {
  const out: string[] = [];
  out.push(`format: ${r.format} (${r.reason}), scanned in ${(r.durationMs / 1000).toFixed(1)} s`);
  for (const n of r.notes) out.push(`note: ${n}`);
  for (const s of r.splits) {
    const st = s.stats;
    out.push("", `== ${s.name} ==  ${s.sources.join(", ")}`);
    out.push(
      `images ${st.images}   annotations ${st.annotations}${
        st.crowd ? ` (crowd ${st.crowd})` : ""
      }   classes ${st.classes.length}   images without annotations ${st.imagesWithoutAnnotations}`,
    );
    if (st.meanWidth) {
      out.push(
        `mean size ${st.meanWidth.toFixed(0)}×${st.meanHeight.toFixed(0)}   median aspect ratio ${
          st.aspectRatio.median.toFixed(2)
        }   distinct sizes ${st.imageSizes.length}`,
      );
    }
    if (st.boxSizes.small + st.boxSizes.medium + st.boxSizes.large) {
      out.push(
        `boxes small ${st.boxSizes.small}   medium ${st.boxSizes.medium}   large ${st.boxSizes.large}`,
      );
    }
    const im = st.imbalance;
    if (im.ratio) out.push(`imbalance ratio ${im.ratio.toFixed(1)} (${im.level})`);
    const top = [...st.classes].sort((a, b) => b.count - a.count);
    const show = top.length > 12 ? [...top.slice(0, 8), ...top.slice(-4)] : top;
    for (const c of show) {
      const share = c.pixelShare !== undefined ? `  ${(c.pixelShare * 100).toFixed(1)}% px` : "";
      const tag = im.over.includes(c.id)
        ? "  over-represented"
        : im.under.includes(c.id)
        ? "  under-represented"
        : "";
      out.push(
        `  ${String(c.id).padStart(4)} ${c.name.padEnd(24).slice(0, 24)} ${
          String(c.count).padStart(8)
        }${share}${tag}`,
      );
      if (top.length > 12 && c === top[7]) out.push(`  … ${top.length - 12} more`);
    }
  }
  const errors = r.problems.filter((p) => p.severity === "error").length;
  const total = Object.values(r.problemCounts).reduce((a, b) => a + b, 0);
  out.push(
    "",
    `problems: ${total} (${errors} errors in the list${
      r.truncated ? `, list truncated to ${r.problems.length}` : ""
    })`,
  );
  for (const [code, n] of Object.entries(r.problemCounts).sort((a, b) => b[1] - a[1])) {
    out.push(`  ${code.padEnd(28)} ${n}`);
  }
  out.push("");
  for (const p of sortProblems(r.problems)) {
    out.push(
      `${p.severity === "error" ? "ERROR  " : "warning"} [${p.code}] ${
        p.split ? `${p.split}: ` : ""
      }${p.message}`,
    );
  }
  console.log(out.join("\n"));
}
