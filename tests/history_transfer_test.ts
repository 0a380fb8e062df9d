/**
 * Export → import into an empty data dir reproduces the timeline and the analytics; importing
 * the same file twice adds nothing; existing preferences are kept; the CLI names and flags work.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { ROOT } from "@/tests/helpers.ts";
import { analytics } from "@/lib/history/analytics.ts";
import { generateHistory, generateRuns } from "@/lib/history/generate.ts";
import { saveResources } from "@/lib/history/runs.ts";
import { exportHistory, importHistory, parseExport } from "@/lib/history/transfer.ts";
import { queryActivity } from "@/lib/store/activity.ts";
import { setKv } from "@/lib/store/kv.ts";
import { getPreferences, savePreferences } from "@/lib/store/preferences.ts";

async function everything() {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const p = await queryActivity({ limit: 500, cursor });
    ids.push(...p.items.map((a) => a.id));
    cursor = p.next ?? undefined;
  } while (cursor);
  const a = await analytics();
  return { ids, charts: JSON.stringify(a.charts), runs: a.runs, byStatus: a.byStatus };
}

Deno.test({
  name:
    "[history] export → import into an empty store reproduces timeline and analytics; twice adds nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const src = await Deno.openKv(":memory:");
    setKv(src);
    await generateHistory(3000);
    await generateRuns(60);
    await saveResources("gen-000001", { peakGpuMemMb: 2048, imagesPerSecond: 50 });
    await savePreferences("ana", { ...(await getPreferences("ana")), theme: "dark", pageSize: 25 });
    const before = await everything();
    const doc = JSON.parse(JSON.stringify(await exportHistory()));
    src.close();

    const dst = await Deno.openKv(":memory:");
    setKv(dst);
    await savePreferences("bo", { ...(await getPreferences("bo")), pageSize: 100 });
    doc.preferences.push({ user: "bo", preferences: { ...doc.preferences[0].preferences } });
    const first = await importHistory(parseExport(doc));
    assertEquals(first.added, 3000);
    assertEquals(first.skipped, 0);
    assertEquals(first.runs.added, 60);
    assertEquals(first.preferences.added, 1);
    assertEquals(first.preferences.conflicts, ["bo"]);
    assertEquals((await getPreferences("bo")).pageSize, 100, "existing preferences kept");
    const after = await everything();
    assertEquals(after.ids, before.ids);
    assertEquals(after.charts, before.charts);
    assertEquals(after.byStatus, before.byStatus);
    const second = await importHistory(parseExport(doc));
    assertEquals(second.added, 0);
    assertEquals(second.skipped, 3000);
    assertEquals(second.runs.added, 0);
    assertEquals((await everything()).ids.length, 3000);
    dst.close();
  },
});

Deno.test("[history] a document that is not an export is refused with the field named", () => {
  let msg = "";
  try {
    parseExport({ format: "lakevision-history", version: 1, exportedAt: "x", events: [{ id: 1 }] });
  } catch (e) {
    msg = (e as Error).message;
  }
  assertStringIncludes(msg, "events.0.id");
});

async function cli(dataDir: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "lib/cli.ts", "history", ...args],
    cwd: ROOT,
    env: { LAKEVISION_DATA_DIR: dataDir, LAKEVISION_LOG: "silent", LAKEVISION_DEMO: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name:
    "[history] CLI: import prints {added, skipped}, list filters by type and since, export round-trips",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "lakevision-history-cli-" });
    try {
      const t = Date.UTC(2026, 0, 10);
      const doc = {
        format: "lakevision-history",
        version: 1,
        exportedAt: new Date().toISOString(),
        events: [
          {
            id: `${t.toString(36).padStart(9, "0")}-0000abcd`,
            who: "ana",
            what: "launched run",
            when: t,
            subject: "run:a",
            details: {},
          },
          {
            id: `${(t + 864e5).toString(36).padStart(9, "0")}-0000abcd`,
            who: "bo",
            what: "saved config",
            when: t + 864e5,
            subject: "config:c@v1",
            details: {},
          },
          {
            id: `${(t + 2 * 864e5).toString(36).padStart(9, "0")}-0000abcd`,
            who: "bo",
            what: "run failed",
            when: t + 2 * 864e5,
            subject: "run:a",
            details: {},
          },
        ],
      };
      const file = `${dir}/in.json`;
      await Deno.writeTextFile(file, JSON.stringify(doc));
      let r = await cli(dir, "import", file, "--json");
      assertEquals(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout);
      assertEquals([s.added, s.skipped], [3, 0]);
      r = await cli(dir, "import", file, "--json");
      assertEquals([JSON.parse(r.stdout).added, JSON.parse(r.stdout).skipped], [0, 3]);
      r = await cli(dir, "list", "--type", "run", "--since", "2026-01-11", "--json");
      assertEquals(r.code, 0, r.stderr);
      assertEquals(JSON.parse(r.stdout).map((a: { what: string }) => a.what), ["run failed"]);
      r = await cli(dir, "export", "--out", `${dir}/out.json`);
      assertEquals(r.code, 0, r.stderr);
      const out = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
      assertEquals(out.events.length, 3);
      r = await cli(dir, "export");
      assert(JSON.parse(r.stdout).events.length === 3, "stdout without --out");
      r = await cli(dir, "list", "--type", "nope");
      assertEquals(r.code, 2);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
