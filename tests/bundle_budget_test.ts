/**
 * Page-weight budgets on the built bundles, gzipped, counting everything a page loads before
 * anyone touches it (lib/web/weight.ts): no islands 0 KB, a form page ≤ 40 KB, a chart page
 * ≤ 80 KB, the Playground before a model is chosen ≤ 60 KB. `deno task bench pages` prints them.
 */
import { ensureBundle } from "@/lib/web/bundle.ts";
import { kb, PAGE_BUDGETS, pageKind, type PageWeight, pageWeights } from "@/lib/web/weight.ts";
import { assert, assertEquals } from "./assert.ts";
import { ROOT, testApp } from "./helpers.ts";

/** Libraries a form page must not load, by a name each keeps in its built code. */
const NOT_ON_FORMS: [string, RegExp][] = [
  ["classic zod", /["'`]ZodString["'`]/],
  ["the YAML library", /["'`]YAMLParseError["'`]/],
];

let weights: PageWeight[] | undefined;
async function pages(): Promise<PageWeight[]> {
  weights ??= (await pageWeights(ROOT, await ensureBundle(ROOT)))
    .filter((p) => !p.pattern.startsWith("/api/"));
  return weights;
}

Deno.test("[bundle budget] form pages load neither classic zod nor the YAML library", async () => {
  const { dir } = await ensureBundle(ROOT);
  const forms = (await pages()).filter((p) => pageKind(p) === "form");
  assert(forms.some((p) => p.pattern === "/training/new"), "the launch form is weighed");
  assert(forms.some((p) => p.pattern === "/configs/new"), "the config editor is weighed");
  const found: string[] = [];
  for (const p of forms) {
    for (const f of p.files) {
      const js = await Deno.readTextFile(`${dir}/${f}`);
      for (const [what, mark] of NOT_ON_FORMS) {
        if (mark.test(js)) {
          found.push(`${p.pattern} (${p.islands.join(", ")}) loads ${what} (${f})`);
        }
      }
    }
  }
  assertEquals(found, []);
});

Deno.test("[bundle budget] pages without islands load no JavaScript", async () => {
  const statics = (await pages()).filter((p) => pageKind(p) === "static");
  assert(statics.length > 10, `only ${statics.length} pages without islands`);
  for (const p of statics) assertEquals(p.gzipBytes, 0, p.pattern);
});

Deno.test(
  "[bundle budget] form pages ≤ 40 KB, chart pages ≤ 80 KB, the Playground ≤ 60 KB (gzipped, all a page loads)",
  async () => {
    const over: string[] = [];
    for (const p of await pages()) {
      const kind = pageKind(p);
      const budget = PAGE_BUDGETS[kind];
      const line = `${p.pattern} (${kind}, ${p.islands.join(", ")}): ${kb(p.gzipBytes)} > ${
        kb(budget)
      }`;
      if (p.gzipBytes > budget) over.push(line);
    }
    assertEquals(over, [], "pages over budget");
    const playground = (await pages()).find((p) => p.pattern === "/inference");
    assert(playground && pageKind(playground) === "playground", "the Playground is weighed");
    // The ONNX runtime is imported on first use, not up front.
    assert(playground.lazyGzipBytes > 50_000, `lazy: ${kb(playground.lazyGzipBytes)}`);
  },
);

Deno.test(
  "[bundle budget] the weighed files are what the rendered page's scripts import",
  async () => {
    const app = await testApp();
    try {
      for (const path of ["/settings", "/training/new", "/inference"]) {
        const res = await app.request(path);
        assertEquals(res.status, 200, path);
        const html = await res.text();
        const loaded = new Set<string>();
        const queue = [
          ...html.matchAll(/<script type="module" src="([^"]+)"/g),
          ...html.matchAll(/data-src="([^"]+)"/g),
        ].map((m) => m[1]);
        while (queue.length) {
          const url = queue.shift()!;
          const rel = url.replace(/^\/_lv\/[0-9a-f]+\//, "");
          if (loaded.has(rel)) continue;
          loaded.add(rel);
          const js = await (await app.request(url)).text();
          for (const m of js.matchAll(/(?:from|import)\s*"(\.{1,2}\/[^"]+)"/g)) {
            queue.push(new URL(m[1], `http://x${url}`).pathname);
          }
        }
        const weighed = (await pages()).find((p) => p.pattern === path)!;
        assertEquals([...loaded].sort(), weighed.files, path);
      }
    } finally {
      await app.close();
    }
  },
);
