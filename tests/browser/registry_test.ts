/**
 * The Model Registry end to end on the local workspace with real PyTorch: train two tiny runs →
 * register the first with @champion → its card shows metrics and lineage links that resolve →
 * register the second → compare → move @champion through the confirmation → undo it. Also the
 * CLI's `models list/show --json` on the same data. Skipped without Chromium or torch.
 */
import { assert, assertEquals } from "../assert.ts";
import { findPython } from "@/lib/workspace/local/python.ts";
import { tinyConfig, VOLUME } from "../training_testing.ts";
import { api, HAVE_CHROMIUM, makeShapesDataset, startSession, waitHydrated } from "./harness.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const python = (await findPython(Deno.env.get("LAKEVISION_PYTHON"))).chosen;
const HAVE_TORCH = !!python?.torch;

async function trainToSuccess(base: string, lr: number): Promise<string> {
  const cfg = tinyConfig(VOLUME);
  (cfg.model as Record<string, unknown>).learning_rate = lr;
  const saved = await api(base, "/api/configs", { name: "shapes", doc: cfg });
  const version = saved.version.version;
  const { run } = await api(base, "/api/runs", {
    config: { name: "shapes", version },
    compute: { kind: "local", device: "cpu" },
    maxSteps: 4,
    maxEpochs: 1,
  });
  const until = Date.now() + 240_000;
  while (Date.now() < until) {
    const { run: r } = await api(base, `/api/runs/${run.id}`);
    if (r.status === "succeeded") return run.id;
    if (r.status === "failed" || r.status === "cancelled") {
      throw new Error(`run ${run.id} ${r.status}: ${r.message}`);
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw new Error(`run ${run.id} did not finish in 4 minutes`);
}

Deno.test({
  name:
    "[browser] registry: train → register @champion → card with metrics and resolving lineage → second version → compare → move @champion with confirmation → undo",
  ignore: !HAVE_CHROMIUM || !HAVE_TORCH,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await startSession({ OMP_NUM_THREADS: "2" });
    try {
      await makeShapesDataset(s.dataDir, python!.path);
      const run1 = await trainToSuccess(s.baseUrl, 0.001);
      const run2 = await trainToSuccess(s.baseUrl, 0.003);
      const page = await s.newPage();
      const name = "main.lakevision.shapes";

      await t.step("register the first run with @champion from /models", async () => {
        await page.goto(`${s.baseUrl}/models?run=${run1}`, { waitUntil: "networkidle" });
        await waitHydrated(page);
        await s.screenshot(page, "models-empty");
        await page.selectOption("#reg-run", run1);
        await page.fill("#reg-name", name);
        await page.fill("#reg-aliases", "champion");
        await page.fill("#reg-description", "first try");
        await Promise.all([
          page.waitForURL(/\/models\/main\.lakevision\.shapes\/1/),
          page.click('#register button[type="submit"]'),
        ]);
        const text = await page.textContent("main") ?? "";
        assert(text.includes("Registered main.lakevision.shapes version 1"), text.slice(0, 300));
        assert(text.includes("Validation metrics"), "metrics section");
        assert(/Accuracy/i.test(text), "accuracy in the card");
        const card = await page.textContent(".model-card") ?? "";
        assert(card.includes("Training data:"), card.slice(0, 300));
        assert(!card.includes("\\"), `no markdown escapes shown: ${card.slice(0, 300)}`);
        assert(!card.includes("not scanned"), card);
        await s.screenshot(page, "models-version");
      });

      await t.step("every lineage link resolves", async () => {
        const hrefs = await page.$$eval(
          'ol[aria-label="Lineage"] a',
          (as) => as.map((a) => (a as HTMLAnchorElement).getAttribute("href") ?? ""),
        );
        assert(hrefs.some((h) => h.startsWith("/configs/shapes")), hrefs.join());
        assert(hrefs.some((h) => h === `/training/${run1}`), hrefs.join());
        assert(hrefs.some((h) => h.startsWith("/data?path=")), hrefs.join());
        for (const h of hrefs) {
          const res = await fetch(s.baseUrl + h);
          await res.body?.cancel();
          assertEquals(res.status, 200, h);
        }
      });

      await t.step("register the second run and compare", async () => {
        await page.goto(`${s.baseUrl}/models`, { waitUntil: "networkidle" });
        await page.selectOption("#reg-run", run2);
        await page.fill("#reg-name", name);
        await Promise.all([
          page.waitForURL(/\/models\/main\.lakevision\.shapes\/2/),
          page.click('#register button[type="submit"]'),
        ]);
        await page.goto(`${s.baseUrl}/models/${name}`, { waitUntil: "networkidle" });
        await s.screenshot(page, "models-versions");
        await page.selectOption('select[name="a"]', "1");
        await page.selectOption('select[name="b"]', "2");
        await Promise.all([page.waitForURL(/compare/), page.click('text="Compare"')]);
        const text = await page.textContent("main") ?? "";
        assert(text.includes("Headline metrics"), text.slice(0, 200));
        assert(text.includes("model.learning_rate"), "config diff names the changed field");
        await s.screenshot(page, "models-compare");
      });

      await t.step("move @champion to v2 through the confirmation, then undo", async () => {
        await page.goto(`${s.baseUrl}/models/${name}`, { waitUntil: "networkidle" });
        await page.selectOption("#alias-2", "champion");
        await Promise.all([
          page.waitForURL(/\/alias\?/),
          page.click('form[action$="/alias"]:has(#alias-2) button'),
        ]);
        let text = await page.textContent("main") ?? "";
        assert(text.includes("moves from version 1 to version 2"), text.slice(0, 300));
        assert(/eval_accuracy|Accuracy/.test(text), "metric change shown");
        await s.screenshot(page, "models-alias-confirm");
        await Promise.all([page.waitForURL(/undo=/), page.click('text="Move @champion to v2"')]);
        text = await page.textContent("main") ?? "";
        assert(text.includes("@champion now points at version 2"), text.slice(0, 300));
        await Promise.all([page.waitForURL(/notice=Undone/), page.click('text="Undo this move"')]);
        text = await page.textContent("main") ?? "";
        assert(text.includes("@champion points at version 1 again"), text.slice(0, 300));
        await s.screenshot(page, "models-undone");
        assertEquals(realErrors(page), []);
      });

      await t.step("the CLI reads the same registry", async () => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "lib/cli.ts", "models", "show", name, "--json"],
          cwd: ROOT,
          env: { LAKEVISION_DATA_DIR: s.dataDir, LAKEVISION_LOG: "silent", LAKEVISION_DEMO: "0" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        // The server holds the KV file; SQLite allows a second reader.
        assert(out.success, new TextDecoder().decode(out.stderr));
        const d = JSON.parse(new TextDecoder().decode(out.stdout));
        assertEquals(d.versions.map((v: { version: string }) => v.version), ["2", "1"]);
        assertEquals(d.model.aliases, [{ alias: "champion", version: "1" }]);
      });
    } catch (e) {
      console.error(s.serverLog().slice(-4000));
      throw e;
    } finally {
      await s.close();
    }
  },
});

function realErrors(page: { errors: string[] }): string[] {
  return page.errors.filter((e) => !/\/events net::ERR_ABORTED/.test(e));
}
