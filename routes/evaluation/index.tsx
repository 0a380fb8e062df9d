import { ComingSoon } from "@/components/ComingSoon.tsx";
import { stage } from "@/lib/stages.ts";

/** Placeholder until this stage lands: says what it will do. */
export default function StagePage() {
  return <ComingSoon stage={stage("evaluation")} />;
}
