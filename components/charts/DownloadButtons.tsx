import type { RefObject } from "preact";
import { downloadCanvasPng, downloadCsv } from "./download.ts";

/**
 * The "PNG" (and, given rows, "CSV") buttons of a chart's caption: `name` is the file name
 * without extension; `title`, when given, labels the buttons for screen readers.
 */
export function DownloadButtons(
  { name, canvas, csv, disabled = false, title }: {
    name: string;
    canvas: RefObject<HTMLCanvasElement>;
    /** Rows for the CSV download, header first; no CSV button without them. */
    csv?: (string | number)[][];
    /** Greys the buttons out (e.g. until the chart is drawn). */
    disabled?: boolean;
    title?: string;
  },
) {
  const cls =
    "rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50";
  return (
    <span class="flex shrink-0 gap-1">
      <button
        type="button"
        disabled={disabled}
        class={cls}
        aria-label={title ? `Download ${title} as PNG` : undefined}
        onClick={() => downloadCanvasPng(`${name}.png`, canvas.current)}
      >
        PNG
      </button>
      {csv && (
        <button
          type="button"
          disabled={disabled}
          class={cls}
          aria-label={title ? `Download ${title} as CSV` : undefined}
          onClick={() => downloadCsv(`${name}.csv`, csv)}
        >
          CSV
        </button>
      )}
    </span>
  );
}
