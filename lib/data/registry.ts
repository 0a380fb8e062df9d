/**
 * Scans running in the server process: started by an API call, polled by the page, cancellable.
 * Scans run off the request path (the request returns an id at once) and yield to the event loop
 * while parsing, so the app stays responsive.
 */
import { withoutDeadline } from "@/lib/workspace/deadline.ts";
import type { FilesApi } from "@/lib/workspace/types.ts";
import type { ScanCache } from "./cache.ts";
import type { DeltaTableReader } from "./delta.ts";
import { startScan } from "./scan.ts";
import type { ScanProgress, ScanResult, ScanSpec } from "./types.ts";

export type ScanStatus = "running" | "done" | "failed" | "cancelled";

/** One scan as the page sees it. */
export interface ScanRecord {
  id: string;
  spec: ScanSpec;
  status: ScanStatus;
  progress: ScanProgress;
  startedAt: number;
  endedAt?: number;
  error?: string;
  result?: ScanResult;
}

interface Entry extends ScanRecord {
  cancel(): void;
}

/** Keeps the last `max` scans in memory. */
export class ScanRegistry {
  private readonly scans = new Map<string, Entry>();
  constructor(private readonly max = 20) {}

  /**
   * Starts a scan and returns its record at once (`delta`: the reader for a Delta spec).
   * `onEnd` hears how it ended (done, failed or cancelled), e.g. to log it truthfully.
   */
  start(
    spec: ScanSpec,
    files: FilesApi,
    cache?: ScanCache,
    delta?: DeltaTableReader,
    onEnd?: (rec: ScanRecord) => unknown,
  ): ScanRecord {
    const id = crypto.randomUUID();
    // A scan outlives the request that started it, so it keeps its own budgets.
    const job = withoutDeadline(() =>
      startScan(spec, files, {
        cache,
        delta,
        onProgress: (p) => {
          const e = this.scans.get(id);
          if (e && e.status === "running") e.progress = p;
        },
      })
    );
    const entry: Entry = {
      id,
      spec,
      status: "running",
      progress: { ...job.progress },
      startedAt: Date.now(),
      cancel: () => job.cancel("cancelled by the user"),
    };
    this.scans.set(id, entry);
    // A scan already answered as cancelled stays cancelled, whatever the work does afterwards.
    const ended = () => {
      if (!onEnd) return;
      Promise.resolve().then(() => onEnd(this.view(entry, false))).catch((e) =>
        console.error(`scan ${id}: recording its end failed:`, e)
      );
    };
    job.done.then(
      (r) => {
        if (entry.status !== "running") return ended();
        entry.status = "done";
        entry.result = r;
        entry.endedAt = Date.now();
        ended();
      },
      (e) => {
        if (entry.status !== "running") return ended();
        const aborted = e instanceof DOMException && e.name === "AbortError";
        entry.status = aborted ? "cancelled" : "failed";
        entry.error = aborted ? "cancelled" : e instanceof Error ? e.message : String(e);
        entry.endedAt = Date.now();
        ended();
      },
    );
    while (this.scans.size > this.max) {
      const oldest = [...this.scans.values()].find((s) => s.status !== "running");
      if (!oldest) break;
      this.scans.delete(oldest.id);
    }
    return this.view(entry, false);
  }

  /** The record, with or without the (possibly large) result. */
  get(id: string, withResult = true): ScanRecord | null {
    const e = this.scans.get(id);
    return e ? this.view(e, withResult) : null;
  }

  /** Waits for a scan to finish (tests, CLI-like callers). */
  async wait(id: string, timeoutMs = 60_000): Promise<ScanRecord | null> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const e = this.scans.get(id);
      if (!e || e.status !== "running") return e ? this.view(e, true) : null;
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.get(id);
  }

  /**
   * Stops a running scan; false when there is no such running scan. The answer is final: the
   * record is cancelled at once, even if the work was about to finish.
   */
  cancel(id: string): boolean {
    const e = this.scans.get(id);
    if (!e || e.status !== "running") return false;
    e.status = "cancelled";
    e.error = "cancelled";
    e.endedAt = Date.now();
    e.cancel();
    return true;
  }

  private view(e: Entry, withResult: boolean): ScanRecord {
    const { cancel: _c, result, ...rest } = e;
    return withResult && result
      ? { ...rest, progress: { ...e.progress }, result }
      : { ...rest, progress: { ...e.progress } };
  }
}

/** The server's registry. */
export const scans = new ScanRegistry();
