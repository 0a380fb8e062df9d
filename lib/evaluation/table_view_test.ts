import { assertEquals } from "@/tests/assert.ts";
import {
  cellImagesUrl,
  DEFAULT_COMPARE_PREFS,
  defaultSort,
  nextSort,
  savedColumns,
  savedComparePrefs,
  sortClassRows,
  thumbUrl,
  toggleColumn,
  toggleHidden,
  visibleRuns,
} from "./table_view.ts";
import type { ClassRow } from "./types.ts";

const rows: ClassRow[] = [
  { id: 1, name: "dog", values: { ap: 0.4, ap50: 0.7 }, support: 12 },
  { id: 2, name: "cat", values: { ap: 0.6, ap50: -1 }, support: 3 },
  { id: 3, name: "bird", values: { ap50: 0.2 }, support: 7 },
];
const names = (r: ClassRow[]) => r.map((x) => x.name);

Deno.test("[evaluation/table_view] the class table sorts best first; a missing value sorts last", () => {
  const sort = defaultSort(["ap", "ap50"]);
  assertEquals(sort, { key: "ap", desc: true });
  assertEquals(names(sortClassRows(rows, sort)), ["cat", "dog", "bird"]);
  assertEquals(names(sortClassRows(rows, nextSort(sort, "ap"))), ["bird", "dog", "cat"]);
  assertEquals(names(sortClassRows(rows, { key: "ap50", desc: true })), ["dog", "bird", "cat"]);
  assertEquals(names(sortClassRows(rows, { key: "support", desc: true })), ["dog", "bird", "cat"]);
  // a name column starts A to Z, a metric column best first
  assertEquals(nextSort(sort, "name"), { key: "name", desc: false });
  assertEquals(names(sortClassRows(rows, nextSort(sort, "name"))), ["bird", "cat", "dog"]);
  assertEquals(nextSort({ key: "name", desc: false }, "support"), { key: "support", desc: true });
  assertEquals(defaultSort([]), { key: "name", desc: true });
  // the rows passed in are left in their order
  assertEquals(names(rows), ["dog", "cat", "bird"]);
});

Deno.test("[evaluation/table_view] columns toggle in the table's order and are read back safely", () => {
  const keys = ["ap", "ap50", "ap75", "apSmall"];
  assertEquals(toggleColumn(keys, keys, "ap50"), ["ap", "ap75", "apSmall"]);
  assertEquals(toggleColumn(keys, ["apSmall", "ap"], "ap50"), ["ap", "ap50", "apSmall"]);
  assertEquals(savedColumns(JSON.stringify(["apSmall", "ap", "gone"]), keys), ["ap", "apSmall"]);
  assertEquals(savedColumns("[]", keys), []);
  assertEquals(savedColumns(null, keys), null);
  assertEquals(savedColumns("{not json", keys), null);
  assertEquals(savedColumns('{"ap":true}', keys), null);
});

Deno.test("[evaluation/table_view] compare prefs: hidden runs and deltas, malformed parts default", () => {
  assertEquals(savedComparePrefs(null), DEFAULT_COMPARE_PREFS);
  assertEquals(savedComparePrefs("nope"), DEFAULT_COMPARE_PREFS);
  assertEquals(savedComparePrefs('{"hidden":["b"],"deltas":false}'), {
    hidden: ["b"],
    deltas: false,
  });
  assertEquals(savedComparePrefs('{"hidden":"b","deltas":"no"}'), DEFAULT_COMPARE_PREFS);
  assertEquals(savedComparePrefs('{"hidden":["b",3,null]}'), { hidden: ["b"], deltas: true });
  assertEquals(toggleHidden(["a"], "b"), ["a", "b"]);
  assertEquals(toggleHidden(["a", "b"], "a"), ["b"]);
  const runs = [{ id: "a" }, { id: "b" }, { id: "c" }];
  assertEquals(visibleRuns(runs, ["b"]), [{ id: "a", i: 0 }, { id: "c", i: 2 }]);
  // the baseline stays, even when a kept choice names it
  assertEquals(visibleRuns(runs, ["a", "b", "c"]), [{ id: "a", i: 0 }]);
});

Deno.test("[evaluation/table_view] cell and thumbnail URLs", () => {
  assertEquals(
    cellImagesUrl("20261126-010000-aaaa", 1, 2, 24),
    "/api/evaluation/20261126-010000-aaaa/cell?row=1&col=2&limit=24",
  );
  assertEquals(cellImagesUrl("a/b", 0, 0, 5), "/api/evaluation/a%2Fb/cell?row=0&col=0&limit=5");
  assertEquals(thumbUrl(null, "cat/1.png"), null);
  assertEquals(
    thumbUrl("/Volumes/m/l/d/pets/val/", "cat/1.png"),
    "/api/data/file?path=%2FVolumes%2Fm%2Fl%2Fd%2Fpets%2Fval%2Fcat%2F1.png&thumb=192",
  );
});
