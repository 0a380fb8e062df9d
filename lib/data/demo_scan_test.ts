import { ok, strictEqual } from "node:assert/strict";
import { defaultDatasets } from "@/lib/demo/testing.ts";
import { manifestEntry, scanPlan } from "@/lib/demo/manifest.ts";
import { MemoryFiles } from "./testing.ts";
import { startScan } from "./scan.ts";
import type { Problem } from "./types.ts";

const VOLUME = "/Volumes/demo/cv/data";

for (const ds of await defaultDatasets()) {
  for (const how of ["config plan", "auto-detected"]) {
    Deno.test(`[eda] demo dataset ${ds.id} (${how}): every planted problem is found and located`, async () => {
      const files = new MemoryFiles();
      for (const [rel, bytes] of ds.files) files.put(`${VOLUME}/${ds.id}/${rel}`, bytes);
      const entry = await manifestEntry(ds, VOLUME);
      const spec = how === "config plan" ? { plan: scanPlan(entry) } : { path: entry.path };
      const r = await startScan(spec, files).done;
      strictEqual(r.format, ds.format);
      for (const s of ds.splits) {
        const got = r.splits.find((x) => x.name === s.name);
        ok(got, `split ${s.name} scanned`);
        // the generator also counts a stray image outside the class folders, which trainers ignore
        const stray = entry.planted.filter((p) =>
          p.split === s.name && p.code === "image_outside_class"
        );
        strictEqual(got.stats.images, s.images - stray.length, `${s.name} images`);
      }
      const matches = (p: Problem, want: (typeof entry.planted)[number]) =>
        p.code === want.code && p.severity === want.severity && p.split === want.split &&
        (want.file === undefined || p.file === want.file || p.where?.includes(want.file) ||
          (want.file.endsWith(p.file ?? "\0"))) &&
        (want.image_id === undefined || p.image_id === want.image_id) &&
        (want.annotation_id === undefined || p.annotation_id === want.annotation_id);
      for (const want of entry.planted) {
        ok(
          r.problems.some((p) => matches(p, want)),
          `${ds.id}: planted ${want.code} (${want.what}) not found; got ${
            JSON.stringify(
              r.problems.map((p) => [p.code, p.split, p.file, p.image_id, p.annotation_id]),
            )
          }`,
        );
      }
      // nothing else is an error: the generator plants every defect it makes
      const plantedCodes = new Set(entry.planted.map((p) => p.code));
      const stray = r.problems.filter((p) => p.severity === "error" && !plantedCodes.has(p.code));
      strictEqual(stray.length, 0, JSON.stringify(stray.slice(0, 5)));
    });
  }
}
