import { Page } from "@/components/Page.tsx";
import { CompareView } from "@/components/evaluation/CompareView.tsx";
import { RunPicker } from "@/components/evaluation/RunPicker.tsx";
import { RunView } from "@/components/evaluation/RunView.tsx";
import EvalExport from "@/islands/EvalExport.tsx";
import { compareRuns, type Comparison } from "@/lib/evaluation/compare.ts";
import { chooseGroundTruth, evaluateRun } from "@/lib/evaluation/evaluate.ts";
import { type ImageDetail, imageDetails } from "@/lib/evaluation/images.ts";
import { listEvalRuns } from "@/lib/evaluation/sources.ts";
import type { EvalRunSummary, RunEvaluation } from "@/lib/evaluation/types.ts";
import { BadRequestError, HttpError } from "@/lib/errors.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

interface Data {
  runs: EvalRunSummary[];
  trackingError?: string;
  selected: string[];
  error?: string;
  /** The posted ground-truth path and why it was refused, shown beside the field. */
  gt?: { value: string; error: string };
  single?: { ev: RunEvaluation; worst: ImageDetail[] };
  compare?: { evals: RunEvaluation[]; comparison: Comparison; images: ImageDetail[][] };
}

const ID = /^[\w.:-]{1,100}$/;

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const q = ctx.url.searchParams;
    // the picker form sends run=a&run=b; the canonical URL is ?runs=a,b
    const ws = ctx.state.workspace;
    const { runs, trackingError } = await listEvalRuns(ws);
    if (q.has("run")) {
      // oldest first: the baseline of a comparison is the earlier run
      const at = new Map(runs.map((r) => [r.id, r.createdAt ?? 0]));
      const ids = q.getAll("run").filter((r) => ID.test(r))
        .sort((a, b) => (at.get(a) ?? 0) - (at.get(b) ?? 0));
      return ctx.redirect(ids.length ? `/evaluation?runs=${ids.join(",")}` : "/evaluation");
    }
    const selected = (q.get("runs") ?? "").split(",").filter((r) => ID.test(r));
    // `gt` in the query is ignored: choosing a run's ground truth is a POST (below).
    return ctx.render(await pageData(ctx.state.workspace, { runs, trackingError, selected }));
  },
  /** Chooses a run's ground-truth file (the form under the error), then back to the run (PRG). */
  async POST(req, ctx) {
    const form = await readForm(req);
    const run = String(form.get("runs") ?? "");
    const gt = String(form.get("gt") ?? "").trim();
    if (!ID.test(run)) throw new BadRequestError("runs must name one run.");
    try {
      await chooseGroundTruth(ctx.state.workspace, run, gt);
    } catch (e) {
      if (!(e instanceof HttpError) || e.status >= 500) throw e;
      const { runs, trackingError } = await listEvalRuns(ctx.state.workspace);
      const data = await pageData(ctx.state.workspace, { runs, trackingError, selected: [run] });
      return ctx.render({ ...data, gt: { value: gt.slice(0, 2000), error: e.message } }, {
        status: 422,
      });
    }
    return ctx.redirect(`/evaluation?runs=${encodeURIComponent(run)}`);
  },
};

/** The page for the selected runs: one in depth, or a comparison; errors become `data.error`. */
async function pageData(ws: Workspace, data: Data): Promise<Data> {
  const { selected } = data;
  if (selected.length > 6) {
    data.error = `Compare at most 6 runs at once (${selected.length} were picked).`;
    return data;
  }
  try {
    if (selected.length === 1) {
      const cached = await evaluateRun(ws, selected[0]);
      const ev = cached.evaluation;
      const ids = ev.detection?.worst.slice(0, 8).map((w) => w.id) ?? [];
      const worst = ids.length
        ? await imageDetails(ws, ev.runId, ids, {
          minScore: ev.detection!.report.recommendedThreshold,
          cached,
        })
        : [];
      data.single = { ev, worst };
    } else if (selected.length > 1) {
      const cached = [];
      for (const id of selected) cached.push(await evaluateRun(ws, id));
      const evals = cached.map((c) => c.evaluation);
      const base = evals[0].detection;
      const ids = base?.worst.slice(0, 4).map((w) => w.id) ?? [];
      const per: ImageDetail[][] = [];
      if (ids.length && evals.every((e) => e.kind === "detection")) {
        for (const c of cached) {
          per.push(
            await imageDetails(ws, c.evaluation.runId, ids, {
              minScore: c.evaluation.detection!.report.recommendedThreshold,
              cached: c,
            }),
          );
        }
      }
      const images = ids.map((_, i) => per.map((p) => p[i])).filter((row) =>
        row.length === evals.length && row.every(Boolean)
      );
      data.compare = { evals, comparison: compareRuns(evals), images };
    }
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    data.error = e.message;
  }
  return data;
}

/** Evaluation: pick runs; one run in depth, or 2–6 side by side; reports to download. */
export default function EvaluationPage({ data }: PageProps<Data>) {
  const { single, compare } = data;
  const title = single
    ? `Evaluation: ${single.ev.name}`
    : compare
    ? `Compare ${compare.evals.length} runs`
    : "Evaluation";
  return (
    <Page
      title={title}
      crumbs={single || compare ? [{ label: "Evaluation", href: "/evaluation" }] : []}
      description={single || compare
        ? undefined
        : "Exact COCO mAP, mIoU, PQ and classification metrics computed from each run's predictions, with the recommended confidence threshold; compare up to six runs."}
      actions={single || compare ? <EvalExport runIds={data.selected} /> : undefined}
    >
      <RunPicker
        runs={data.runs}
        selected={data.selected}
        open={!single && !compare}
        trackingError={data.trackingError}
      />
      {data.error && (
        <p
          role="alert"
          class="mb-4 rounded border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800"
          data-testid="eval-error"
        >
          {data.error}
        </p>
      )}
      {(data.error || data.gt) && data.selected.length === 1 && (
        <form
          method="post"
          action="/evaluation"
          class="mb-6 flex flex-wrap items-end gap-2 text-sm"
        >
          <input type="hidden" name="runs" value={data.selected[0]} />
          <label class="flex flex-col gap-1">
            <span class="text-slate-700">Ground-truth annotation file for this run</span>
            <input
              name="gt"
              required
              value={data.gt?.value}
              aria-invalid={data.gt ? "true" : undefined}
              aria-describedby={data.gt ? "gt-error" : undefined}
              placeholder="/Volumes/<catalog>/<schema>/<volume>/.../instances_val.json"
              class="w-[32rem] max-w-full rounded border border-slate-300 px-2 py-1"
            />
            {data.gt && (
              <span id="gt-error" class="text-red-700" data-errors="gt">{data.gt.error}</span>
            )}
          </label>
          <button
            type="submit"
            class="rounded bg-sky-700 px-3 py-1.5 font-medium text-white hover:bg-sky-800"
          >
            Evaluate with this file
          </button>
        </form>
      )}
      {single && <RunView ev={single.ev} worst={single.worst} />}
      {compare && <CompareView {...compare} />}
    </Page>
  );
}
