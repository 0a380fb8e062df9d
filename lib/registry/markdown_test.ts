import { assertEquals, assertMatch, assertStringIncludes } from "@/tests/assert.ts";
import { renderMarkdown } from "./markdown.ts";

Deno.test("[markdown] raw HTML and script in a card are shown as text, never markup", () => {
  const html = renderMarkdown(
    "# Card <img src=x onerror=alert(1)>\n\nclass `<b>` and <script>alert(1)</script>\n\n" +
      "| a | b |\n|---|---|\n| <i>x</i> | 1 |",
  );
  assertEquals(html.includes("<script"), false);
  assertEquals(html.includes("<img"), false);
  assertEquals(html.includes("<i>"), false);
  assertStringIncludes(html, "&lt;script&gt;");
  assertStringIncludes(html, "&lt;b&gt;</code>");
  assertStringIncludes(html, ">&lt;i&gt;x&lt;/i&gt;</td>");
});

Deno.test("[markdown] only http(s), mailto and app paths become links", () => {
  const html = renderMarkdown(
    "[run](/training/r1) [x](javascript:alert(1)) [d](https://example.com/a?b=1&c=2) " +
      "[p](//evil.example/x)",
  );
  assertStringIncludes(html, 'href="/training/r1">run</a>');
  assertStringIncludes(html, 'href="https://example.com/a?b=1&amp;c=2">d</a>');
  assertEquals(html.includes("javascript:"), false);
  assertEquals(html.includes('href="//evil'), false);
});

Deno.test("[markdown] headings, lists, tables, emphasis and code blocks render", () => {
  const html = renderMarkdown(
    "## Metrics\n\n- **mAP** 0.5\n- *note*\n\n| k | v |\n|---|---|\n| a | 1 |\n\n```\nx < y\n```",
  );
  assertMatch(html, /<h3 class="[^"]+">Metrics<\/h3>/);
  assertMatch(html, /<ul [^>]+><li><strong>mAP<\/strong> 0.5<\/li><li><em>note<\/em><\/li><\/ul>/);
  assertMatch(html, /<th [^>]+>k<\/th>/);
  assertMatch(html, /<pre [^>]+><code>x &lt; y<\/code><\/pre>/);
});
