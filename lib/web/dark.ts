/**
 * The dark theme, derived from a page's own light CSS: every colour utility twind extracted for
 * the page gets a dark counterpart under `[data-theme=dark]`, by mirroring its shade on the
 * Tailwind scale (a light surface such as `bg-slate-50` becomes `slate-950`, dark text such as
 * `text-slate-800` becomes `slate-200`). Saturated fills (buttons, badges, bars, shade 400 and
 * up) and light text keep their colours, so the already-dark sidebar stays dark and white text
 * on a blue button stays readable. Images, canvases and videos are never filtered: a
 * prediction overlay shows its true colours in either theme.
 */

const PALETTES = new Set([
  "slate",
  "gray",
  "zinc",
  "neutral",
  "stone",
  "red",
  "orange",
  "amber",
  "yellow",
  "lime",
  "green",
  "emerald",
  "teal",
  "cyan",
  "sky",
  "blue",
  "indigo",
  "violet",
  "purple",
  "fuchsia",
  "pink",
  "rose",
]);

type Role = "surface" | "ink" | "line";

/**
 * Shade → dark shade, by role; shades not listed keep their colour. Surfaces skip 900 after
 * 50 so a hover (`hover:bg-slate-100`) still shows on a card (`bg-white` → slate-900).
 */
const FLIP: Record<Role, Record<number, number>> = {
  surface: { 50: 950, 100: 800, 200: 700, 300: 600 },
  ink: { 500: 400, 600: 400, 700: 300, 800: 200, 900: 100, 950: 50 },
  line: { 50: 800, 100: 800, 200: 700, 300: 600, 400: 500 },
};

const ROLE: Record<string, Role> = {
  bg: "surface",
  from: "surface",
  via: "surface",
  to: "surface",
  text: "ink",
  placeholder: "ink",
  fill: "ink",
  stroke: "ink",
  decoration: "ink",
  border: "line",
  "border-t": "line",
  "border-b": "line",
  "border-l": "line",
  "border-r": "line",
  "border-x": "line",
  "border-y": "line",
  divide: "line",
  ring: "line",
  "ring-offset": "line",
  outline: "line",
};

const UTILITY =
  /^(bg|from|via|to|text|placeholder|fill|stroke|decoration|border(?:-[tblrxy])?|divide|ring-offset|ring|outline)-([a-z]+)(?:-(\d+))?(\/\d+)?$/;

/**
 * The utility a dark page uses instead of `utility` (the part after any `hover:`/`md:`
 * variants), or null when it stays as it is.
 */
export function darkUtility(utility: string): string | null {
  const m = utility.match(UTILITY);
  if (!m) return null;
  const [, prop, color, shadeText, opacity = ""] = m;
  const role = ROLE[prop];
  if (shadeText === undefined) {
    if (color === "white") {
      if (role === "surface") return `${prop}-slate-900${opacity}`;
      if (role === "line") return `${prop}-slate-700${opacity}`;
      return null; // white text sits on dark fills in both themes
    }
    if (color === "black" && role === "ink") return `${prop}-white${opacity}`;
    return null;
  }
  if (!PALETTES.has(color)) return null;
  const to = FLIP[role][Number(shadeText)];
  return to === undefined ? null : `${prop}-${color}-${to}${opacity}`;
}

const NEUTRALS = new Set(["slate", "gray", "zinc", "neutral", "stone"]);
/** Dark neutral fills inside the page (primary buttons, code blocks): raised off the surfaces. */
const RAISE: Record<number, number> = { 700: 600, 800: 700, 900: 700, 950: 800 };

/**
 * The utility a dark fill uses inside `main` (not the sidebar): a `bg-slate-900` button would
 * vanish on a card that is slate-900 in the dark theme, so it is lifted a few shades.
 */
export function raisedUtility(utility: string): string | null {
  const m = utility.match(/^bg-([a-z]+)-(\d+)(\/\d+)?$/);
  if (!m || !NEUTRALS.has(m[1])) return null;
  const to = RAISE[Number(m[2])];
  return to === undefined ? null : `bg-${m[1]}-${to}${m[3] ?? ""}`;
}

/** Splits a selector's leading class (`.hover\:bg-slate-100:hover` → its class and the rest). */
function leadingClass(selector: string): { cls: string; rest: string } | null {
  if (!selector.startsWith(".")) return null;
  let cls = "";
  let i = 1;
  for (; i < selector.length; i++) {
    const c = selector[i];
    if (c === "\\") {
      cls += selector[i + 1] ?? "";
      i++;
      continue;
    }
    if (/[\s:>~+,.[{]/.test(c)) break;
    cls += c;
  }
  return cls ? { cls, rest: selector.slice(i) } : null;
}

/** The top-level rules of a flat twind stylesheet: `sel{…}` or `@media …{sel{…}…}`. */
function* rules(css: string): Generator<{ media: string | null; selector: string; body: string }> {
  let i = 0;
  while (i < css.length) {
    const open = css.indexOf("{", i);
    if (open < 0) return;
    const head = css.slice(i, open).trim();
    if (head.startsWith("@")) {
      // one level of nesting: a media/supports block holding plain rules
      let depth = 1;
      let j = open + 1;
      while (j < css.length && depth > 0) {
        if (css[j] === "{") depth++;
        else if (css[j] === "}") depth--;
        j++;
      }
      const inner = css.slice(open + 1, j - 1);
      for (const r of rules(inner)) yield { ...r, media: head };
      i = j;
      continue;
    }
    const close = css.indexOf("}", open);
    if (close < 0) return;
    yield { media: null, selector: head, body: css.slice(open + 1, close) };
    i = close + 1;
  }
}

/** Splits `hover:md:bg-slate-100` into its variants prefix and the utility. */
function splitVariants(cls: string): { variants: string; utility: string } {
  let depth = 0;
  let cut = -1;
  for (let i = 0; i < cls.length; i++) {
    const c = cls[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === ":" && depth === 0) cut = i;
  }
  return { variants: cls.slice(0, cut + 1), utility: cls.slice(cut + 1) };
}

/**
 * Dark-theme rules for a page's light CSS. `declarations(utility)` gives the CSS declarations
 * of one bare utility (twind's, so the colours are exactly the palette's).
 */
export function darkCss(css: string, declarations: (utility: string) => string | null): string {
  const out: string[] = [
    // native controls, scrollbars and the preflight's default border colour, at zero
    // specificity so any colour class still wins
    "[data-theme=dark]{color-scheme:dark}",
    ":where([data-theme=dark] *,[data-theme=dark] ::before,[data-theme=dark] ::after)" +
    "{border-color:#334155}",
    ":where([data-theme=dark] input,[data-theme=dark] select,[data-theme=dark] textarea)" +
    "{background-color:#020617}",
  ];
  const byMedia = new Map<string, string[]>();
  for (const r of rules(css)) {
    const lead = leadingClass(r.selector);
    if (!lead) continue;
    const { utility } = splitVariants(lead.cls);
    const flipped = darkUtility(utility);
    const raised = flipped ? null : raisedUtility(utility);
    const dark = flipped ?? raised;
    if (!dark) continue;
    const decls = declarations(dark);
    if (!decls) continue;
    const scope = raised ? "[data-theme=dark] main" : "[data-theme=dark]";
    const rule = `${scope} ${r.selector}{${decls}}`;
    if (r.media) {
      const list = byMedia.get(r.media) ?? [];
      list.push(rule);
      byMedia.set(r.media, list);
    } else out.push(rule);
  }
  for (const [media, list] of byMedia) out.push(`${media}{${list.join("")}}`);
  return out.join("");
}
