import { useComputed, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { type CompareOption, RunCharts } from "@/components/training/RunCharts.tsx";
import { RunProgress } from "@/components/training/RunProgress.tsx";
import { LatestMetrics } from "@/components/training/LatestMetrics.tsx";
import { StatusBadge } from "@/components/training/StatusBadge.tsx";
import { linkSig, liveRunOf, publishRun } from "@/components/training/run_state.ts";
import {
  endedToast,
  LINK_LABELS,
  logTail,
  mergePoints,
  resumeToken,
  runActions,
  tabTitle,
} from "@/lib/training/run_live.ts";
import { type MetricPointLite, type RunRecord, TERMINAL } from "@/lib/training/types.ts";

interface Props {
  /** The run as the server rendered it. */
  initial: RunRecord;
  /** Metric points known at render time. */
  points: MetricPointLite[];
  /** The log tail at render time. */
  log: string;
  /** Other runs of the same task, for the compare overlay. */
  compareOptions: CompareOption[];
}

/**
 * The config editor on the run's config version, carrying what the run was launched with beyond
 * it (its step and epoch limits) as the editor's field values (`training.max_epochs=3`), so a
 * re-run starts from what ran, not from the config's own limits.
 */
function rerunHref(run: RunRecord): string {
  const q = new URLSearchParams({ from: String(run.config.version) });
  if (run.maxEpochs !== undefined) q.set("training.max_epochs", String(run.maxEpochs));
  if (run.maxSteps !== undefined) q.set("training.max_steps", String(run.maxSteps));
  return `/configs/${encodeURIComponent(run.config.name)}/edit?${q}`;
}

/**
 * The live run view: state, progress, charts and log over SSE (polling when SSE fails). The run
 * record it hears goes to the page's shared state (run_state.ts), which RunOutputs reads.
 */
export default function RunLive(
  { initial, points: initialPoints, log: initialLog, compareOptions }: Props,
) {
  const pointsSig = useSignal(initialPoints);
  const logSig = useSignal(initialLog);
  const warningSig = useSignal<string | null>(null);
  const toastSig = useSignal<string | null>(null);
  const busySig = useSignal<"cancel" | "resume" | null>(null);
  const actionErrorSig = useSignal<string | null>(null);
  const readySig = useSignal(false);
  const hasPointsSig = useComputed(() => pointsSig.value.length > 0);
  const wasActive = useRef(!TERMINAL.has(initial.status));
  const logBox = useRef<HTMLPreElement>(null);
  // the server's record until the browser has heard of the run (and always on the server)
  const run = liveRunOf(initial.id) ?? initial;
  const link = linkSig.value, log = logSig.value, ready = readySig.value;
  const warning = warningSig.value, toast = toastSig.value, busy = busySig.value;
  const actionError = actionErrorSig.value;

  useEffect(() => {
    if (!liveRunOf(initial.id)) publishRun(initial);
    readySig.value = true;
  }, []);
  useEffect(() => {
    const el = logBox.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [log, ready]);

  // Tab title and a toast when the watched run finishes.
  useEffect(() => {
    document.title = tabTitle(run);
    if (wasActive.current && TERMINAL.has(run.status)) {
      wasActive.current = false;
      toastSig.value = endedToast(run);
    }
  }, [run.status, run.progress?.step]);

  useEffect(() => {
    const id = initial.id;
    let es: EventSource | null = null;
    let poll: ReturnType<typeof setInterval> | undefined;
    let failures = 0;
    let stopped = false;
    const addPoints = (from: number, pts: MetricPointLite[]) => {
      const next = mergePoints(pointsSig.value, from, pts);
      if (next) pointsSig.value = next;
    };
    const pollOnce = async () => {
      try {
        const [r, m] = await Promise.all([
          fetch(`/api/runs/${id}`).then((x) => x.json()),
          fetch(`/api/runs/${id}/metrics?from=${pointsSig.value.length}`).then((x) => x.json()),
        ]);
        if (r.run) publishRun(r.run);
        if (m.points) addPoints(m.from, m.points);
        const l = await fetch(`/api/runs/${id}/logs`).then((x) => x.json());
        if (typeof l.text === "string") logSig.value = l.text;
        warningSig.value = null;
      } catch (e) {
        warningSig.value = `Could not refresh (${e instanceof Error ? e.message : e}); retrying.`;
      }
    };
    const startPolling = () => {
      linkSig.value = "polling";
      pollOnce();
      poll = setInterval(pollOnce, 3000);
    };
    es = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
    // A proxy that buffers the stream delivers nothing, not even the 15 s pings: poll instead.
    let lastMessage = Date.now();
    const seen = () => (lastMessage = Date.now());
    for (const ev of ["run", "metrics", "log", "warning", "ping"]) es.addEventListener(ev, seen);
    const watchdog = setInterval(() => {
      if (!stopped && poll === undefined && Date.now() - lastMessage > 40_000) {
        es?.close();
        startPolling();
      }
    }, 5_000);
    es.addEventListener("open", () => {
      failures = 0;
      linkSig.value = "sse";
    });
    es.addEventListener("run", (e) => publishRun(JSON.parse((e as MessageEvent).data)));
    es.addEventListener("metrics", (e) => {
      const d = JSON.parse((e as MessageEvent).data);
      addPoints(d.from, d.points);
    });
    es.addEventListener("log", (e) => {
      logSig.value = JSON.parse((e as MessageEvent).data).text;
    });
    es.addEventListener("warning", (e) => {
      warningSig.value = JSON.parse((e as MessageEvent).data).message;
    });
    es.addEventListener("error", () => {
      if (stopped) return;
      if (++failures >= 3 && poll === undefined) {
        es?.close();
        startPolling();
      } else linkSig.value = "connecting";
    });
    return () => {
      stopped = true;
      es?.close();
      clearInterval(poll);
      clearInterval(watchdog);
    };
  }, [initial.id]);

  async function act(kind: "cancel" | "resume") {
    if (
      kind === "cancel" &&
      !confirm(
        "Cancel this run? It stops within seconds; you can resume it later from its last checkpoint.",
      )
    ) return;
    busySig.value = kind;
    actionErrorSig.value = null;
    try {
      const res = await fetch(`/api/runs/${run.id}/${kind}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ idempotencyToken: resumeToken(run.id) }),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      if (kind === "resume") location.href = `/training/${body.run.id}`;
      else publishRun(body.run);
    } catch (e) {
      actionErrorSig.value = `Could not ${kind}: ${e instanceof Error ? e.message : e}`;
    } finally {
      busySig.value = null;
    }
  }

  // a run that failed before its first step has no checkpoint: it is edited and relaunched
  const { active, canResume, failedEarly } = runActions(run, hasPointsSig.value ? 1 : 0);
  const lines = logTail(log);
  return (
    <div class="space-y-4" data-run-id={run.id}>
      <div class="flex flex-wrap items-center gap-3">
        <StatusBadge status={run.status} phase={run.phase} />
        {run.cancelRequestedAt && active && <span class="text-sm text-amber-700">cancelling…</span>}
        <span class="text-xs text-slate-400" data-link={link}>
          {LINK_LABELS[link]}
        </span>
        <div class="ml-auto flex flex-wrap gap-2">
          {active && (
            <button
              type="button"
              disabled={!ready || !!busy || !!run.cancelRequestedAt}
              onClick={() => act("cancel")}
              class="rounded-md border border-red-300 px-3 py-1 text-sm text-red-700 hover:bg-red-50 disabled:opacity-50"
            >
              {busy === "cancel" ? "Cancelling…" : "Cancel"}
            </button>
          )}
          {canResume && (
            <button
              type="button"
              disabled={!ready || !!busy}
              onClick={() => act("resume")}
              class="rounded-md bg-slate-900 px-3 py-1 text-sm text-white hover:bg-slate-700 disabled:opacity-50"
            >
              {busy === "resume" ? "Resuming…" : "Resume"}
            </button>
          )}
          {run.status === "succeeded" && (
            <a
              href={`/evaluation?runs=${encodeURIComponent(run.id)}`}
              class="rounded-md bg-sky-700 px-3 py-1 text-sm text-white hover:bg-sky-600"
            >
              Evaluate
            </a>
          )}
          {run.status === "succeeded" && (
            <a
              href={`/models?run=${encodeURIComponent(run.id)}#register`}
              class="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50"
            >
              Register model
            </a>
          )}
          <a
            href={rerunHref(run)}
            class={failedEarly
              ? "rounded-md bg-slate-900 px-3 py-1 text-sm text-white hover:bg-slate-700"
              : "rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50"}
            data-testid="relaunch"
          >
            {failedEarly ? "Edit and relaunch" : "Re-run with changes"}
          </a>
        </div>
      </div>
      <p class="text-xs text-slate-500">
        {failedEarly
          ? "The run failed before its first step, so there is nothing to resume: fix the config and launch it again."
          : "Pause = Cancel, then Resume: the run saves its last checkpoint when cancelled and a resumed run continues from it."}
      </p>
      {actionError && (
        <p role="alert" class="rounded bg-red-50 px-3 py-2 text-sm text-red-800">{actionError}</p>
      )}
      {run.message && (
        <p
          data-testid="message"
          class={`rounded px-3 py-2 text-sm ${
            run.status === "failed" ? "bg-red-50 text-red-800" : "bg-slate-50 text-slate-700"
          }`}
        >
          {run.status === "running" || run.status === "queued"
            ? (
              <span class="text-slate-500">
                {run.compute.kind === "databricks" && run.status === "queued"
                  ? "Databricks: "
                  : "Job: "}
              </span>
            )
            : null}
          {run.message}
        </p>
      )}
      {run.stale && (
        <p
          role="status"
          class="rounded bg-amber-50 px-3 py-2 text-sm text-amber-800"
          data-testid="stale"
        >
          The workspace has not answered since{" "}
          {new Date(run.stale.since).toISOString().slice(11, 19)}{" "}
          UTC ({run.stale.error}); showing the last known state and retrying.
        </p>
      )}
      {warning && <p class="rounded bg-amber-50 px-3 py-2 text-xs text-amber-800">{warning}</p>}
      <RunProgress run={run} />
      <LatestMetrics run={run} />
      <RunCharts
        points={pointsSig}
        compareOptions={compareOptions}
        ready={ready}
        defaultCompare={run.resumedFrom}
      />
      <section class="rounded-lg border border-slate-200 bg-white p-3">
        <h2 class="text-sm font-medium text-slate-800 mb-2">Latest log lines</h2>
        <pre
          class="max-h-72 overflow-y-auto whitespace-pre-wrap break-words rounded bg-slate-900 p-3 text-xs text-slate-100"
          data-testid="log"
          ref={logBox}
        >{lines ||
            (run.compute.kind === "databricks"
              ? "Databricks returns a run's output when it ends; until then open the run page for the driver logs."
              : "(no output yet)")}</pre>
      </section>
      {toast && (
        <div
          role="status"
          // inline, not utility classes: a toast exists only in the browser, so no server
          // render ever asked for its CSS
          style={{
            position: "fixed",
            bottom: "1rem",
            right: "1rem",
            zIndex: 50,
            maxWidth: "min(24rem, calc(100vw - 2rem))",
            overflowWrap: "anywhere",
          }}
          class="rounded-lg bg-slate-900 px-4 py-3 text-sm text-white shadow-lg"
          data-testid="toast"
        >
          {toast}
          <button type="button" class="ml-3 underline" onClick={() => (toastSig.value = null)}>
            dismiss
          </button>
        </div>
      )}
    </div>
  );
}
