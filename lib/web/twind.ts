/**
 * Twind, server side only: the CSS a page needs is extracted from its HTML after rendering, so
 * pages ship only the rules they use and no CSS-in-JS runtime. Classes that islands add only in
 * the browser are found by scanning island sources once (the "safelist").
 */
import { defineConfig, extract, twind, virtual } from "@twind/core";
import presetTailwind from "@twind/preset-tailwind";
import { darkCss } from "./dark.ts";

const SHADE_950: Record<string, string> = {
  slate: "#020617",
  gray: "#030712",
  zinc: "#09090b",
  neutral: "#0a0a0a",
  stone: "#0c0a09",
  red: "#450a0a",
  orange: "#431407",
  amber: "#451a03",
  yellow: "#422006",
  lime: "#1a2e05",
  green: "#052e16",
  emerald: "#022c22",
  teal: "#042f2e",
  cyan: "#083344",
  sky: "#082f49",
  blue: "#172554",
  indigo: "#1e1b4b",
  violet: "#2e1065",
  purple: "#3b0764",
  fuchsia: "#4a044e",
  pink: "#500724",
  rose: "#4c0519",
};

const config = defineConfig({
  presets: [presetTailwind()],
  hash: false,
  theme: {
    extend: {
      // The 950 shades (Tailwind 3.3's palette), which the dark theme uses for its surfaces.
      colors: Object.fromEntries(Object.entries(SHADE_950).map(([k, v]) => [k, { 950: v }])),
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

const declarations = new Map<string, string | null>();

/** The declarations of one bare utility, e.g. `bg-slate-900` → `--tw-bg-opacity:1;…`. */
export function utilityDeclarations(utility: string): string | null {
  if (declarations.has(utility)) return declarations.get(utility)!;
  const css = extract(`<i class="${utility.replace(/"/g, "")}"></i>`, tw).css;
  const m = css.match(/\}(\.[^{}]*)\{([^{}]*)\}$/);
  const selector = m ? m[1].replace(/\\/g, "") : "";
  const found = selector === `.${utility}` || selector.startsWith(`.${utility}>`) ? m![2] : null;
  declarations.set(utility, found);
  return found;
}

/** The dark theme's rules for a page's light CSS (see dark.ts). */
export function darkCssFor(css: string): string {
  return darkCss(css, utilityDeclarations);
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
