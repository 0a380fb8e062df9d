import { Page } from "@/components/Page.tsx";

/** Shown for any URL that matches no page. */
export default function NotFound({ url }: { url: URL }) {
  return (
    <Page title="Page not found">
      <p class="text-slate-700">
        There is no page at <code class="bg-slate-100 px-1 rounded">{url.pathname}</code>.
      </p>
      <p class="mt-2">
        <a class="text-sky-700 underline" href="/">Go to the overview</a>, or pick a stage on the
        left.
      </p>
    </Page>
  );
}
