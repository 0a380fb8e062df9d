import { Page } from "@/components/Page.tsx";
import type { ErrorPageProps } from "@/lib/web/types.ts";

/** Shown for every error page; known errors say what happened, unknown ones give the request id. */
export default function ErrorPage({ status, message, requestId, hint }: ErrorPageProps) {
  const title = status >= 500
    ? "Something went wrong"
    : status === 404
    ? "Not found"
    : "That did not work";
  return (
    <Page title={title}>
      <div class="rounded-lg border border-red-200 bg-red-50 p-5" role="alert">
        <p class="font-medium text-red-900">{message}</p>
        {hint && <p class="text-sm text-red-900 mt-2">What to do: {hint}</p>}
        <p class="text-xs text-red-800 mt-3">
          Error {status} · request id <code class="font-mono">{requestId}</code>
          {status >= 500 && " — the same id is in the server log."}
        </p>
      </div>
      <p class="mt-4">
        <a class="text-sky-700 underline" href="/">Back to the overview</a>
      </p>
    </Page>
  );
}
