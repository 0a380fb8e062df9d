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

/** Inline markup on already-split text: `code`, **bold**, *em*, [text](url). */
function inline(src: string): string {
  const out: string[] = [];
  // Code spans first: their content is taken literally.
  const parts = src.split(/(`[^`]*`)/);
  for (const p of parts) {
    if (p.startsWith("`") && p.endsWith("`") && p.length >= 2) {
      out.push(`<code class="${CLS.code}">${escapeHtml(p.slice(1, -1))}</code>`);
      continue;
    }
    let s = escapeHtml(p);
    s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, text: string, href: string) => {
      // href was escaped with the rest; undo the entity for the check, escape again for output.
      const raw = href.replace(/&amp;/g, "&");
      const ok = safeHref(raw);
      return ok ? `<a class="${CLS.a}" href="${escapeHtml(ok)}">${text}</a>` : text;
    });
    s = s.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
    s = s.replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>");
    out.push(s);
  }
  return out.join("");
}

function tableRow(line: string): string[] {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
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
