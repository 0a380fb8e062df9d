import { Badge, type Tone } from "@/components/Badge.tsx";
import { BatchForm, type BatchFormProps } from "@/components/deployments/BatchForm.tsx";
import { Page } from "@/components/Page.tsx";
import { errorMessage, HttpError } from "@/lib/errors.ts";
import {
  APP_RUNNER_UNAVAILABLE,
  batchContext,
  describeInput,
  describeOutput,
  listFresh,
  startBatch,
} from "@/lib/serving/batch/service.ts";
import {
  BATCH_PHASE_LABELS,
  BATCH_TERMINAL,
  type BatchRecord,
  formatEta,
} from "@/lib/serving/batch/types.ts";
import { batchFieldErrors, batchRequestFromForm } from "@/lib/serving/batch/form.ts";
import { defaultRef, versionChoices } from "@/lib/serving/deploy_form.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data extends Omit<BatchFormProps, "appRunnerUnavailable"> {
  batches: BatchRecord[];
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const data = await load(ctx.state, {});
    const model = ctx.url.searchParams.get("model")?.slice(0, 300) ?? undefined;
    return ctx.render({ ...data, form: { ref: defaultRef(data.choices, model) } });
  },
  async POST(req, ctx) {
    const form = Object.fromEntries(
      [...(await readForm(req)).entries()].map(([k, v]) => [k, String(v)]),
    );
    try {
      const { batch } = await startBatch(batchContext(ctx.state), batchRequestFromForm(form));
      return ctx.redirect(`/deployments/batch/${encodeURIComponent(batch.id)}`);
    } catch (e) {
      if (!(e instanceof HttpError) || e.status >= 500) throw e;
      const details = e.details as { path: string; message: string }[] | undefined;
      return ctx.render(
        {
          ...(await load(ctx.state, form)),
          error: errorMessage(e),
          fieldErrors: batchFieldErrors(Array.isArray(details) ? details : []),
        },
        { status: e.status },
      );
    }
  },
};

/** Start a batch job and follow every batch job with its progress. */
export default function BatchPage({ data }: PageProps<Data>) {
  return (
    <Page
      title="Batch inference"
      crumbs={[{ label: "Deployment", href: "/deployments" }]}
      description="Run a registered version over a folder of images; results are appended per image, so a cancelled batch resumes where it stopped."
    >
      <BatchForm {...data} appRunnerUnavailable={APP_RUNNER_UNAVAILABLE} />
      <BatchTable batches={data.batches} />
    </Page>
  );
}

const TONES: Record<string, Tone> = {
  succeeded: "green",
  failed: "red",
  cancelled: "amber",
  running: "blue",
  queued: "slate",
  launching: "slate",
};

function BatchTable({ batches }: { batches: BatchRecord[] }) {
  if (!batches.length) {
    return <p class="text-sm text-slate-500">No batch inference jobs yet.</p>;
  }
  return (
    <table class="w-full text-left text-sm">
      <thead class="text-xs text-slate-500">
        <tr>
          <th>Batch</th>
          <th>Model</th>
          <th>Input → output</th>
          <th>State</th>
          <th>Progress</th>
          <th>ETA</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {batches.map((b) => {
          const p = b.progress;
          const pct = p?.total ? Math.round((p.done / p.total) * 100) : 0;
          return (
            <tr key={b.id} class="border-t border-slate-100 align-top">
              <td class="py-2">
                <a class="text-blue-700 hover:underline" href={`/deployments/batch/${b.id}`}>
                  {b.name}
                </a>
                <div class="text-xs text-slate-500">{b.id} · {b.runner}</div>
              </td>
              <td>{b.model} v{b.version}</td>
              <td class="text-xs">
                {describeInput(b)}
                <br />→ {describeOutput(b)}
              </td>
              <td>
                <Badge tone={TONES[b.status] ?? "slate"}>
                  {BATCH_PHASE_LABELS[b.phase] ?? b.phase}
                </Badge>
                {b.message && <div class="text-xs text-slate-500">{b.message}</div>}
              </td>
              <td>
                {p
                  ? (
                    <>
                      <progress max={100} value={pct} aria-label={`${pct}%`} />{" "}
                      <span class="text-xs">{p.done}/{p.total ?? "?"} · {p.errors} errors</span>
                    </>
                  )
                  : "—"}
              </td>
              <td class="text-xs">
                {BATCH_TERMINAL.has(b.status) ? "—" : formatEta(p?.etaSeconds)}
              </td>
              <td>
                <BatchActions batch={b} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Cancel (while it runs) or resume (once cancelled or failed), as plain form posts. */
export function BatchActions({ batch }: { batch: BatchRecord }) {
  const btn = "rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50";
  const action = `/deployments/batch/${encodeURIComponent(batch.id)}`;
  if (!BATCH_TERMINAL.has(batch.status)) {
    return (
      <form method="post" action={action}>
        <button type="submit" name="action" value="cancel" class={btn}>Cancel</button>
      </form>
    );
  }
  if (batch.status === "cancelled" || batch.status === "failed") {
    return (
      <form method="post" action={action}>
        <button type="submit" name="action" value="resume" class={btn}>Resume</button>
      </form>
    );
  }
  return null;
}

async function load(state: PageProps["state"], form: Record<string, string>): Promise<Data> {
  const ctx = batchContext(state);
  const [choices, endpoints, batches] = await Promise.all([
    versionChoices(ctx).then(
      (choices) => ({ choices }),
      (e) => ({ choices: [], choicesError: errorMessage(e) }),
    ),
    ctx.ws.serving.list().then((l) => l.map((e) => e.name).sort(), () => [] as string[]),
    listFresh(ctx),
  ]);
  return {
    batches,
    ...choices,
    endpoints,
    volume: ctx.volume,
    appRunner: ctx.appRunner !== false,
    form,
    fieldErrors: {},
  };
}
