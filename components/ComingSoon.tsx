import { type Stage, STAGES } from "@/lib/stages.ts";
import { Page } from "./Page.tsx";

/** The page of a stage that has not landed yet: says plainly what it will do and where to go. */
export function ComingSoon({ stage }: { stage: Stage }) {
  const ready = STAGES.filter((s) => s.available && s.id !== stage.id);
  return (
    <Page title={stage.title} description={stage.summary}>
      <section class="rounded-lg border border-amber-200 bg-amber-50 p-5">
        <h2 class="font-semibold text-amber-900">This stage is not built yet</h2>
        <p class="text-sm text-amber-900 mt-1">
          Nothing on this page works yet, and nothing here is simulated. When it lands it will
          offer:
        </p>
        <ul class="list-disc ml-5 mt-2 text-sm text-amber-900 space-y-1">
          {stage.plans.map((p) => <li key={p}>{p}</li>)}
        </ul>
      </section>
      {ready.length > 0 && (
        <section class="mt-6">
          <h2 class="text-sm font-semibold text-slate-700 mb-2">What already works</h2>
          <ul class="flex flex-wrap gap-2">
            {ready.map((s) => (
              <li key={s.id}>
                <a
                  class="rounded-md border border-slate-200 bg-white px-3 py-1.5 text-sm hover:bg-slate-50"
                  href={s.path}
                >
                  {s.title}
                </a>
              </li>
            ))}
            <li>
              <a
                class="rounded-md border border-slate-200 bg-white px-3 py-1.5 text-sm hover:bg-slate-50"
                href="/settings"
              >
                Settings
              </a>
            </li>
          </ul>
        </section>
      )}
    </Page>
  );
}
