/**
 * A small, safe Markdown renderer for model cards: headings, paragraphs, lists, tables, code,
 * emphasis and links. Every character of the source is HTML-escaped before any markup is added,
 * so raw HTML in a card (or in a class name that reached it) is shown as text, never run; link
 * targets are limited to http(s), mailto and app-relative paths.
 */

const ESC: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** HTML-escapes text. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]);
}

function safeHref(url: string): string | null {
  const u = url.trim();
  if (/^(https?:|mailto:)/i.test(u)) return u;
  if (/^\/(?!\/)/.test(u) || u.startsWith("#")) return u;
  return null;
}

/** Tailwind classes per element, so the card reads as a document under the CSS reset. */
const CLS = {
  h: [
    "",
    "",
    "text-xl font-semibold mt-2",
    "text-lg font-semibold mt-4",
    "font-semibold mt-3",
    "font-medium mt-2",
  ],
  p: "my-2",
  ul: "list-disc pl-5 my-2 space-y-0.5",
  table: "my-2 text-sm border-collapse",
  th: "border-b border-slate-300 px-2 py-1 text-left font-medium",
  td: "border-b border-slate-100 px-2 py-1",
  a: "text-blue-700 hover:underline",
  code: "rounded bg-slate-100 px-1 font-mono text-xs",
  pre: "my-2 overflow-x-auto rounded bg-slate-100 p-2 font-mono text-xs",
};

/** ASCII punctuation: what a backslash escapes (CommonMark). */
const PUNCT = /^[!-/:-@[-`{-~]$/;

/**
 * While the markup patterns run, an escaped character stands in the text as a private-use mark
 * followed by the character moved up into the private-use plane, so no pattern sees it; it is
 * written back, HTML-escaped, at the end. Private-use characters of the source itself are
 * replaced before, so nothing in a card can forge one.
 */
const MARK = "\uE000";
const SHIFT = 0xE100;
const HIDDEN = /\uE000([\uE100-\uE17F])/g;
const hide = (c: string) => MARK + String.fromCharCode(SHIFT + c.charCodeAt(0));
const unhide = (s: string) =>
  s.replace(HIDDEN, (_m, c: string) => String.fromCharCode(c.charCodeAt(0) - SHIFT));

interface Segment {
  code: boolean;
  text: string;
}

/**
 * Inline text as code spans (taken literally, between backtick runs of the same length) and
 * the text between them, where a backslash before ASCII punctuation makes it a literal
 * character: `\_` is `_`, `\[` is `[`, `` \` `` is a backtick that opens no code span.
 */
function segments(src: string): Segment[] {
  const out: Segment[] = [];
  let text = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "\\" && i + 1 < src.length && PUNCT.test(src[i + 1])) {
      text += hide(src[i + 1]);
      i += 2;
      continue;
    }
    if (c !== "`") {
      text += c;
      i++;
      continue;
    }
    let n = 1;
    while (src[i + n] === "`") n++;
    const close = closingRun(src, i + n, n);
    if (close === -1) {
      text += "`".repeat(n);
      i += n;
      continue;
    }
    if (text) out.push({ code: false, text });
    text = "";
    let body = src.slice(i + n, close);
    // one space on each side is padding, unless the span is all spaces
    if (body.length > 2 && body.startsWith(" ") && body.endsWith(" ") && body.trim()) {
      body = body.slice(1, -1);
    }
    out.push({ code: true, text: body });
    i = close + n;
  }
  if (text) out.push({ code: false, text });
  return out;
}

/** Where a run of exactly `n` backticks starts at or after `from`, or -1. */
function closingRun(src: string, from: number, n: number): number {
  for (let j = src.indexOf("`", from); j !== -1; j = src.indexOf("`", j)) {
    let k = j;
    while (src[k] === "`") k++;
    if (k - j === n) return j;
    j = k;
  }
  return -1;
}

/** Inline markup on already-split text: `code`, **bold**, *em*, [text](url), \-escapes. */
function inline(src: string): string {
  const out: string[] = [];
  for (const seg of segments(src.replace(/[\uE000-\uF8FF]/g, "\uFFFD"))) {
    if (seg.code) {
      out.push(`<code class="${CLS.code}">${escapeHtml(seg.text)}</code>`);
      continue;
    }
    let s = escapeHtml(seg.text);
    s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, text: string, href: string) => {
      // href was escaped with the rest; undo the entity for the check, escape again for output.
      const raw = unhide(href.replace(/&amp;/g, "&"));
      const ok = safeHref(raw);
      return ok ? `<a class="${CLS.a}" href="${escapeHtml(ok)}">${text}</a>` : text;
    });
    s = s.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
    s = s.replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>");
    out.push(s.replace(HIDDEN, (_m, c: string) => escapeHtml(unhide(MARK + c))));
  }
  return out.join("");
}

/** A table row's cells, split at pipes not escaped as `\|` (which stand for a `|` in the cell). */
function tableRow(line: string): string[] {
  const body = line.trim().replace(/^\|/, "");
  const cells: string[] = [];
  let cell = "";
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\" && body[i + 1] === "|") {
      cell += "|";
      i++;
    } else if (body[i] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else cell += body[i];
  }
  if (cell.trim()) cells.push(cell.trim());
  return cells;
}

/** Renders Markdown to HTML that is safe to embed in a page. */
export function renderMarkdown(md: string): string {
  const lines = md.replace(/\r\n?/g, "\n").split("\n");
  const html: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) html.push(`<p class="${CLS.p}">${inline(para.join(" "))}</p>`);
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^```/.test(line)) {
      flush();
      const body: string[] = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) body.push(lines[i]);
      html.push(`<pre class="${CLS.pre}"><code>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    const h = line.match(/^(#{1,4})\s+(.*)$/);
    if (h) {
      flush();
      const n = h[1].length + 1; // the page owns <h1>
      html.push(`<h${n} class="${CLS.h[n]}">${inline(h[2])}</h${n}>`);
      continue;
    }
    if (/^\s*[-*]\s+/.test(line)) {
      flush();
      const items: string[] = [];
      for (; i < lines.length && /^\s*[-*]\s+/.test(lines[i]); i++) {
        items.push(`<li>${inline(lines[i].replace(/^\s*[-*]\s+/, ""))}</li>`);
      }
      i--;
      html.push(`<ul class="${CLS.ul}">${items.join("")}</ul>`);
      continue;
    }
    if (/^\s*\|/.test(line) && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1])) {
      flush();
      const head = tableRow(line);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && /^\s*\|/.test(lines[i]); i++) rows.push(tableRow(lines[i]));
      i--;
      html.push(
        `<table class="${CLS.table}"><thead><tr>${
          head.map((c) => `<th class="${CLS.th}">${inline(c)}</th>`).join("")
        }</tr></thead>` +
          `<tbody>${
            rows.map((r) =>
              `<tr>${r.map((c) => `<td class="${CLS.td}">${inline(c)}</td>`).join("")}</tr>`
            ).join("")
          }</tbody></table>`,
      );
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    para.push(line.trim());
  }
  flush();
  return html.join("\n");
}
