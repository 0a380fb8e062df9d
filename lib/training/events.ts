/**
 * Server-sent events for one run: the record whenever it changes, new metric points as they
 * are written, and the tail of the log. The stream refreshes its run itself, as often as the
 * workspace's `traits.poll` says (fast for local processes, every few seconds over REST), so a
 * watched run updates without waiting for the background loop. Each event carries everything
 * needed to render; a client that reconnects gets a fresh snapshot first.
 */
import type { Workspace } from "@/lib/workspace/types.ts";
import { getRun, runBus } from "./records.ts";
import { refreshRun } from "./refresh.ts";
import { readLogTail, readMetrics } from "./run_files.ts";
import { type RunRecord, TERMINAL } from "./types.ts";

/** Stream timing. */
export interface StreamOptions {
  /** How often the run is refreshed and metrics are read (ms). */
  pollMs?: number;
  /** How often the log tail is re-read (ms). */
  logMs?: number;
  /** Comment lines that keep proxies from closing an idle stream (ms). */
  pingMs?: number;
}

/** The SSE body for a run; it ends when the client goes away. */
export function runEventStream(
  ws: Workspace,
  id: string,
  opts: StreamOptions = {},
): ReadableStream<Uint8Array> {
  const pollMs = opts.pollMs ?? ws.traits.poll.watchMs;
  const logMs = opts.logMs ?? ws.traits.poll.watchLogMs;
  const pingMs = opts.pingMs ?? 15_000;
  const enc = new TextEncoder();
  let closed = false;
  let timer = 0;
  let onRun: ((e: Event) => void) | null = null;
  let seq = 0;
  return new ReadableStream<Uint8Array>({
    async start(ctrl) {
      const send = (event: string, data: unknown) => {
        if (closed) return;
        try {
          ctrl.enqueue(
            enc.encode(`id: ${++seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
          );
        } catch {
          closed = true;
        }
      };
      let run: RunRecord;
      try {
        run = await getRun(id);
      } catch (e) {
        send("error", { message: (e as Error).message });
        ctrl.close();
        closed = true;
        return;
      }
      let lastUpdated = 0;
      let sent = 0;
      let lastLog = "";
      let lastLogAt = 0;
      let lastPing = Date.now();
      let finishedAt = 0;
      const pushRun = (r: RunRecord) => {
        if (r.updatedAt === lastUpdated) return;
        lastUpdated = r.updatedAt;
        run = r;
        send("run", r);
      };
      onRun = (e: Event) => {
        const r = (e as CustomEvent<RunRecord>).detail;
        if (r.id === id) pushRun(r);
      };
      runBus.addEventListener("run", onRun);
      pushRun(run);
      ctrl.enqueue(enc.encode(`retry: 2000\n\n`));
      const tick = async () => {
        if (closed) return;
        try {
          // Metrics first: a step the record reports then arrives with its points, not before.
          const points = await readMetrics(ws, run);
          if (points.length > sent) {
            send("metrics", { from: sent, points: points.slice(sent) });
            sent = points.length;
          }
          if (!TERMINAL.has(run.status) || Date.now() - (run.endedAt ?? 0) < 10_000) {
            pushRun(await refreshRun(ws, run));
          }
          if (Date.now() - lastLogAt >= logMs) {
            lastLogAt = Date.now();
            const text = await readLogTail(ws, run);
            if (text !== lastLog) {
              lastLog = text;
              send("log", { text });
            }
          }
        } catch (e) {
          send("warning", { message: (e as Error).message, at: Date.now() });
        }
        if (Date.now() - lastPing >= pingMs) {
          lastPing = Date.now();
          send("ping", { at: lastPing });
        }
        if (TERMINAL.has(run.status)) {
          finishedAt ||= Date.now();
          // A finished run: send what is left, then slow down.
          if (Date.now() - finishedAt > 15_000) {
            timer = setTimeout(tick, Math.max(pollMs, 5_000)) as unknown as number;
            return;
          }
        }
        if (!closed) timer = setTimeout(tick, pollMs) as unknown as number;
      };
      timer = setTimeout(tick, 0) as unknown as number;
    },
    cancel() {
      closed = true;
      clearTimeout(timer);
      if (onRun) runBus.removeEventListener("run", onRun);
    },
  });
}

/** The Response for an SSE request. */
export function sseResponse(body: ReadableStream<Uint8Array>): Response {
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}
