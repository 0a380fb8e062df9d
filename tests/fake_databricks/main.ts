/**
 * Runs the fake Databricks workspace on its own, seeded with a volume, a few runs, a model and
 * a table, so the app can be pointed at it:
 *
 *   deno run -A tests/fake_databricks/main.ts --port 8787
 *   DATABRICKS_HOST=http://127.0.0.1:8787 DATABRICKS_TOKEN=x deno task start
 *
 * Any bearer token is accepted; OAuth M2M works with client id `lakevision` / secret `secret`.
 * Runs, endpoints and statements advance one step each time they are read.
 */
import { parseArgs } from "node:util";
import { FakeDatabricks } from "./server.ts";

/** Seeds a fake with data that every page can show. */
export async function seed(fake: FakeDatabricks, volume = "main.lakevision.data"): Promise<void> {
  await fake.files.addVolume(volume);
  const root = `/Volumes/${volume.replaceAll(".", "/")}`;
  await fake.files.put(`${root}/README.txt`, "Fake workspace volume.\n");
  await fake.files.put(
    `${root}/datasets/tiny/annotations.json`,
    JSON.stringify({
      images: [{ id: 1, file_name: "a.jpg", width: 4, height: 4 }],
      annotations: [{
        id: 1,
        image_id: 1,
        category_id: 1,
        bbox: [0, 0, 2, 2],
        area: 4,
        iscrowd: 0,
      }],
      categories: [{ id: 1, name: "thing" }],
    }),
  );
  fake.addClient("lakevision", "secret");
  const exp = "/Shared/lakevision";
  const run = fake.mlflow.addRun({
    experiment: exp,
    name: "detr-baseline",
    params: { model: "facebook/detr-resnet-50", epochs: "3" },
    metrics: [0, 1, 2].flatMap((s) => [
      { key: "loss", value: 2 - s * 0.5, step: s },
      { key: "eval_map", value: 0.1 + s * 0.1, step: s },
    ]),
  });
  const v = fake.models.addVersion("main.lakevision.detector", { runId: run });
  fake.models.models.get("main.lakevision.detector")!.aliases.set("champion", v);
  fake.sql.tables.set("main.lakevision.predictions", {
    columns: [{ name: "image", type_name: "STRING" }, { name: "score", type_name: "DOUBLE" }],
    rows: [["a.jpg", "0.91"], ["b.jpg", "0.42"], ["c.jpg", null]],
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "8787" },
      volume: { type: "string", default: "main.lakevision.data" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno run -A tests/fake_databricks/main.ts [--port 8787] [--volume cat.schema.vol]",
    );
    Deno.exit(0);
  }
  const fake = await FakeDatabricks.start({
    port: Number(values.port),
    anyToken: true,
    autoAdvance: true,
  });
  await seed(fake, values.volume);
  console.log(`volume /Volumes/${values.volume.replaceAll(".", "/")}; any bearer token accepted`);
}
