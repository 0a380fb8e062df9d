import type { Problem } from "@/lib/config/validate.ts";

/** Errors and warnings that belong to no form field (whole-file problems, ignored keys). */
export function ProblemList(
  { errors, warnings, title }: {
    errors: Problem[] | string[];
    warnings: Problem[] | string[];
    title?: string;
  },
) {
  if (errors.length === 0 && warnings.length === 0) return null;
  const text = (p: Problem | string) =>
    typeof p === "string" ? p : p.path ? `${p.path}: ${p.message}` : p.message;
  return (
    <section
      class="rounded-lg border border-slate-200 bg-white p-4 text-sm"
      aria-label={title ?? "Problems"}
    >
      {title && <h2 class="font-semibold text-slate-900 mb-2">{title}</h2>}
      {errors.length > 0 && (
        <ul class="space-y-1 text-red-700" role="alert" data-problems="errors">
          {errors.map((e, i) => <li key={i}>✕ {text(e)}</li>)}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul class="space-y-1 text-amber-700 mt-2" data-problems="warnings">
          {warnings.map((w, i) => <li key={i}>⚠ {text(w)}</li>)}
        </ul>
      )}
    </section>
  );
}
