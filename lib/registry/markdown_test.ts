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

Deno.test("[markdown] backslash escapes show the character, not the backslash", () => {
  const html = renderMarkdown(
    "# demo.cv.resnet\\_classification\n\n" +
      "- Validation data: [/Volumes/d/instances\\_val.json](/data?path=x)\n" +
      "- a \\*literal\\* star, \\[brackets\\], a \\\\ backslash, \\`no code\\`\n\n" +
      "| Class | F1 |\n|---|---|\n| cat\\|dog | 1 |",
  );
  assertStringIncludes(html, ">demo.cv.resnet_classification</h2>");
  assertStringIncludes(html, 'href="/data?path=x">/Volumes/d/instances_val.json</a>');
  assertStringIncludes(html, "a *literal* star, [brackets], a \\ backslash, `no code`");
  assertEquals(html.includes("<em>"), false);
  assertEquals(html.includes("<code"), false);
  assertStringIncludes(html, ">cat|dog</td>");
  assertEquals(html.includes("\\_"), false);
});

Deno.test("[markdown] escapes stay literal in code spans and never smuggle markup", () => {
  const html = renderMarkdown(
    "`a\\_b` and ``x ` y`` then \\<script\\>alert(1)\\</script\\> and \\&amp; \uE000\uE13C",
  );
  assertStringIncludes(html, ">a\\_b</code>");
  assertStringIncludes(html, ">x ` y</code>");
  assertEquals(html.includes("<script"), false);
  assertStringIncludes(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
  assertStringIncludes(html, "&amp;amp;");
  // a private-use character in the source cannot stand for an escaped "<"
  assertEquals(/<(?!\/?(p|code)\b)/.test(html), false);
});
