import { BUTTON, BUTTON2 } from "@/components/registry/parts.tsx";
import type { DeployPlan } from "@/lib/serving/service.ts";
import type { PlannedRequest } from "@/lib/workspace/types.ts";

/**
 * The review step: what will change and the exact request(s), with "Send" carrying the form's
 * values and the request's digest (a request that changed meanwhile is refused, not sent).
 */
export function ReviewRequest(
  { plan, form, error }: { plan: DeployPlan; form: Record<string, string>; error?: string },
) {
  const requests: PlannedRequest[] = [...(plan.request.before ?? []), plan.request];
  return (
    <section
      class="rounded-lg border-2 border-blue-200 bg-white p-4 space-y-3"
      aria-labelledby="review-title"
    >
      <h2 id="review-title" class="text-lg font-semibold text-slate-900">
        {plan.mode === "create"
          ? `Review: create ${plan.spec.name}`
          : `Review: update ${plan.spec.name} in place`}
      </h2>
      {error && (
        <p
          role="alert"
          class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800"
        >
          {error}
        </p>
      )}
      <p class="text-sm text-slate-600">
        {plan.mode === "create"
          ? "A new endpoint is created; it is NOT_READY until the model is loaded and warmed up."
          : "The endpoint keeps serving its current config until the new one is ready; it is not deleted and recreated."}
      </p>
      <ul class="list-disc pl-5 text-sm" aria-label="Changes">
        {plan.changes.map((c) => <li key={c}>{c}</li>)}
      </ul>
      <div>
        <h3 class="text-sm font-semibold text-slate-800 mb-1">
          {requests.length > 1 ? `The ${requests.length} requests, in order` : "The exact request"}
        </h3>
        {requests.map((r, i) => (
          <div key={i} class="mb-2">
            <p class="font-mono text-xs text-slate-700" data-request-line>
              {r.method} {r.path}
            </p>
            <pre
              class="mt-1 max-h-96 overflow-auto rounded bg-slate-900 p-3 text-xs text-slate-100"
              data-request-body
            >{JSON.stringify(r.body, null, 2)}</pre>
          </div>
        ))}
      </div>
      <form method="post" action="/deployments" class="flex flex-wrap gap-2">
        {Object.entries(form).filter(([k]) => k !== "action" && k !== "digest").map(([k, v]) => (
          <input key={k} type="hidden" name={k} value={v} />
        ))}
        <input type="hidden" name="digest" value={plan.digest} />
        <button type="submit" name="action" value="deploy" class={BUTTON}>
          {plan.mode === "create" ? "Send: create endpoint" : "Send: update endpoint"}
        </button>
        <button type="submit" name="action" value="edit" class={BUTTON2}>Back to the form</button>
      </form>
    </section>
  );
}
