import { assert, assertEquals } from "@/tests/assert.ts";
import { darkUtility, raisedUtility } from "./dark.ts";
import { cssFor, darkCssFor } from "./twind.ts";

Deno.test("dark utilities: light surfaces and dark ink flip, fills and light ink stay", () => {
  assertEquals(darkUtility("bg-white"), "bg-slate-900");
  assertEquals(darkUtility("bg-slate-50"), "bg-slate-950");
  assertEquals(darkUtility("bg-amber-50/50"), "bg-amber-950/50");
  assertEquals(darkUtility("text-slate-900"), "text-slate-100");
  assertEquals(darkUtility("text-slate-500"), "text-slate-400");
  assertEquals(darkUtility("border-slate-200"), "border-slate-700");
  assertEquals(darkUtility("border-t-slate-200"), "border-t-slate-700");
  assertEquals(darkUtility("text-black"), "text-white");
  // the sidebar's own colours and coloured buttons keep theirs
  for (const u of ["bg-slate-900", "bg-sky-600", "text-white", "text-slate-300", "bg-slate-800"]) {
    assertEquals(darkUtility(u), null, u);
  }
  // not colour utilities
  for (const u of ["text-sm", "border-2", "bg-[#fff]", "ring-2", "text-brand-900"]) {
    assertEquals(darkUtility(u), null, u);
  }
});

Deno.test("dark CSS: every light colour rule of a page gets a dark rule with the same selector", () => {
  const light = cssFor(
    `<div class="bg-slate-50 text-slate-800"><p class="hover:bg-slate-100 md:bg-white ` +
      `divide-y divide-slate-200 bg-sky-600 text-white"></p><img src="x.png"></div>`,
  );
  const dark = darkCssFor(light);
  assert(dark.includes("[data-theme=dark] .bg-slate-50{"), dark);
  assert(dark.includes("rgba(2,6,23,"), "slate-950 for the page surface");
  assert(dark.includes("[data-theme=dark] .text-slate-800{"), dark);
  assert(dark.includes("[data-theme=dark] .hover\\:bg-slate-100:hover{"), dark);
  assert(dark.includes("@media (min-width:768px){[data-theme=dark] .md\\:bg-white{"), dark);
  assert(dark.includes("[data-theme=dark] .divide-slate-200>:not([hidden])~:not([hidden]){"));
  assert(!dark.includes(".bg-sky-600"), "coloured fills keep their colour");
  assert(!dark.includes(".text-white"), "white text keeps its colour");
  assert(!/filter|invert/.test(dark), "nothing is filtered: images keep their true colours");
});

Deno.test("dark CSS: dark fills inside the page are raised off the dark cards; the sidebar's are not", () => {
  assertEquals(raisedUtility("bg-slate-900"), "bg-slate-700");
  assertEquals(raisedUtility("bg-slate-700"), "bg-slate-600");
  assertEquals(raisedUtility("bg-sky-600"), null);
  const dark = darkCssFor(
    cssFor(`<main><button class="bg-slate-900 hover:bg-slate-700"></button></main>`),
  );
  assert(dark.includes("[data-theme=dark] main .bg-slate-900{"), dark);
  assert(dark.includes("[data-theme=dark] main .hover\\:bg-slate-700:hover{"), dark);
  assert(!dark.includes("[data-theme=dark] .bg-slate-900{"), "the sidebar keeps its slate-900");
});
