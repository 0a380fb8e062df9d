import { useEffect, useRef, useState } from "preact/hooks";
import { type CompareOption, RunCharts } from "@/components/training/RunCharts.tsx";
import { RunProgress } from "@/components/training/RunProgress.tsx";
import { LatestMetrics } from "@/components/training/LatestMetrics.tsx";
import { StatusBadge } from "@/components/training/StatusBadge.tsx";
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

type Link = "sse" | "polling" | "connecting";

/** The live run view: state, progress, charts and log over SSE (polling when SSE fails). */
export default function RunLive(
  { initial, points: initialPoints, log: initialLog, compareOptions }: Props,
) {
  const [run, setRun] = useState(initial);
  const [points, setPoints] = useState(initialPoints);
  const [log, setLog] = useState(initialLog);
  const [link, setLink] = useState<Link>("connecting");
  const [warning, setWarning] = useState<string | null>(null);
  const [toast, setToast] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const count = useRef(initialPoints.length);
  const wasActive = useRef(!TERMINAL.has(initial.status));
  const logBox = useRef<HTMLPreElement>(null);

  useEffect(() => setReady(true), []);
  useEffect(() => {
    const el = logBox.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [log, ready]);

  // Tab title and a toast when the watched run finishes.
  useEffect(() => {
    const p = run.progress;
    const pct = p?.totalSteps ? ` ${Math.round((p.step / p.totalSteps) * 100)}%` : "";
    const mark = run.status === "succeeded"
      ? "✓"
      : run.status === "failed"
      ? "✗"
      : run.status === "cancelled"
      ? "■"
      : `▶${pct}`;
    document.title = `${mark} ${run.name} · Lakevision`;
    if (wasActive.current && TERMINAL.has(run.status)) {
      wasActive.current = false;
      setToast(`Run ${run.status}${run.message ? `: ${run.message}` : ""}`);
    }
  }, [run.status, run.progress?.step]);

  useEffect(() => {
    let es: EventSource | null = null;
    let poll: ReturnType<typeof setInterval> | undefined;
    let failures = 0;
    let stopped = false;
    const addPoints = (from: number, pts: MetricPointLite[]) => {
      if (from !== count.current) return false;
      count.current += pts.length;
      setPoints((old) => [...old, ...pts]);
      return true;
    };
    const pollOnce = async () => {
      try {
        const [r, m] = await Promise.all([
          fetch(`/api/runs/${run.id}`).then((x) => x.json()),
          fetch(`/api/runs/${run.id}/metrics?from=${count.current}`).then((x) => x.json()),
        ]);
        if (r.run) setRun(r.run);
        if (m.points) addPoints(m.from, m.points);
        const l = await fetch(`/api/runs/${run.id}/logs`).then((x) => x.json());
        if (typeof l.text === "string") setLog(l.text);
        setWarning(null);
      } catch (e) {
        setWarning(`Could not refresh (${e instanceof Error ? e.message : e}); retrying.`);
      }
    };
    const startPolling = () => {
      setLink("polling");
      pollOnce();
      poll = setInterval(pollOnce, 3000);
    };
    es = new EventSource(`/api/runs/${encodeURIComponent(run.id)}/events`);
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
      setLink("sse");
    });
    es.addEventListener("run", (e) => setRun(JSON.parse((e as MessageEvent).data)));
    es.addEventListener("metrics", (e) => {
      const d = JSON.parse((e as MessageEvent).data);
      if (!addPoints(d.from, d.points) && d.from === 0) {
        count.current = d.points.length;
        setPoints(d.points);
      }
    });
    es.addEventListener("log", (e) => setLog(JSON.parse((e as MessageEvent).data).text));
    es.addEventListener("warning", (e) => setWarning(JSON.parse((e as MessageEvent).data).message));
    es.addEventListener("error", () => {
      if (stopped) return;
      if (++failures >= 3 && poll === undefined) {
        es?.close();
        startPolling();
      } else setLink("connecting");
    });
    return () => {
      stopped = true;
      es?.close();
      clearInterval(poll);
      clearInterval(watchdog);
    };
  }, [run.id]);

  async function act(kind: "cancel" | "resume") {
    if (
      kind === "cancel" &&
      !confirm(
        "Cancel this run? It stops within seconds; you can resume it later from its last checkpoint.",
      )
    ) return;
    setBusy(kind);
    setActionError(null);
    try {
      const res = await fetch(`/api/runs/${run.id}/${kind}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          idempotencyToken: `resume-${run.id}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64),
        }),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      if (kind === "resume") location.href = `/training/${body.run.id}`;
      else setRun(body.run);
    } catch (e) {
      setActionError(`Could not ${kind}: ${e instanceof Error ? e.message : e}`);
    } finally {
      setBusy(null);
    }
  }

  const active = !TERMINAL.has(run.status);
  // a run that failed before its first step has no checkpoint: it is edited and relaunched
  const started = (run.progress?.step ?? 0) > 0 || points.length > 0;
  const canResume = (run.status === "cancelled" || run.status === "failed") && started;
  const failedEarly = run.status === "failed" && !started;
  const lines = log.split("\n").slice(-200).join("\n");
  return (
    <div class="space-y-4" data-run-id={run.id}>
      <div class="flex flex-wrap items-center gap-3">
        <StatusBadge status={run.status} phase={run.phase} />
        {run.cancelRequestedAt && active && <span class="text-sm text-amber-700">cancelling…</span>}
        <span class="text-xs text-slate-400" data-link={link}>
          {link === "sse" ? "live" : link === "polling" ? "live (polling)" : "connecting…"}
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
            href={`/configs/${encodeURIComponent(run.config.name)}/edit?from=${run.config.version}`}
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
        points={points}
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
          <button type="button" class="ml-3 underline" onClick={() => setToast(null)}>
            dismiss
          </button>
        </div>
      )}
    </div>
  );
}
