import { Badge, type Tone } from "@/components/Badge.tsx";
import { PHASE_LABELS, type RunStatus } from "@/lib/training/types.ts";

const TONE: Record<RunStatus, Tone> = {
  launching: "slate",
  queued: "slate",
  running: "blue",
  succeeded: "green",
  failed: "red",
  cancelled: "amber",
};

/** A run's status, with its phase while it runs ("running · training"). */
export function StatusBadge({ status, phase }: { status: RunStatus; phase?: string }) {
  const detail = phase && phase !== status && status !== "succeeded" && status !== "failed" &&
      status !== "cancelled"
    ? ` · ${PHASE_LABELS[phase] ?? phase.replaceAll("_", " ")}`
    : "";
  return (
    <span data-status={status}>
      <Badge tone={TONE[status]}>{status}{detail}</Badge>
    </span>
  );
}
