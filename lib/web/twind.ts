/**
 * Twind, server side only: the CSS a page needs is extracted from its HTML after rendering, so
 * pages ship only the rules they use and no CSS-in-JS runtime. Classes that islands add only in
 * the browser are found by scanning island sources once (the "safelist").
 */
import { defineConfig, extract, twind, virtual } from "@twind/core";
import presetTailwind from "@twind/preset-tailwind";

const config = defineConfig({
  presets: [presetTailwind()],
  hash: false,
  theme: {
    extend: {
      fontFamily: {
        sans: ["Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif"],
      },
    },
  },
});

const tw = twind(config, virtual());

/** CSS for the classes used in `html` plus any extra class tokens. */
export function cssFor(html: string, extraClasses = ""): string {
  const probe = extraClasses ? `${html}<i class="${extraClasses}"></i>` : html;
  return extract(probe, tw).css;
}

const CLASS_TOKEN = /^[a-z0-9!-][a-z0-9:!\-/[\].%#()_,]*$/;

/** Class-like tokens in string literals of source files (for the island safelist). */
export function classTokens(source: string): string[] {
  const out = new Set<string>();
  for (const m of source.matchAll(/(["'`])((?:(?!\1)[^\n])*)\1/g)) {
    for (const tok of m[2].split(/\s+/)) {
      if (tok && tok.length < 60 && CLASS_TOKEN.test(tok) && /[-:]/.test(tok)) out.add(tok);
    }
  }
  return [...out];
}
