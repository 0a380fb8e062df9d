import { assertEquals } from "@/tests/assert.ts";
import { LocalFiles } from "./files.ts";
import { LocalJobs } from "./jobs.ts";
import { createLocalWorkspace, LOCAL_TRAITS } from "./workspace.ts";

Deno.test("[local jobs] the code stays where it is: nothing uploaded, entrypoints and compute unchanged", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-local-jobs-" });
  try {
    const jobs = new LocalJobs({ dataDir, files: new LocalFiles(dataDir) });
    let uploads = 0;
    const code = await jobs.stageCode({
      inVolume: "/Volumes/main/lakevision/data",
      onUpload: () => Promise.resolve(uploads++),
    });
    assertEquals(uploads, 0);
    assertEquals(code.entrypoint("train.py"), "train.py");
    assertEquals([code.dir, code.volumeDir], [undefined, undefined]);
    assertEquals(await code.jobCompute(undefined, { experiment: "shapes" }), undefined);
    assertEquals(await code.jobCompute({ a: 1 }), { a: 1 });
    const ws = createLocalWorkspace({ dataDir, volume: "/Volumes/main/lakevision/data" });
    assertEquals(ws.traits, LOCAL_TRAITS);
    assertEquals([ws.traits.jobsRunHere, ws.traits.computeKind], [true, "local"]);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
