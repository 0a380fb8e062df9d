/**
 * `deno task cli endpoints ...` against the local workspace while an app serves endpoints on a
 * loopback port: create --wait --json reaches READY (progress on stderr), invoke sends the image
 * and prints the answer, list/show/delete --json, and wrong arguments exit 2 with the usage.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { importModel } from "@/lib/registry/register.ts";
import { main, urlNote } from "@/lib/serving/cli.ts";
import { setKv } from "@/lib/store/kv.ts";
import { createApp } from "@/lib/web/app.ts";
import { loadSettings } from "@/fresh.config.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import type { LocalServing } from "@/lib/workspace/local/serving.ts";
import { ROOT } from "@/tests/helpers.ts";

const FIX = new URL("./fixtures/onnx/tiny_classifier/", import.meta.url);
const EXPECTED = JSON.parse(await Deno.readTextFile(new URL("expected.json", FIX)));
const opts = { sanitizeOps: false, sanitizeResources: false };

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await main(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test({
  name:
    "[deployments cli] create --wait --json → invoke --image → list/show → delete, with the app serving",
  ...opts,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "lakevision-cli-" });
    Deno.env.set("LAKEVISION_DATA_DIR", dataDir);
    Deno.env.set("LAKEVISION_LOG", "silent");
    Deno.env.set("LAKEVISION_DEMO", "0");
    const kv = await Deno.openKv(":memory:");
    setKv(kv);
    const settings = loadSettings();
    let handler: (r: Request) => Response | Promise<Response> = () => new Response("starting");
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (r) => handler(r));
    const ws = createLocalWorkspace({
      dataDir,
      volume: settings.volume,
      serveEndpoints: true,
      serverUrl: `http://127.0.0.1:${server.addr.port}`,
    });
    const app = await createApp({ settings, workspace: ws, root: ROOT });
    handler = app.fetch;
    try {
      await importModel(
        { ws, volume: settings.volume, user: "tester" },
        await Deno.readFile(new URL("model.onnx", FIX)),
        await Deno.readTextFile(new URL("model.json", FIX)),
        { name: "main.cv.tiny" },
      );

      const missing = await cli(["create", "--name", "cli-ep", "--model", "main.cv.tiny"]);
      assertEquals(missing.code, 2);
      assertStringIncludes(missing.err, "--name, --model and --version are required");
      const size = await cli([
        "create",
        "--name",
        "cli-ep",
        "--model",
        "main.cv.tiny",
        "--version",
        "1",
        "--size",
        "Huge",
      ]);
      assertEquals(size.code, 2);
      assertStringIncludes(
        size.err,
        'workload size must be one of Small, Medium, Large, got "Huge"',
      );
      assertEquals((await cli(["frob"])).code, 2);

      const made = await cli([
        "create",
        "--name",
        "cli-ep",
        "--model",
        "main.cv.tiny",
        "--version",
        "1",
        "--scale-to-zero",
        "--wait",
        "--json",
      ]);
      assertEquals(made.code, 0, made.err);
      const ep = JSON.parse(made.out);
      assertEquals([ep.name, ep.state, ep.mode], ["cli-ep", "READY", "create"]);
      assertEquals(ep.entities[0].scale_to_zero, true);
      assertEquals(ep.entities[0].workload_size, "Small");
      assertStringIncludes(made.err, "Created cli-ep: NOT_READY");

      const img = `${dataDir}/test.png`;
      const { width: w, height: h } = EXPECTED.image;
      const data = new Uint8Array(w * h * 4);
      const mod = (v: number) => ((v % 256) + 256) % 256;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          data.set([mod(7 * x + 3 * y), mod(x * y), mod(255 - 5 * x), 255], 4 * (y * w + x));
        }
      }
      await Deno.writeFile(img, encodePng({ width: w, height: h, channels: 4, data }));
      const inv = await cli(["invoke", "cli-ep", "--image", img, "--json"]);
      assertEquals(inv.code, 0, inv.err);
      const top = JSON.parse(inv.out).predictions[0].top_k[0];
      assertEquals(top.label_name, EXPECTED.prediction.top_k[0].label_name);
      assert(Math.abs(top.score - EXPECTED.prediction.top_k[0].score) < 1e-4);
      const noFile = await cli(["invoke", "cli-ep", "--image", `${dataDir}/nope.png`]);
      assertEquals(noFile.code, 1);
      assertStringIncludes(noFile.err, "no such file");

      const list = await cli(["list", "--json"]);
      assertEquals(JSON.parse(list.out).map((e: { name: string }) => e.name), ["cli-ep"]);
      const show = await cli(["show", "cli-ep", "--json"]);
      const shown = JSON.parse(show.out);
      assertEquals([shown.state, shown.cost_estimate.kind], ["READY", "cpu"]);
      const text = await cli(["show", "cli-ep"]);
      assertStringIncludes(text.out, "no money");
      // The app here listens on a port of its own: the CLI shows that address, with no note.
      assertStringIncludes(
        text.out,
        `url      http://127.0.0.1:${server.addr.port}/serving-endpoints/cli-ep/invocations`,
      );
      assert(!text.out.includes("default address"), text.out);
      const bad = await cli(["invoke", "cli-ep", "--image", `${FIX.pathname}model.json`]);
      assertEquals(bad.code, 1);
      assertStringIncludes(bad.err, "not an image");
      assert(!bad.err.includes("error_code"), `the CLI reads the message: ${bad.err}`);

      const del = await cli(["delete", "cli-ep", "--json"]);
      assertEquals(JSON.parse(del.out), { name: "cli-ep", deleted: true });
      assertEquals(JSON.parse((await cli(["list", "--json"])).out), []);
      const gone = await cli(["show", "cli-ep"]);
      assertEquals(gone.code, 1);
    } finally {
      await (ws.serving as LocalServing).close();
      await server.shutdown();
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("[deployments cli] show says where a local endpoint's URL comes from; Model Serving's needs no note", () => {
  const url = (port: number) => `http://127.0.0.1:${port}/serving-endpoints/e/invocations`;
  const env = { LAKEVISION_DEMO: "0" };
  assertStringIncludes(urlNote(url(8000), env) ?? "", "the default address");
  assertStringIncludes(
    urlNote(url(8130), { ...env, PORT: "8130" }) ?? "",
    "made from PORT=8130 here",
  );
  assertStringIncludes(
    urlNote(url(8131), { ...env, PORT: "8130", DATABRICKS_APP_PORT: "8131" }) ?? "",
    "DATABRICKS_APP_PORT=8131",
  );
  assertEquals(urlNote(url(9999), env), null, "not this process's address");
  assertEquals(
    urlNote("https://x.cloud.databricks.com/serving-endpoints/e/invocations", env),
    null,
  );
  assertEquals(urlNote("not a url", env), null);
});
